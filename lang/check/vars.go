package check

import (
	"sort"
	"strings"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// vars pairs the stochastic nodes of the encoder and the decoder into
// variables, and reports a latent that only one side has, or that the two
// sides disagree on (shape, kind, repeat).
func (c *checker) vars(es, ds *scope) []*Var {
	var out []*Var
	if c.data != nil {
		c.data.Enc = es.input
		dn := ds.g.Node(c.data.Name)
		if d := ds.defs[c.data.Name]; d != nil {
			dn = d.node
		}
		switch {
		case dn == nil:
			e := c.errorAt(c.dataPos, diag.Pos{}, "the data variable `%s` is not observed in the decoder", c.data.Name)
			e.Suggest = "add `" + c.data.Name + " ~ Bernoulli(logits: ...)` (or " + strings.Join(locScaleNames(), ", ") + ") to the decoder"
		case dn.Op != Sample:
			e := c.errorAt(dn.Pos, dn.End, "the data variable `%s` must be drawn in the decoder with `~`, not computed with `=`", c.data.Name)
			e.Notes = []diag.Note{{Pos: c.dataPos, Msg: "declared as data here"}}
		case dn.Repeat != nil:
			c.errorAt(dn.Pos, dn.End, "the data variable `%s` cannot be drawn inside a repeat", c.data.Name)
		default:
			dn.Var = c.data
			c.data.Dec = dn
			if dn.Shape != nil && !dn.Shape.Equal(c.data.Shape) {
				e := c.errorAt(dn.Pos, dn.End, "shape mismatch: `%s` is declared with shape %s, but its distribution in the decoder has shape %s", c.data.Name, c.data.Shape, dn.Shape)
				e.Notes = []diag.Note{{Pos: c.dataPos, Msg: "declared here"}}
				e.Suggest = "reshape the parameters, as in reshape(net(h), " + c.data.Shape.String() + ")"
			}
		}
		out = append(out, c.data)
	}
	for _, d := range ds.order {
		n := d.node
		if n.Op != Sample || (c.data != nil && n.Name == c.data.Name) {
			continue
		}
		ed := es.defs[n.Name]
		if ed == nil || ed.node.Op != Sample {
			e := c.errorAt(n.Pos, n.End, "latent `%s` of the decoder has no counterpart in the encoder", n.Name)
			if ed != nil {
				e.Notes = []diag.Note{{Pos: ed.node.Pos, Msg: "the encoder computes it with `=` here; draw it with `~`"}}
			} else {
				e.Suggest = "every latent variable needs a distribution in the encoder too: add `" + n.Name + " ~ ...` to the encoder"
			}
			continue
		}
		en := ed.node
		v := &Var{Name: n.Name, Role: Latent, Kind: n.Kind, Shape: n.Shape, Enc: en, Dec: n}
		en.Var, n.Var = v, v
		if n.Kind == Discrete && n.Shape != nil {
			v.Classes = n.Shape.Size()
		}
		if n.Shape != nil && en.Shape != nil && !n.Shape.Equal(en.Shape) {
			e := c.errorAt(en.Pos, en.End, "shape mismatch: latent `%s` has shape %s in the encoder but %s in the decoder", n.Name, en.Shape, n.Shape)
			e.Notes = []diag.Note{{Pos: n.Pos, Msg: "drawn in the decoder here"}}
		} else if n.Shape != nil && en.Shape != nil && n.Kind != en.Kind {
			e := c.errorAt(en.Pos, en.End, "latent `%s` is %s in the encoder but %s in the decoder", n.Name, en.Kind, n.Kind)
			e.Notes = []diag.Note{{Pos: n.Pos, Msg: "drawn in the decoder here"}}
		}
		switch {
		case (n.Repeat == nil) != (en.Repeat == nil):
			e := c.errorAt(en.Pos, en.End, "latent `%s` is drawn once per slot of a repeat in one block but not in the other", n.Name)
			e.Notes = []diag.Note{{Pos: n.Pos, Msg: "drawn in the decoder here"}}
		case n.Repeat != nil && n.Repeat.Max != en.Repeat.Max && n.Repeat.Max > 0 && en.Repeat.Max > 0:
			e := c.errorAt(en.Repeat.Pos, diag.Pos{}, "the repeats holding `%s` have different bounds: %d in the encoder, %d in the decoder", n.Name, en.Repeat.Max, n.Repeat.Max)
			e.Notes = []diag.Note{{Pos: n.Repeat.Pos, Msg: "decoder repeat here"}}
		case n.Repeat != nil:
			v.Slots = n.Repeat.Max
		}
		out = append(out, v)
	}
	for _, d := range es.order {
		n := d.node
		if n.Op != Sample {
			continue
		}
		dd := ds.defs[n.Name]
		if dd == nil || dd.node.Op != Sample {
			e := c.errorAt(n.Pos, n.End, "latent `%s` of the encoder has no counterpart in the decoder", n.Name)
			if dd != nil {
				e.Notes = []diag.Note{{Pos: dd.node.Pos, Msg: "the decoder computes it with `=` here; draw it with `~` from a prior"}}
			} else {
				e.Suggest = "give it a prior in the decoder, as in `" + n.Name + " ~ Normal(loc: 0, scale: 1, shape: [...])`"
			}
		}
	}
	return out
}

// supervise checks the `supervise VAR with LABEL` bindings.
func (c *checker) supervise(decls []*syntax.SuperviseDecl, m *Model) {
	bound := map[string]diag.Pos{}
	for _, s := range decls {
		okV, okL := c.checkName(s.Var), c.checkName(s.Label)
		if !okV || !okL {
			continue
		}
		l := c.labels[s.Label.Name]
		if l == nil {
			e := c.errorf(s.Label.Pos, s.Label.EndPos, "unknown label `%s`: the spec's data declares no such label", s.Label.Name)
			var names []string
			for n := range c.labels {
				names = append(names, n)
			}
			sort.Strings(names)
			e.Suggest = diag.DidYouMean(s.Label.Name, names)
			if e.Suggest == "" {
				e.Suggest = "declare it, as in `label " + s.Label.Name + ": categorical[10]`"
			}
			continue
		}
		if m.Vars == nil {
			continue
		}
		v := m.Var(s.Var.Name)
		if v == nil {
			e := c.errorf(s.Var.Pos, s.Var.EndPos, "cannot supervise `%s`: it is not a latent variable of both the encoder and the decoder", s.Var.Name)
			var names []string
			for _, v := range m.Vars {
				if v.Role != Data {
					names = append(names, v.Name)
				}
			}
			e.Suggest = diag.DidYouMean(s.Var.Name, names)
			continue
		}
		if v.Role == Data {
			c.errorf(s.Var.Pos, s.Var.EndPos, "`%s` is the observed data; only latent variables are supervised", v.Name)
			continue
		}
		if p, dup := bound[v.Name]; dup {
			e := c.errorf(s.Pos, s.EndPos, "`%s` is supervised twice", v.Name)
			e.Notes = []diag.Note{{Pos: p, Msg: "first supervised here"}}
			continue
		}
		if l.Var != nil {
			e := c.errorf(s.Label.Pos, s.Label.EndPos, "label `%s` already supervises `%s`", l.Name, l.Var.Name)
			e.Notes = []diag.Note{{Pos: bound[l.Var.Name], Msg: "bound here"}}
			continue
		}
		if !c.labelFits(s, v, l) {
			continue
		}
		bound[v.Name] = syntax.Pos(s.Pos)
		v.Role = Supervised
		v.Label = l
		l.Var = v
	}
}

// labelFits checks that a label's type matches the variable it supervises.
func (c *checker) labelFits(s *syntax.SuperviseDecl, v *Var, l *Label) bool {
	bad := func(format string, args ...any) bool {
		e := c.errorf(s.Pos, s.EndPos, format, args...)
		e.Notes = []diag.Note{{Pos: l.Pos, Msg: "label declared here"}, {Pos: v.Dec.Pos, Msg: "variable drawn here"}}
		return false
	}
	switch {
	case v.Shape == nil:
		return false
	case l.Kind == Discrete && v.Kind != Discrete:
		return bad("label `%s` is categorical but `%s` is continuous; supervise a Categorical variable with it", l.Name, v.Name)
	case l.Kind == Continuous && v.Kind == Discrete:
		return bad("label `%s` is real-valued but `%s` is discrete", l.Name, v.Name)
	case l.Kind == Discrete && v.Classes != l.Classes:
		return bad("label `%s` has %d classes but `%s` has %d", l.Name, l.Classes, v.Name, v.Classes)
	case l.Kind == Continuous && !v.Shape.Equal(Shape{l.Dim}):
		return bad("label `%s` has shape [%d] but `%s` has shape %s", l.Name, l.Dim, v.Name, v.Shape)
	case l.Slots != v.Slots && l.Slots == 0:
		return bad("label `%s` has one value per example, but `%s` is drawn once per slot of a repeat; declare it per slot, as in `label %s[%d]: ...`", l.Name, v.Name, l.Name, v.Slots)
	case l.Slots != v.Slots && v.Slots == 0:
		return bad("label `%s` has one value per slot, but `%s` is not inside a repeat", l.Name, v.Name)
	case l.Slots != v.Slots:
		return bad("label `%s` has %d slots but the repeat of `%s` has %d", l.Name, l.Slots, v.Name, v.Slots)
	}
	return true
}

// otherBlockDefines explains a name that is undefined here but defined in
// the other block: deterministic values are local to their block.
func (c *checker) otherBlockDefines(sc *scope, name string) string {
	for kind, names := range c.blockNames {
		if kind == sc.g.Kind {
			continue
		}
		if p, ok := names[name]; ok {
			return "`" + name + "` is defined in the " + kind + " at " + p.String() + "; values computed with `=` are local to their block"
		}
	}
	return ""
}

// collectBlockNames records the names each block defines, for messages.
func collectBlockNames(b *syntax.Block) map[string]diag.Pos {
	out := map[string]diag.Pos{}
	var walk func([]*syntax.Stmt)
	walk = func(stmts []*syntax.Stmt) {
		for _, s := range stmts {
			if s.Repeat != nil {
				walk(s.Repeat.Stmts)
			} else if _, dup := out[s.Assign.Name.Name]; !dup {
				out[s.Assign.Name.Name] = syntax.Pos(s.Assign.Name.Pos)
			}
		}
	}
	walk(b.Stmts)
	return out
}

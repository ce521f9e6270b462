package check

import (
	"fmt"
	"sort"
	"strings"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// def is a name defined by a statement of a block.
type def struct {
	name   string
	assign *syntax.Assign
	repeat *Repeat
	node   *Node
	state  int // 0 unchecked, 1 being checked, 2 done
	deps   map[*def]bool
	input  bool // reads the data variable (encoder)
}

// prevCheck is a prev(v, init) whose init shape must equal v's, checked
// once every definition is done.
type prevCheck struct {
	d    *def
	init Expr
}

// scope checks one block (encoder or decoder).
type scope struct {
	c        *checker
	g        *Graph
	defs     map[string]*def
	order    []*def
	repeats  []*Repeat
	rsyn     map[*Repeat]*syntax.Repeat
	stack    []*def
	cur      *def
	input    *Node // the data variable, in the encoder
	prevs    []prevCheck
	cycles   map[string]bool
	repeatOf map[*syntax.Stmt]*Repeat
}

func (c *checker) block(b *syntax.Block) *scope {
	sc := &scope{c: c, g: &Graph{Kind: b.Kind}, defs: map[string]*def{}, rsyn: map[*Repeat]*syntax.Repeat{},
		cycles: map[string]bool{}, repeatOf: map[*syntax.Stmt]*Repeat{}}
	if b.Kind == "encoder" && c.data != nil {
		sc.input = &Node{Name: c.data.Name, Op: Input, Var: c.data, Shape: c.data.Shape, Kind: Continuous, Pos: c.dataPos}
	}
	sc.collect(b.Stmts, nil)
	for _, d := range sc.order {
		sc.check(d)
	}
	for _, p := range sc.prevs {
		n := p.d.node
		if n.Shape != nil && p.init.Info().Shape != nil && !n.Shape.Equal(p.init.Info().Shape) {
			in := p.init.Info()
			c.errorAt(in.Pos, in.End, "prev(%s, ...) starts from shape %s, but `%s` has shape %s", n.Name, in.Shape, n.Name, n.Shape)
		}
	}
	for _, r := range sc.repeats {
		sc.repeatCount(r)
	}
	sc.steps()
	return sc
}

// collect records every definition of the block, reporting names defined
// twice, and creates the repeats.
func (sc *scope) collect(stmts []*syntax.Stmt, rep *Repeat) {
	c := sc.c
	for _, s := range stmts {
		if s.Repeat != nil {
			if rep != nil {
				c.errorf(s.Pos, s.EndPos, "a repeat inside a repeat is not supported; flatten the inner loop into the outer one")
				continue
			}
			r := &Repeat{Pos: syntax.Pos(s.Pos)}
			sc.repeats = append(sc.repeats, r)
			sc.rsyn[r] = s.Repeat
			sc.repeatOf[s] = r
			sc.collect(s.Repeat.Stmts, r)
			continue
		}
		a := s.Assign
		name := a.Name.Name
		c.checkName(a.Name)
		if prev, dup := sc.defs[name]; dup {
			d := c.errorf(a.Name.Pos, a.Name.EndPos, "`%s` is defined twice in the %s", name, sc.g.Kind)
			d.Notes = []diag.Note{{Pos: prev.node.Pos, Msg: "first defined here"}}
			continue
		}
		if n, isNet := c.nets[name]; isNet {
			d := c.errorf(a.Name.Pos, a.Name.EndPos, "`%s` is already the name of a network", name)
			d.Notes = []diag.Note{{Pos: n.Pos, Msg: "network declared here"}}
			continue
		}
		if p, isParam := c.params[name]; isParam {
			d := c.errorf(a.Name.Pos, a.Name.EndPos, "`%s` is already the name of a param", name)
			d.Notes = []diag.Note{{Pos: p.Pos, Msg: "param declared here"}}
			continue
		}
		if c.data != nil && name == c.data.Name && sc.g.Kind == "encoder" {
			d := c.errorf(a.Name.Pos, a.Name.EndPos, "the data variable `%s` is observed: the encoder conditions on it and cannot define it", name)
			d.Notes = []diag.Note{{Pos: c.dataPos, Msg: "declared as data here"}}
			continue
		}
		n := &Node{Name: name, Pos: syntax.Pos(a.Name.Pos), End: syntax.Pos(a.EndPos), Repeat: rep}
		if a.IsSample() {
			n.Op = Sample
		} else {
			n.Op = Let
		}
		d := &def{name: name, assign: a, repeat: rep, node: n, deps: map[*def]bool{}}
		sc.defs[name] = d
		sc.order = append(sc.order, d)
	}
}

// check infers the value of a definition, first checking what it reads.
func (sc *scope) check(d *def) {
	if d.state != 0 {
		return
	}
	d.state = 1
	saved := sc.cur
	sc.cur = d
	sc.stack = append(sc.stack, d)
	n := d.node
	a := d.assign
	if a.IsSample() {
		sc.sample(d)
	} else {
		v := sc.c.expr(sc, a.Value)
		n.Value = v
		n.Shape, n.Kind = v.Info().Shape, v.Info().Kind
	}
	sc.stack = sc.stack[:len(sc.stack)-1]
	sc.cur = saved
	d.state = 2
	for dep := range d.deps {
		n.Deps = append(n.Deps, dep.node)
	}
	if d.input {
		n.Deps = append(n.Deps, sc.input)
	}
	sort.Slice(n.Deps, func(i, j int) bool { return n.Deps[i].Pos.Before(n.Deps[j].Pos) })
	sc.g.Nodes = append(sc.g.Nodes, n)
	if d.repeat != nil {
		d.repeat.Nodes = append(d.repeat.Nodes, n)
	}
}

// ref resolves a name read in an expression.
func (sc *scope) ref(id *syntax.Ident) Expr {
	c := sc.c
	info := ExprInfo{Pos: syntax.Pos(id.Pos), End: syntax.Pos(id.EndPos)}
	name := id.Name
	if syntax.IsKeyword(name) {
		c.errorf(id.Pos, id.EndPos, "`%s` is a reserved word and cannot be used as a name", name)
		return &Ref{ExprInfo: info}
	}
	if d, ok := sc.defs[name]; ok {
		if d.repeat != nil && (sc.cur == nil || sc.cur.repeat != d.repeat) {
			e := c.errorf(id.Pos, id.EndPos, "`%s` has one value per slot of its repeat; outside the repeat read all slots with sum_slots(%s)", name, name)
			e.Notes = []diag.Note{{Pos: d.node.Pos, Msg: "defined inside the repeat here"}}
			return &Ref{ExprInfo: info}
		}
		sc.use(d)
		info.Shape, info.Kind = d.node.Shape, d.node.Kind
		return &Ref{ExprInfo: info, Node: d.node}
	}
	if sc.input != nil && name == sc.input.Name {
		if sc.cur != nil {
			sc.cur.input = true
		}
		info.Shape, info.Kind = sc.input.Shape, Continuous
		return &Ref{ExprInfo: info, Node: sc.input}
	}
	if p, ok := c.params[name]; ok {
		return paramRef(p, id)
	}
	if c.failedParams[name] {
		// Its declaration was reported; each read would only repeat it.
		return &Ref{ExprInfo: info}
	}
	if n, ok := c.nets[name]; ok {
		e := c.errorf(id.Pos, id.EndPos, "`%s` is a network; call it on a value, as in %s(h)", name, name)
		e.Notes = []diag.Note{{Pos: n.Pos, Msg: "network declared here"}}
		return &Ref{ExprInfo: info}
	}
	if l, ok := c.labels[name]; ok {
		e := c.errorf(id.Pos, id.EndPos, "`%s` is a label, not a value; bind it to a latent variable with `supervise VAR with %s`", name, name)
		e.Notes = []diag.Note{{Pos: l.Pos, Msg: "label declared here"}}
		return &Ref{ExprInfo: info}
	}
	if c.data != nil && name == c.data.Name {
		e := c.errorf(id.Pos, id.EndPos, "the data variable `%s` is read in the decoder but not drawn there; add `%s ~ ...` to the decoder", name, name)
		e.Notes = []diag.Note{{Pos: c.dataPos, Msg: "declared as data here"}}
		return &Ref{ExprInfo: info}
	}
	e := c.errorf(id.Pos, id.EndPos, "undefined: `%s` in the %s", name, sc.g.Kind)
	e.Suggest = c.otherBlockDefines(sc, name)
	if e.Suggest == "" {
		e.Suggest = diag.DidYouMean(name, sc.visibleNames())
	}
	return &Ref{ExprInfo: info}
}

// use records that the definition being checked reads d, checking d first.
// Reading a definition that is still being checked is a cycle.
func (sc *scope) use(d *def) {
	if sc.cur != nil {
		sc.cur.deps[d] = true
	}
	switch d.state {
	case 0:
		saved := sc.cur
		sc.check(d)
		sc.cur = saved
	case 1:
		sc.reportCycle(d)
	}
}

func (sc *scope) reportCycle(d *def) {
	i := len(sc.stack) - 1
	for i >= 0 && sc.stack[i] != d {
		i--
	}
	if i < 0 {
		return
	}
	members := sc.stack[i:]
	names := make([]string, 0, len(members)+1)
	for _, m := range members {
		names = append(names, m.name)
	}
	key := strings.Join(sortedCopy(names), ",")
	if sc.cycles[key] {
		return
	}
	sc.cycles[key] = true
	names = append(names, d.name)
	e := sc.c.errorf(d.assign.Name.Pos, d.assign.Name.EndPos, "cycle in the %s: %s", sc.g.Kind, strings.Join(names, " -> "))
	for _, m := range members[1:] {
		e.Notes = append(e.Notes, diag.Note{Pos: m.node.Pos, Msg: fmt.Sprintf("`%s` is part of the cycle", m.name)})
	}
	e.Suggest = "a graphical model must be acyclic; in a repeat, read the previous slot's value with prev(v, init)"
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// visibleNames lists the names a reference could mean, for suggestions.
func (sc *scope) visibleNames() []string {
	var names []string
	for n := range sc.defs {
		names = append(names, n)
	}
	if sc.input != nil {
		names = append(names, sc.input.Name)
	}
	return names
}

func (sc *scope) netNames() []string {
	var names []string
	for n := range sc.c.nets {
		names = append(names, n)
	}
	return names
}

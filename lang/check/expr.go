package check

import (
	"strconv"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// expr checks an expression in a block's scope.
func (c *checker) expr(sc *scope, e *syntax.Expr) Expr {
	x := c.term(sc, e.Left)
	for _, r := range e.Rest {
		y := c.term(sc, r.Term)
		x = c.binary(r.Op[0], x, y)
	}
	return x
}

func (c *checker) term(sc *scope, t *syntax.Term) Expr {
	x := c.unary(sc, t.Left)
	for _, r := range t.Rest {
		y := c.unary(sc, r.Factor)
		x = c.binary(r.Op[0], x, y)
	}
	return x
}

func (c *checker) unary(sc *scope, u *syntax.Unary) Expr {
	x := c.primary(sc, u.Primary)
	if !u.Neg {
		return x
	}
	info := *x.Info()
	info.Pos = syntax.Pos(u.Pos)
	if k, ok := x.(*Const); ok {
		return &Const{ExprInfo: info, Value: -k.Value}
	}
	if info.Shape != nil && !c.continuous(x, "negation") {
		info.Shape = nil
	}
	return &Neg{ExprInfo: info, X: x}
}

func (c *checker) primary(sc *scope, p *syntax.Primary) Expr {
	info := ExprInfo{Pos: syntax.Pos(p.Pos), End: syntax.Pos(p.EndPos)}
	switch {
	case p.Number != nil:
		v, err := strconv.ParseFloat(p.Number.Text, 64)
		if err != nil {
			c.errorf(p.Pos, p.EndPos, "bad number %q", p.Number.Text)
			return &Const{ExprInfo: info}
		}
		info.Shape = Shape{}
		return &Const{ExprInfo: info, Value: v}
	case p.List != nil:
		// A list of numbers in a value position is a constant vector.
		vals := make([]float64, 0, len(p.List.Elems))
		for _, e := range p.List.Elems {
			v, ok := constNumber(e)
			if !ok {
				c.errorf(e.Pos, e.EndPos, "a list value holds numeric constants only, as in [0.4, 0, 0]")
				return &Call{ExprInfo: info, Func: "vector"}
			}
			vals = append(vals, v)
		}
		if len(vals) == 0 {
			c.errorf(p.Pos, p.EndPos, "an empty list is not a value")
			return &Call{ExprInfo: info, Func: "vector"}
		}
		info.Shape = Shape{len(vals)}
		return &Call{ExprInfo: info, Func: "vector", Floats: vals}
	case p.Paren != nil:
		x := c.expr(sc, p.Paren)
		return x
	case p.Ref != nil:
		return sc.ref(p.Ref)
	case p.Call != nil:
		name := p.Call.Func.Name
		if n, ok := c.nets[name]; ok {
			return c.netCall(sc, n, p.Call)
		}
		if c.failedNets[name] {
			// Its declaration was reported; each call would only repeat it.
			c.args(sc, p.Call)
			return &Call{ExprInfo: info}
		}
		if isDist(name) {
			c.errorf(p.Call.Func.Pos, p.Call.Func.EndPos, "distribution %s can only be drawn from on the right of `~`, as in v ~ %s(...)", name, name)
			return &Call{ExprInfo: info}
		}
		if syntax.IsKeyword(name) {
			c.errorf(p.Call.Func.Pos, p.Call.Func.EndPos, "`%s` is a reserved word and cannot be used as a name", name)
			return &Call{ExprInfo: info}
		}
		return c.call(sc, p.Call)
	}
	return &Const{ExprInfo: info}
}

// binary checks element-wise arithmetic. `*` also accepts discrete values
// (a one-hot mask); the other operators need continuous ones.
func (c *checker) binary(op byte, x, y Expr) Expr {
	xi, yi := x.Info(), y.Info()
	info := ExprInfo{Pos: xi.Pos, End: yi.End, Kind: Continuous}
	out := &Binary{ExprInfo: info, Op: op, X: x, Y: y}
	if xi.Shape == nil || yi.Shape == nil {
		return out
	}
	if kx, ok := x.(*Const); ok {
		if ky, ok := y.(*Const); ok {
			return &Const{ExprInfo: ExprInfo{Pos: xi.Pos, End: yi.End, Shape: Shape{}}, Value: fold(op, kx.Value, ky.Value)}
		}
	}
	if op != '*' {
		if !c.continuous(x, "`"+string(op)+"`") || !c.continuous(y, "`"+string(op)+"`") {
			return out
		}
	}
	out.Shape = c.broadcast(x, y, "`"+string(op)+"`")
	return out
}

func fold(op byte, a, b float64) float64 {
	switch op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	}
	return a / b
}

// sample checks the right side of `name ~ Dist(...)`.
func (sc *scope) sample(d *def) {
	c := sc.c
	a := d.assign
	n := d.node
	call := a.Value.Left.Left.Primary.Call
	if len(a.Value.Rest) > 0 || len(a.Value.Left.Rest) > 0 || a.Value.Left.Left.Neg || call == nil {
		e := c.errorf(a.Value.Pos, a.Value.EndPos, "the right side of `~` must be a distribution, such as Normal(loc: m, scale: s)")
		e.Suggest = "use `=` for a deterministic value"
		return
	}
	name := call.Func.Name
	if !isDist(name) {
		e := c.errorf(call.Func.Pos, call.Func.EndPos, "unknown distribution `%s`", name)
		e.Suggest = diag.DidYouMean(name, DistNames())
		if e.Suggest == "" {
			e.Suggest = "distributions are " + join(DistNames())
			if isFunc(name) || c.nets[name] != nil {
				e.Suggest = "use `=` for a deterministic value; distributions are " + join(DistNames())
			}
		}
		return
	}
	fam, _ := LookupFamily(name)
	dist := &Dist{Family: name, Pos: syntax.Pos(call.Pos)}
	n.Dist = dist
	switch fam.Params {
	case LocScale:
		b, ok := c.bind(call, name, []param{{name: "loc", required: true, positional: true}, {name: "scale", required: true, positional: true}, {name: "shape"}})
		if !ok {
			return
		}
		dist.Loc = c.expr(sc, b["loc"].Value)
		dist.Scale = c.expr(sc, b["scale"].Value)
		if dist.Loc.Info().Shape == nil || dist.Scale.Info().Shape == nil {
			return
		}
		if !c.continuous(dist.Loc, name+"'s loc") || !c.continuous(dist.Scale, name+"'s scale") {
			return
		}
		s := c.broadcast(dist.Loc, dist.Scale, name)
		if s == nil {
			return
		}
		if sa, has := b["shape"]; has {
			dims, ok := c.intListArg(sa.Value, name+"'s shape")
			if !ok {
				return
			}
			if len(s) > 0 && !s.Equal(Shape(dims)) {
				c.errorf(sa.Pos, sa.EndPos, "%s's shape %s does not match the shape %s of its parameters", name, Shape(dims), s)
				return
			}
			s = Shape(dims)
		}
		dist.Shape = s
		n.Shape, n.Kind = s, fam.Value
	case LogitsOrProbs:
		b, ok := c.bind(call, name, []param{{name: "logits"}, {name: "probs"}})
		if !ok {
			return
		}
		la, hasL := b["logits"]
		pa, hasP := b["probs"]
		if hasL == hasP {
			e := c.errorf(call.Pos, call.EndPos, "%s needs exactly one of `logits:` or `probs:`", name)
			e.Suggest = "for example " + name + "(logits: net(h))"
			return
		}
		var p Expr
		if hasL {
			p = c.expr(sc, la.Value)
			dist.Logits = p
		} else {
			p = c.expr(sc, pa.Value)
			dist.Probs = p
		}
		if p.Info().Shape == nil || !c.continuous(p, name+"'s parameter") {
			return
		}
		s := p.Info().Shape
		if fam.Classes && (len(s) != 1 || s[0] < 2) {
			in := p.Info()
			c.errorAt(in.Pos, in.End, "%s needs a vector of at least 2 class scores, got shape %s", name, s)
			return
		}
		dist.Shape = s
		n.Shape, n.Kind = s, fam.Value
		if fam.DataOnly != "" && (c.data == nil || d.name != c.data.Name) {
			e := c.errorf(a.Name.Pos, a.Name.EndPos, "a %s latent variable cannot be reparameterised", name)
			e.Suggest = fam.DataOnly
		}
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

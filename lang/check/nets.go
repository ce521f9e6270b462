package check

import (
	"fmt"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// netDecl checks a `net` declaration and returns the network it declares.
func (c *checker) netDecl(d *syntax.NetDecl) *Net {
	n := &Net{Name: d.Name.Name, Pos: syntax.Pos(d.Name.Pos)}
	kind := d.Kind.Func.Name
	k, ok := lookupNetKind(kind)
	if !ok {
		e := c.errorf(d.Kind.Func.Pos, d.Kind.Func.EndPos, "unknown network kind `%s`", kind)
		e.Suggest = diag.DidYouMean(kind, netKindNames())
		if e.Suggest == "" {
			e.Suggest = fmt.Sprintf("network kinds are %v", netKindNames())
		}
		return nil
	}
	n.Kind = kind
	b, ok := c.bind(d.Kind, kind, k.params)
	if !ok {
		return nil
	}
	if !k.decl(&netArgs{c: c, d: d, b: b, ok: true}, n) {
		return nil
	}
	return n
}

// netOut computes the output shape of n for an input shape, or an error
// message.
func netOut(n *Net, in Shape) (Shape, string) {
	k, ok := lookupNetKind(n.Kind)
	if !ok {
		return nil, "unknown network kind " + n.Kind
	}
	return k.out(n, in)
}

// netCall checks a call of a named network at a use site and infers or
// checks its input shape.
func (c *checker) netCall(sc *scope, n *Net, call *syntax.Call) Expr {
	info := ExprInfo{Pos: syntax.Pos(call.Pos), End: syntax.Pos(call.EndPos)}
	kind, _ := lookupNetKind(n.Kind)
	want := 1
	if kind.state {
		want = 2
	}
	for _, a := range call.Args {
		if a.Name != nil {
			c.errorf(a.Name.Pos, a.Name.EndPos, "network `%s` takes its inputs by position, not by name", n.Name)
			return &Call{ExprInfo: info}
		}
	}
	if len(call.Args) != want {
		if kind.state {
			c.errorf(call.Pos, call.EndPos, "%s `%s` takes 2 arguments (input, state), got %d", n.Kind, n.Name, len(call.Args))
		} else {
			c.errorf(call.Pos, call.EndPos, "network `%s` takes 1 argument, got %d; to feed several values use concat(a, b)", n.Name, len(call.Args))
		}
		return &Call{ExprInfo: info}
	}
	args := make([]Expr, len(call.Args))
	bad := false
	for i, a := range call.Args {
		args[i] = c.expr(sc, a.Value)
		if args[i].Info().Shape == nil {
			bad = true
		}
	}
	if bad {
		return &NetCall{ExprInfo: info, Net: n, Args: args}
	}
	in := args[0].Info().Shape
	out, msg := netOut(n, in)
	if msg != "" {
		c.errorf(call.Args[0].Pos, call.Args[0].EndPos, "%s", msg)
		return &NetCall{ExprInfo: info, Net: n, Args: args}
	}
	if kind.state {
		st := args[1].Info()
		if !st.Shape.Equal(out) {
			c.errorAt(st.Pos, st.End, "%s `%s` state has shape %s, but its hidden size is %d", n.Kind, n.Name, st.Shape, n.Hidden[0])
			return &NetCall{ExprInfo: info, Net: n, Args: args}
		}
		if st.Kind == Discrete {
			c.errorAt(st.Pos, st.End, "%s `%s` state must be continuous, but it is a discrete value", n.Kind, n.Name)
		}
	}
	if n.In == nil {
		n.In = in
		n.OutShape = out
		n.FirstUse = info.Pos
	} else if !n.In.Equal(in) {
		d := c.errorf(call.Args[0].Pos, call.Args[0].EndPos,
			"network `%s` is called with input shape %s here, but with %s before; its parameters are shared, so every call needs the same input shape", n.Name, in, n.In)
		d.Notes = []diag.Note{{Pos: n.FirstUse, Msg: "first called here"}}
	}
	n.Uses++
	info.Shape = out
	info.Kind = Continuous
	return &NetCall{ExprInfo: info, Net: n, Args: args}
}

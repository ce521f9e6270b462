package check

import (
	"fmt"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// netKinds lists the network kinds and their parameters.
func netKinds() map[string][]param {
	kinds := map[string][]param{
		"linear": {{name: "out", required: true, positional: true}, {name: "act"}},
		"mlp":    {{name: "hidden", required: true, positional: true}, {name: "out"}, {name: "act"}, {name: "out_act"}},
		"gru":    {{name: "hidden", required: true, positional: true}},
	}
	for _, k := range imageKinds() {
		kinds[k.name] = []param{{name: "channels", required: true, positional: true}, {name: "kernel"}, {name: "stride"}, {name: "padding"}, {name: "act"}, {name: "out_act"}}
	}
	return kinds
}

func netKindNames() []string {
	names := []string{"linear", "mlp"}
	for _, k := range imageKinds() {
		names = append(names, k.name)
	}
	return append(names, "gru")
}

// netDecl checks a `net` declaration and returns the network it declares.
func (c *checker) netDecl(d *syntax.NetDecl) *Net {
	n := &Net{Name: d.Name.Name, Pos: syntax.Pos(d.Name.Pos)}
	kind := d.Kind.Func.Name
	params, ok := netKinds()[kind]
	if !ok {
		e := c.errorf(d.Kind.Func.Pos, d.Kind.Func.EndPos, "unknown network kind `%s`", kind)
		e.Suggest = diag.DidYouMean(kind, netKindNames())
		if e.Suggest == "" {
			e.Suggest = fmt.Sprintf("network kinds are %v", netKindNames())
		}
		return nil
	}
	n.Kind = kind
	b, ok := c.bind(d.Kind, kind, params)
	if !ok {
		return nil
	}
	good := true
	get := func(name string) *syntax.Expr {
		if a, has := b[name]; has {
			return a.Value
		}
		return nil
	}
	intOr := func(name string, def, min int) int {
		e := get(name)
		if e == nil {
			return def
		}
		v, ok := c.intArg(e, "`"+name+"`", min)
		good = good && ok
		return v
	}
	actOr := func(name, def string) string {
		e := get(name)
		if e == nil {
			return def
		}
		v, ok := c.actArg(e, "`"+name+"`")
		good = good && ok
		return v
	}
	listOr := func(name string) []int {
		e := get(name)
		if e == nil {
			return nil
		}
		v, ok := c.intListArg(e, "`"+name+"`")
		good = good && ok
		return v
	}
	switch kind {
	case "linear":
		n.Out = intOr("out", 0, 1)
		n.Act = actOr("act", "none")
		n.OutAct = n.Act
	case "mlp":
		n.Hidden = listOr("hidden")
		n.Out = intOr("out", 0, 1)
		n.Act = actOr("act", "relu")
		n.OutAct = actOr("out_act", "none")
		if n.Out == 0 && get("out_act") != nil {
			a := b["out_act"]
			c.errorf(a.Pos, a.EndPos, "`out_act` needs `out`: without an output layer the last hidden layer uses `act`")
			good = false
		}
		if len(n.Hidden) == 0 && n.Out == 0 && good {
			c.errorf(d.Kind.Pos, d.Kind.EndPos, "an mlp needs at least one layer: give `hidden` a size or add `out`")
			good = false
		}
	case "gru":
		h := intOr("hidden", 0, 1)
		n.Hidden = []int{h}
	default:
		ik, _ := lookupImageKind(kind)
		n.Channels = listOr("channels")
		if len(n.Channels) == 0 && good {
			c.errorf(d.Kind.Pos, d.Kind.EndPos, "%s needs at least one layer in `channels`", kind)
			good = false
		}
		n.Kernel = intOr("kernel", ik.kernel, 1)
		n.Stride = intOr("stride", ik.stride, 1)
		n.Padding = intOr("padding", ik.padding(n.Kernel), 0)
		n.Act = actOr("act", "relu")
		outAct := ik.outAct
		if outAct == "" {
			outAct = n.Act
		}
		n.OutAct = actOr("out_act", outAct)
	}
	if !good {
		return nil
	}
	return n
}

// netOut computes the output shape of n for an input shape, or an error
// message.
func netOut(n *Net, in Shape) (Shape, string) {
	switch n.Kind {
	case "linear", "mlp":
		if len(in) != 1 {
			return nil, fmt.Sprintf("%s `%s` needs a vector input, got shape %s; flatten it first with flatten(...)", n.Kind, n.Name, in)
		}
		if n.Out > 0 {
			return Shape{n.Out}, ""
		}
		return Shape{n.Hidden[len(n.Hidden)-1]}, ""
	case "gru":
		if len(in) != 1 {
			return nil, fmt.Sprintf("gru `%s` needs a vector input, got shape %s; flatten it first with flatten(...)", n.Name, in)
		}
		return Shape{n.Hidden[0]}, ""
	}
	if ik, ok := lookupImageKind(n.Kind); ok {
		if len(in) != 3 {
			return nil, fmt.Sprintf("%s `%s` needs an image input [channels, height, width], got shape %s; reshape it first with reshape(..., [c, h, w])", n.Kind, n.Name, in)
		}
		h, w := in[1], in[2]
		k, s, p := int64(n.Kernel), int64(n.Stride), int64(n.Padding)
		for i := range n.Channels {
			h, w = int(ik.size(int64(h), k, s, p)), int(ik.size(int64(w), k, s, p))
			if h < 1 || w < 1 {
				return nil, fmt.Sprintf("%s `%s` shrinks its input %s to nothing at layer %d (kernel %d, stride %d, padding %d)", n.Kind, n.Name, in, i+1, n.Kernel, n.Stride, n.Padding)
			}
		}
		return Shape{n.Channels[len(n.Channels)-1], h, w}, ""
	}
	return nil, "unknown network kind " + n.Kind
}

// netCall checks a call of a named network at a use site and infers or
// checks its input shape.
func (c *checker) netCall(sc *scope, n *Net, call *syntax.Call) Expr {
	info := ExprInfo{Pos: syntax.Pos(call.Pos), End: syntax.Pos(call.EndPos)}
	want := 1
	if n.Kind == "gru" {
		want = 2
	}
	for _, a := range call.Args {
		if a.Name != nil {
			c.errorf(a.Name.Pos, a.Name.EndPos, "network `%s` takes its inputs by position, not by name", n.Name)
			return &Call{ExprInfo: info}
		}
	}
	if len(call.Args) != want {
		if n.Kind == "gru" {
			c.errorf(call.Pos, call.EndPos, "gru `%s` takes 2 arguments (input, state), got %d", n.Name, len(call.Args))
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
	if n.Kind == "gru" {
		st := args[1].Info()
		if !st.Shape.Equal(Shape{n.Hidden[0]}) {
			c.errorAt(st.Pos, st.End, "gru `%s` state has shape %s, but its hidden size is %d", n.Name, st.Shape, n.Hidden[0])
			return &NetCall{ExprInfo: info, Net: n, Args: args}
		}
		if st.Kind == Discrete {
			c.errorAt(st.Pos, st.End, "gru `%s` state must be continuous, but it is a discrete value", n.Name)
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

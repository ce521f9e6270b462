package check

// mlpKind: mlp(hidden, out:, act: relu, out_act: none), dense hidden
// layers of the sizes in `hidden` and an optional output layer.
func mlpKind() netKind {
	return netKind{
		name:   "mlp",
		params: []param{{name: "hidden", required: true, positional: true}, {name: "out"}, {name: "act"}, {name: "out_act"}},
		block:  "MLP",
		decl: func(a *netArgs, n *Net) bool {
			n.Hidden = a.listOr("hidden")
			n.Out = a.intOr("out", 0, 1)
			n.Act = a.actOr("act", "relu")
			n.OutAct = a.actOr("out_act", "none")
			if n.Out == 0 && a.get("out_act") != nil {
				arg := a.b["out_act"]
				a.c.errorf(arg.Pos, arg.EndPos, "`out_act` needs `out`: without an output layer the last hidden layer uses `act`")
				a.ok = false
			}
			if len(n.Hidden) == 0 && n.Out == 0 && a.ok {
				a.c.errorf(a.d.Kind.Pos, a.d.Kind.EndPos, "an mlp needs at least one layer: give `hidden` a size or add `out`")
				a.ok = false
			}
			return a.ok
		},
		out: func(n *Net, in Shape) (Shape, string) {
			if msg := vectorIn(n, in); msg != "" {
				return nil, msg
			}
			if n.Out > 0 {
				return Shape{n.Out}, ""
			}
			return Shape{n.Hidden[len(n.Hidden)-1]}, ""
		},
		count: func(n *Net) int64 {
			var p int64
			in := n.In.elements()
			for _, h := range n.Hidden {
				p = addSat(p, dense(in, int64(h)))
				in = int64(h)
			}
			if n.Out > 0 {
				p = addSat(p, dense(in, int64(n.Out)))
			}
			return p
		},
		layers: func(n *Net) []int64 {
			var out []int64
			for _, h := range n.Hidden {
				out = append(out, int64(h))
			}
			if n.Out > 0 {
				out = append(out, int64(n.Out))
			}
			return out
		},
	}
}

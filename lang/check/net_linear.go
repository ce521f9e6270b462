package check

// linearKind: linear(out, act: none), one dense layer.
func linearKind() netKind {
	return netKind{
		name:   "linear",
		params: []param{{name: "out", required: true, positional: true}, {name: "act"}},
		block:  "Linear",
		decl: func(a *netArgs, n *Net) bool {
			n.Out = a.intOr("out", 0, 1)
			n.Act = a.actOr("act", "none")
			n.OutAct = n.Act
			return a.ok
		},
		out: func(n *Net, in Shape) (Shape, string) {
			if msg := vectorIn(n, in); msg != "" {
				return nil, msg
			}
			return Shape{n.Out}, ""
		},
		count:  func(n *Net) int64 { return dense(n.In.elements(), int64(n.Out)) },
		layers: func(n *Net) []int64 { return []int64{int64(n.Out)} },
	}
}

package check

// gruKind: gru(hidden), a GRU cell called as net(input, state) with a
// state of size hidden, returning the next state.
func gruKind() netKind {
	return netKind{
		name:   "gru",
		params: []param{{name: "hidden", required: true, positional: true}},
		block:  "GRU",
		state:  true,
		decl: func(a *netArgs, n *Net) bool {
			n.Hidden = []int{a.intOr("hidden", 0, 1)}
			return a.ok
		},
		out: func(n *Net, in Shape) (Shape, string) {
			if msg := vectorIn(n, in); msg != "" {
				return nil, msg
			}
			return Shape{n.Hidden[0]}, ""
		},
		count: func(n *Net) int64 {
			in, h := n.In.elements(), int64(n.Hidden[0])
			return addSat(addSat(mulSat(3, mulSat(in, h)), mulSat(3, mulSat(h, h))), mulSat(4, h))
		},
		layers: func(n *Net) []int64 { return []int64{int64(n.Hidden[0])} },
	}
}

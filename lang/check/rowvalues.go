package check

// RowValues estimates how many values one row of a training step computes
// (a row is one data point, sample and enumerated value): every
// intermediate value of every expression of the encoder and the decoder,
// every hidden and output layer of each network call, and for each
// stochastic node its value, its parameters broadcast to its shape and its
// noise, with a repeat's nodes counted once per slot. The compiler
// multiplies it by the rows of a branch and the bytes of a value to bound
// a step's memory before allocating (saturating at math.MaxInt64).
func RowValues(m *Model) int64 {
	var total int64
	for _, g := range []*Graph{m.Encoder, m.Decoder} {
		if g == nil {
			continue
		}
		for _, st := range g.Steps {
			nodes, slots := []*Node{st.Node}, int64(1)
			if r := st.Repeat; r != nil {
				nodes, slots = r.Nodes, int64(r.Max)
			}
			for _, n := range nodes {
				if n != nil {
					total = addSat(total, mulSat(slots, nodeValues(n)))
				}
			}
		}
	}
	return total
}

// nodeValues is RowValues for one node in one slot.
func nodeValues(n *Node) int64 {
	switch n.Op {
	case Input:
		return n.Shape.elements()
	case Let:
		return exprValues(n.Value)
	}
	v := n.Shape.elements()
	if n.Var != nil {
		v = n.Var.Shape.elements()
	}
	total := mulSat(3, v) // value, noise (or one-hot), log-density terms
	if d := n.Dist; d != nil {
		for _, e := range []Expr{d.Loc, d.Scale, d.Logits, d.Probs} {
			if e != nil {
				total = addSat(total, addSat(exprValues(e), v)) // and broadcast to the value's shape
			}
		}
	}
	return total
}

// exprValues counts the values an expression computes: its own and those
// of its sub-expressions and of the layers of the networks it calls. A
// reference reads a value counted where it is defined.
func exprValues(e Expr) int64 {
	if e == nil {
		return 0
	}
	var kids []Expr
	own := e.Info().Shape.elements()
	switch x := e.(type) {
	case *Ref, *Const, *ParamRef:
		return 0
	case *Prev:
		kids = []Expr{x.Init}
	case *NetCall:
		kids = x.Args
		if x.Net != nil {
			own = 0
			for _, l := range netLayers(x.Net) {
				own = addSat(own, l)
			}
		}
	case *Call:
		kids = x.Args
	case *Binary:
		kids = []Expr{x.X, x.Y}
	case *Neg:
		kids = []Expr{x.X}
	}
	total := own
	for _, k := range kids {
		total = addSat(total, exprValues(k))
	}
	return total
}

package compiler

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// applyNet applies the named network n to its lowered arguments in graph
// g. Parameters are named NET.lI.W / NET.lI.b and shared by every call and
// every graph.
func (p *Program) applyNet(g *G.ExprGraph, n *check.Net, args []*G.Node) (*G.Node, error) {
	switch n.Kind {
	case "linear":
		return p.dense(g, n.Name+".l0", args[0], n.In.Size(), n.Out, n.Act)
	case "mlp":
		x := args[0]
		in := n.In.Size()
		for i, h := range n.Hidden {
			var err error
			x, err = p.dense(g, fmt.Sprintf("%s.l%d", n.Name, i), x, in, h, n.Act)
			if err != nil {
				return nil, err
			}
			in = h
		}
		if n.Out > 0 {
			return p.dense(g, fmt.Sprintf("%s.l%d", n.Name, len(n.Hidden)), x, in, n.Out, n.OutAct)
		}
		return x, nil
	}
	return p.applyNetNN(g, n, args)
}

// dense is act(x W + b) for x [R, in], W [in, out], b [out].
func (p *Program) dense(g *G.ExprGraph, name string, x *G.Node, in, out int, act string) (*G.Node, error) {
	gain := 1.0
	if act == "relu" || act == "elu" || act == "leaky_relu" {
		gain = 1.4142135623730951
	}
	w, err := p.params.node(g, name+".W", []int{in, out}, initUniform, in, out, gain)
	if err != nil {
		return nil, err
	}
	b, err := p.params.node(g, name+".b", []int{out}, initZero, 0, 0, 0)
	if err != nil {
		return nil, err
	}
	a, err := ops.ParseAct(act)
	if err != nil {
		return nil, err
	}
	xw, err := G.Mul(x, w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ops.BiasAct(xw, b, 1, a)
}

package nn

import (
	"fmt"
	"math/rand/v2"

	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// GRU is a gated recurrent unit cell (the PyTorch GRUCell equations):
//
//	r  = σ(x·Wxr + h·Whr + br)
//	z  = σ(x·Wxz + h·Whz + bz)
//	n  = tanh(x·Wxn + bxn + r ⊙ (h·Whn + bhn))
//	h' = (1 − z) ⊙ n + z ⊙ h
type GRU struct {
	name             string
	In, Hidden       int
	wx, wh           [3]*Param // r, z, n
	br, bz, bxn, bhn *Param
	ps               *Params
}

// NewGRU registers a GRU cell with parameters name.Wxr, name.Wxz, name.Wxn
// [in, hidden], name.Whr, name.Whz, name.Whn [hidden, hidden] (Glorot
// uniform from r) and biases name.br, name.bz, name.bxn, name.bhn [hidden]
// (zero).
func NewGRU(ps *Params, name string, r *rand.Rand, in, hidden int) (*GRU, error) {
	if in < 1 || hidden < 1 {
		return nil, fmt.Errorf("gru %s: sizes must be positive (in %d, hidden %d)", name, in, hidden)
	}
	if r == nil {
		return nil, fmt.Errorf("gru %s: nil *rand.Rand", name)
	}
	c := &GRU{name: name, In: in, Hidden: hidden, ps: ps}
	var err error
	for i, gate := range []string{"r", "z", "n"} {
		if c.wx[i], err = ps.add(name+".Wx"+gate, []int{in, hidden}, uniform(r, initLimit(ops.Sigmoid, in, hidden))); err != nil {
			return nil, err
		}
	}
	for i, gate := range []string{"r", "z", "n"} {
		if c.wh[i], err = ps.add(name+".Wh"+gate, []int{hidden, hidden}, uniform(r, initLimit(ops.Sigmoid, hidden, hidden))); err != nil {
			return nil, err
		}
	}
	for _, b := range []struct {
		p    **Param
		name string
	}{{&c.br, "br"}, {&c.bz, "bz"}, {&c.bxn, "bxn"}, {&c.bhn, "bhn"}} {
		if *b.p, err = ps.add(name+"."+b.name, []int{hidden}, zero); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Name returns the cell's prefix.
func (c *GRU) Name() string { return c.name }

// Params returns the cell's parameters in creation order.
func (c *GRU) Params() []*Param {
	return []*Param{c.wx[0], c.wx[1], c.wx[2], c.wh[0], c.wh[1], c.wh[2], c.br, c.bz, c.bxn, c.bhn}
}

// OutShape returns [Hidden] (the new state) for an input of In elements.
func (c *GRU) OutShape(in []int) ([]int, error) {
	n, err := size("gru "+c.name, in)
	if err != nil {
		return nil, err
	}
	if n != c.In {
		return nil, fmt.Errorf("gru %s: input %v has %d elements, want %d", c.name, in, n, c.In)
	}
	return []int{c.Hidden}, nil
}

// Step returns the next state h' [B, Hidden] for input x [B, In] and state
// h [B, Hidden].
func (c *GRU) Step(g *G.ExprGraph, x, h *G.Node) (*G.Node, error) {
	what := "gru " + c.name
	if err := input(what, g, x, c.In); err != nil {
		return nil, err
	}
	if err := input(what+" state", g, h, c.Hidden); err != nil {
		return nil, err
	}
	if x.Shape()[0] != h.Shape()[0] {
		return nil, fmt.Errorf("%s: input has %d rows, state %d", what, x.Shape()[0], h.Shape()[0])
	}
	node := func(p *Param) *G.Node {
		n, err := c.ps.Node(g, p)
		if err != nil {
			panic(err) // recovered by ops.Safe below
		}
		return n
	}
	return ops.Safe(what, func() (*G.Node, error) {
		mul := func(a *G.Node, p *Param) *G.Node { return G.Must(ops.MatMul(a, node(p))) }
		gate := func(i int, b *Param) *G.Node {
			s := G.Must(G.Add(mul(x, c.wx[i]), mul(h, c.wh[i])))
			return G.Must(ops.BiasAct(s, node(b), 1, ops.Sigmoid))
		}
		r, z := gate(0, c.br), gate(1, c.bz)
		hn := G.Must(ops.BiasAct(mul(h, c.wh[2]), node(c.bhn), 1, ops.None))
		xn := G.Must(ops.BiasAct(mul(x, c.wx[2]), node(c.bxn), 1, ops.None))
		n := G.Must(ops.Activate(G.Must(G.Add(xn, G.Must(G.HadamardProd(r, hn)))), ops.Tanh))
		// h' = n + z ⊙ (h − n)
		return G.Add(n, G.Must(G.HadamardProd(z, G.Must(G.Sub(h, n)))))
	})
}

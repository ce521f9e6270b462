package compiler

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"ssdgm/compiler/nn"
	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// A branch with E·S > 1 rows per data point computes every value that
// depends on the data alone (and on parameters and constants) once per data
// point, in a shadow branch of B rows (branch.small), and tiles it to the
// R = E·S·B rows after: row r = (e·S + s)·B + b of the tiled value is row b.
// The data input itself is such a value. A network applied to a
// concatenation of data-only and other parts splits its first layer by
// input block, x·W = Σ_i x_i·W_i, so that the data-only products are B-row
// products too. Gradients flow back through TileRows' adjoint, the sum over
// the E·S copies.

// tileKey names one lowered expression of a shadow branch.
type tileKey struct {
	e    check.Expr
	slot int
	enc  bool
}

// newSmall returns b's shadow branch of B rows.
func (b *branch) newSmall() *branch {
	s := newBranch(b.p, plan{name: b.name + ".data", observed: b.observed})
	s.lay, s.R, s.memo = layout{B: b.lay.B, S: 1, E: 1}, b.lay.B, map[tileKey]*G.Node{}
	return s
}

// dataOnly reports whether e depends on nothing but the data, parameters
// and constants (pure), and whether it reads the data at all (usesX).
func dataOnly(e check.Expr) (pure, usesX bool) {
	all := func(es ...check.Expr) (bool, bool) {
		p, u := true, false
		for _, a := range es {
			ap, au := dataOnly(a)
			p, u = p && ap, u || au
		}
		return p, u
	}
	switch e := e.(type) {
	case *check.Const, *check.ParamRef:
		return true, false
	case *check.Ref:
		switch {
		case e.Node.Op == check.Input:
			return true, true
		case e.Node.Op == check.Let && e.Node.Repeat == nil:
			return dataOnly(e.Node.Value)
		}
		return false, false
	case *check.Neg:
		return dataOnly(e.X)
	case *check.Binary:
		return all(e.X, e.Y)
	case *check.NetCall:
		return all(e.Args...)
	case *check.Call:
		if e.Func == "sum_slots" {
			return false, false
		}
		return all(e.Args...)
	}
	return false, false
}

// tileable reports whether e is worth computing in the shadow branch: it
// reads the data, reads nothing else per row, and computes something (not
// just the data input, which is tiled already).
func tileable(e check.Expr) bool {
	if pure, usesX := dataOnly(e); !pure || !usesX {
		return false
	}
	for {
		switch x := e.(type) {
		case *check.Ref:
			if x.Node.Op == check.Input {
				return false
			}
			return true
		case *check.Call:
			if (x.Func == "flatten" || x.Func == "reshape") && len(x.Args) == 1 {
				e = x.Args[0]
				continue
			}
		}
		return true
	}
}

// tiled lowers a tileable e in the shadow branch and tiles it to R rows.
func (b *branch) tiled(e check.Expr, slot int, encoder bool) (*G.Node, error) {
	key := tileKey{e, slot, encoder}
	if n, ok := b.tiles[key]; ok {
		return n, nil
	}
	v, err := b.small.expr(e, slot, encoder)
	if err != nil {
		return nil, err
	}
	if v, err = tileTo(v, b.R/b.lay.B); err != nil {
		return nil, err
	}
	b.tiles[key] = v
	return v, nil
}

// splitNetCall lowers net(concat(parts…)) for a linear or MLP network with
// some data-only parts by splitting the first layer by input block; ok is
// false when the call does not have that form.
func (b *branch) splitNetCall(e *check.NetCall, slot int, encoder bool) (out *G.Node, ok bool, err error) {
	if len(e.Args) != 1 {
		return nil, false, nil
	}
	c, isCall := e.Args[0].(*check.Call)
	if !isCall || c.Func != "concat" {
		return nil, false, nil
	}
	small := make([]bool, len(c.Args))
	hoist := make([]bool, len(c.Args)) // invariant across enumerated rows (hoist.go)
	any := false
	for i, a := range c.Args {
		pure, usesX := dataOnly(a)
		small[i] = pure && usesX
		hoist[i] = !small[i] && b.pt != nil && b.hoistable(a, slot)
		any = any || small[i] || hoist[i]
	}
	first, rest, isLinear := b.p.w.layers(e.Net)
	if !any || !isLinear {
		return nil, false, nil
	}
	ps := b.p.w.Params
	W, err := ps.Node(b.p.g, first.W)
	if err != nil {
		return nil, true, err
	}
	bias, err := ps.Node(b.p.g, first.B)
	if err != nil {
		return nil, true, err
	}
	var pre *G.Node
	off := 0
	for i, a := range c.Args {
		width := a.Info().Shape.Size()
		var x *G.Node
		switch {
		case small[i]:
			x, err = b.small.full(a, slot, encoder, width)
		case hoist[i]:
			x, err = b.pt.full(a, slot, encoder, width)
		default:
			x, err = b.full(a, slot, encoder, width)
		}
		if err != nil {
			return nil, true, err
		}
		w, err := ops.RowRange(W, off, off+width)
		if err != nil {
			return nil, true, err
		}
		off += width
		xw, err := ops.Safe("split "+first.Name(), func() (*G.Node, error) { return ops.MatMul(x, w) })
		if err != nil {
			return nil, true, err
		}
		switch {
		case small[i]:
			xw, err = tileTo(xw, b.R/b.lay.B)
		case hoist[i]:
			xw, err = b.spread(xw)
		}
		if err != nil {
			return nil, true, err
		}
		if pre == nil {
			pre = xw
		} else if pre, err = G.Add(pre, xw); err != nil {
			return nil, true, err
		}
	}
	if off != first.In {
		return nil, true, fmt.Errorf("network %s: concatenation has %d values, want %d", e.Net.Name, off, first.In)
	}
	h, err := ops.BiasAct(pre, bias, 1, first.Act)
	if err != nil {
		return nil, true, err
	}
	for _, l := range rest {
		if h, err = l.Apply(b.p.g, h); err != nil {
			return nil, true, err
		}
	}
	return h, true, nil
}

// layers returns the linear layers of a linear or MLP network.
func (w *Weights) layers(n *check.Net) (first *nn.Linear, rest []*nn.Linear, ok bool) {
	switch t := w.nets[n.Name].(type) {
	case *nn.Linear:
		return t, nil, true
	case *nn.MLP:
		return t.Layers[0], t.Layers[1:], true
	}
	return nil, nil, false
}

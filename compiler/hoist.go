package compiler

import (
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// A branch that enumerates (E > 1 rows per data point and sample) with
// shared noise (Options.SharedNoise) computes every value that does not
// depend on an enumerated variable once per data point and sample, in a
// second shadow branch of S·B rows (branch.pt), and tiles it to the
// R = E·S·B rows after: row r = (e·S + s)·B + b of the tiled value is row
// s·B + b. Such a value is the same in every enumerated row only because
// the noise is: each sampled latent's noise input of the shadow is the
// first block of rows (e = 0) of its R-row input, which the shared noise
// copies to the other blocks. Invariance is decided per lowered node and
// slot while the branch is lowered (branch.inv): the data, parameters and
// constants are invariant; a let is when its expression is; a latent is
// when it is neither observed nor enumerated and its distribution's
// parameters are invariant; sum_slots is not (its slot masks come from the
// count). An expression all of whose references are invariant is lowered
// in the shadow branch, and a latent's sampling and log-densities too; the
// masks and everything after them stay at R rows. Gradients flow back
// through TileRows' adjoint, the sum over the E copies. For multi-MNIST
// this computes the slots' glimpses, glyphs and writes once per canvas
// instead of once per enumerated count.

// newPoint returns b's shadow branch of S·B rows, sharing b's data-only
// shadow (b.small).
func (b *branch) newPoint() *branch {
	pt := newBranch(b.p, plan{name: b.name + ".pt", observed: b.observed})
	pt.lay, pt.R, pt.parent = layout{B: b.lay.B, S: b.lay.S, E: 1}, b.lay.S*b.lay.B, b
	pt.memo, pt.small, pt.tiles = map[tileKey]*G.Node{}, b.small, map[tileKey]*G.Node{}
	return pt
}

// hoistable reports whether e is to be lowered in the shadow branch b.pt:
// it is invariant across the enumerated rows and reads something per row
// (constants alone are cheaper to lower where they are used).
func (b *branch) hoistable(e check.Expr, slot int) bool {
	inv, reads := b.invariant(e, slot)
	return inv && reads
}

// invariant reports whether e's value is the same in every enumerated row
// of a data point and sample, and whether it reads the data or a lowered
// node at all.
func (b *branch) invariant(e check.Expr, slot int) (inv, reads bool) {
	all := func(es ...check.Expr) (bool, bool) {
		inv, reads := true, false
		for _, a := range es {
			i, r := b.invariant(a, slot)
			inv, reads = inv && i, reads || r
		}
		return inv, reads
	}
	switch e := e.(type) {
	case *check.Const, *check.ParamRef:
		return true, false
	case *check.Ref:
		if e.Node.Op == check.Input {
			return true, true
		}
		s := slot
		if e.Node.Repeat == nil {
			s = -1
		}
		return b.inv[nodeKey{e.Node, s}], true
	case *check.Prev:
		if slot <= 0 {
			return b.invariant(e.Init, slot)
		}
		return b.inv[nodeKey{e.Node, slot - 1}], true
	case *check.Neg:
		return b.invariant(e.X, slot)
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

// distInvariant reports whether every parameter of d is invariant.
func (b *branch) distInvariant(d *check.Dist, slot int) bool {
	for _, e := range []check.Expr{d.Loc, d.Scale, d.Logits, d.Probs} {
		if e == nil {
			continue
		}
		if inv, _ := b.invariant(e, slot); !inv {
			return false
		}
	}
	return true
}

// hoistSample reports whether the encoder's sample node n is drawn in the
// shadow branch: sampled (neither observed nor enumerated), with invariant
// parameters.
func (b *branch) hoistSample(n *check.Node, slot int) bool {
	key := slotKey{n.Var, slot}
	return b.pt != nil && !b.observed[n.Var] && b.enumerated(key) < 0 && !b.kl[n.Var].analytic && b.distInvariant(n.Dist, slot)
}

// hoisted lowers a hoistable e in the shadow branch and tiles it to R rows.
func (b *branch) hoisted(e check.Expr, slot int, encoder bool) (*G.Node, error) {
	key := tileKey{e, slot, encoder}
	if n, ok := b.hoists[key]; ok {
		return n, nil
	}
	v, err := b.pt.expr(e, slot, encoder)
	if err != nil {
		return nil, err
	}
	if v, err = b.spread(v); err != nil {
		return nil, err
	}
	b.hoists[key] = v
	return v, nil
}

// spread tiles a value of the shadow branch b.pt to b's R rows (scalars
// stay as they are).
func (b *branch) spread(x *G.Node) (*G.Node, error) {
	return tileTo(x, b.R/b.pt.R)
}

// tileTo tiles x k times (x itself when k is 1 or x is a scalar).
func tileTo(x *G.Node, k int) (*G.Node, error) {
	if k == 1 || x.IsScalar() {
		return x, nil
	}
	return ops.TileRows(x, k)
}

// newNoise adds a noise input of d values per row that fill draws before
// every run. In a shadow branch b.pt it is the first S·B rows of an R-row
// input of the full branch, which draws them (and shares them across the
// enumerated blocks): the generator advances as it would without the
// shadow, so the numbers are the same.
func (b *branch) newNoise(name string, d int, fill func(*tensor.Dense, *rand.Rand) error) *input {
	if b.parent == nil {
		return b.newInput(b.name+"."+name, d, fill)
	}
	full := b.parent.newInput(b.parent.name+"."+name, d, fill)
	var t *tensor.Dense
	switch data := full.t.Data().(type) {
	case []float32:
		t = tensor.New(tensor.WithShape(b.R, d), tensor.WithBacking(data[:b.R*d]))
	case []float64:
		t = tensor.New(tensor.WithShape(b.R, d), tensor.WithBacking(data[:b.R*d]))
	}
	n := G.NewMatrix(b.p.g, b.p.dt, G.WithShape(b.R, d), G.WithName(b.name+"."+name))
	if err := G.Let(n, t); err != nil {
		panic(err) // cannot happen: same shape and dtype
	}
	return &input{node: n, t: t}
}

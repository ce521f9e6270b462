package compiler

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// expr lowers a checked expression in one slot. A scalar-shaped expression
// becomes a 0-d node; every other value is a matrix [R, size].
// Data-only values are lowered at B rows (b.small, tile.go), values
// invariant across enumerated rows at S·B rows (b.pt, hoist.go).
func (b *branch) expr(e check.Expr, slot int, encoder bool) (*G.Node, error) {
	if b.small != nil && tileable(e) {
		return b.tiled(e, slot, encoder)
	}
	if b.pt != nil && b.hoistable(e, slot) {
		return b.hoisted(e, slot, encoder)
	}
	if b.memo != nil {
		key := tileKey{e, slot, encoder}
		if n, ok := b.memo[key]; ok {
			return n, nil
		}
		n, err := b.lowerExpr(e, slot, encoder)
		if err == nil {
			b.memo[key] = n
		}
		return n, err
	}
	return b.lowerExpr(e, slot, encoder)
}

// lowerExpr lowers e itself (expr decides where).
func (b *branch) lowerExpr(e check.Expr, slot int, encoder bool) (*G.Node, error) {
	vals := b.vals(encoder)
	switch e := e.(type) {
	case *check.Const:
		return b.p.scalar(e.Value)
	case *check.Ref:
		s := slot
		if e.Node.Repeat == nil {
			s = -1
		}
		if e.Node.Op == check.Input {
			return b.x.node, nil
		}
		n, ok := vals[nodeKey{e.Node, s}]
		if !ok && b.memo != nil && e.Node.Op == check.Let {
			// A shadow branch lowers the data-only lets it reads on demand.
			return b.expr(e.Node.Value, s, encoder)
		}
		if !ok {
			return nil, lowerError(e.Pos, "`%s` has no value yet", e.Node.Name)
		}
		return n, nil
	case *check.ParamRef:
		out, err := b.p.w.paramRows(b.p.g, e.Param, b.R)
		if err != nil {
			return nil, lowerError(e.Pos, "param `%s`: %v", e.Param.Name, err)
		}
		return out, nil
	case *check.Prev:
		if slot <= 0 {
			return b.expr(e.Init, slot, encoder)
		}
		n, ok := vals[nodeKey{e.Node, slot - 1}]
		if !ok && b.memo != nil && e.Node.Op == check.Let {
			return b.expr(e.Node.Value, slot-1, encoder)
		}
		if !ok {
			return nil, lowerError(e.Pos, "prev(%s): no value at slot %d", e.Node.Name, slot-1)
		}
		return n, nil
	case *check.Neg:
		x, err := b.expr(e.X, slot, encoder)
		if err != nil {
			return nil, err
		}
		return G.Neg(x)
	case *check.Binary:
		return b.binary(e, slot, encoder)
	case *check.NetCall:
		if b.small != nil {
			if out, ok, err := b.splitNetCall(e, slot, encoder); ok || err != nil {
				if err != nil {
					return nil, lowerError(e.Pos, "network `%s`: %v", e.Net.Name, err)
				}
				return out, nil
			}
		}
		args := make([]*G.Node, len(e.Args))
		for i, a := range e.Args {
			x, err := b.full(a, slot, encoder, a.Info().Shape.Size())
			if err != nil {
				return nil, err
			}
			args[i] = x
		}
		out, err := b.p.w.applyNet(b.p.g, e.Net, args)
		if err != nil {
			return nil, lowerError(e.Pos, "network `%s`: %v", e.Net.Name, err)
		}
		return out, nil
	case *check.Call:
		out, err := b.call(e, slot, encoder)
		if err != nil {
			if !positioned(err) {
				return nil, lowerError(e.Pos, "%s: %v", e.Func, err)
			}
		}
		return out, err
	}
	return nil, fmt.Errorf("cannot lower %T", e)
}

// full lowers e as a matrix [R, size], broadcasting scalars.
func (b *branch) full(e check.Expr, slot int, encoder bool, size int) (*G.Node, error) {
	x, err := b.expr(e, slot, encoder)
	if err != nil {
		return nil, err
	}
	return b.widen(x, e.Info().Shape, size)
}

// widen broadcasts x of per-example shape s to [R, size]: a scalar is
// repeated; a value with a leading axis of 1 is tiled over the channels.
func (b *branch) widen(x *G.Node, s check.Shape, size int) (*G.Node, error) {
	if x.IsScalar() {
		return ops.BroadcastTo(x, b.R, size)
	}
	have := s.Size()
	if have == size {
		return x, nil
	}
	if have > 0 && size%have == 0 {
		parts := make(G.Nodes, size/have)
		for i := range parts {
			parts[i] = x
		}
		return concatCols(parts...)
	}
	return nil, fmt.Errorf("cannot broadcast %v to %d values", s, size)
}

func (b *branch) binary(e *check.Binary, slot int, encoder bool) (*G.Node, error) {
	size := e.Shape.Size()
	x, err := b.full(e.X, slot, encoder, size)
	if err != nil {
		return nil, err
	}
	y, err := b.full(e.Y, slot, encoder, size)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case '+':
		return G.Add(x, y)
	case '-':
		return G.Sub(x, y)
	case '*':
		return G.HadamardProd(x, y)
	case '/':
		return G.HadamardDiv(x, y)
	}
	return nil, fmt.Errorf("unknown operator %c", e.Op)
}

// call lowers a library function.
func (b *branch) call(e *check.Call, slot int, encoder bool) (*G.Node, error) {
	size := e.Shape.Size()
	arg := func(i int) (*G.Node, error) {
		return b.full(e.Args[i], slot, encoder, e.Args[i].Info().Shape.Size())
	}
	if u, ok := unaries()[e.Func]; ok {
		if k, ok := e.Args[0].(*check.Const); ok {
			return b.p.scalar(u.fold(k.Value))
		}
		x, err := arg(0)
		if err != nil {
			return nil, err
		}
		return u.lower(x)
	}
	switch e.Func {
	case "max", "min":
		if k, ok := e.Args[0].(*check.Const); ok && k.Value == 0 && e.Func == "max" {
			x, err := b.full(e.Args[1], slot, encoder, size)
			if err != nil {
				return nil, err
			}
			return ops.Activate(x, ops.ReLU)
		}
		x, err := b.full(e.Args[0], slot, encoder, size)
		if err != nil {
			return nil, err
		}
		y, err := b.full(e.Args[1], slot, encoder, size)
		if err != nil {
			return nil, err
		}
		return maxMin(x, y, e.Func == "max")
	case "concat":
		parts := make(G.Nodes, len(e.Args))
		for i := range e.Args {
			x, err := arg(i)
			if err != nil {
				return nil, err
			}
			parts[i] = x
		}
		return concatCols(parts...)
	case "flatten", "reshape":
		return arg(0)
	case "clamp":
		x, err := arg(0)
		if err != nil {
			return nil, err
		}
		lo, err := b.constRowsValue(e.Floats[0], size)
		if err != nil {
			return nil, err
		}
		hi, err := b.constRowsValue(e.Floats[1], size)
		if err != nil {
			return nil, err
		}
		if x, err = maxMin(x, lo, true); err != nil {
			return nil, err
		}
		return maxMin(x, hi, false)
	case "normalize":
		x, err := arg(0)
		if err != nil {
			return nil, err
		}
		return normalize(x, e.Args[0].Info().Shape)
	case "dot":
		x, err := arg(0)
		if err != nil {
			return nil, err
		}
		y, err := arg(1)
		if err != nil {
			return nil, err
		}
		return dot(x, y, e.Args[0].Info().Shape, e.Args[1].Info().Shape)
	case "zeros", "ones", "uniform", "vector":
		v := 0.0
		switch e.Func {
		case "ones":
			v = 1
		case "uniform":
			v = 1 / float64(size)
		}
		name := fmt.Sprintf("%s%v%v", e.Func, e.Ints, e.Floats)
		return b.constRows(name, size, func(_, c int) float64 {
			if e.Func == "vector" {
				return e.Floats[c]
			}
			return v
		}), nil
	case "sum_slots":
		ref := e.Args[0].(*check.Ref)
		n := ref.Node
		vals := b.vals(encoder)
		var total *G.Node
		for s := 0; s < n.Repeat.Max; s++ {
			v, ok := vals[nodeKey{n, s}]
			if !ok {
				return nil, lowerError(e.Pos, "sum_slots(%s): slot %d has no value", n.Name, s)
			}
			if m := b.valueMask(n, s); m != nil {
				var err error
				if v, err = ops.RowScale(m, v); err != nil {
					return nil, err
				}
			}
			if total == nil {
				total = v
				continue
			}
			var err error
			if total, err = G.Add(total, v); err != nil {
				return nil, err
			}
		}
		return total, nil
	case "st_read", "st_write":
		img, err := arg(0)
		if err != nil {
			return nil, err
		}
		where, err := arg(1)
		if err != nil {
			return nil, err
		}
		return b.spatial(e, img, where)
	}
	return nil, fmt.Errorf("function %s is not supported by the compiler", e.Func)
}

// constRowsValue is a constant [R, size] filled with v.
func (b *branch) constRowsValue(v float64, size int) (*G.Node, error) {
	return b.constRows(fmt.Sprintf("fill%g_%d", v, size), size, func(int, int) float64 { return v }), nil
}

// unary is the lowering of an element-wise function of one value (the
// checker's unary functions): fold computes it on a constant, lower on a
// node.
type unary struct {
	fold  func(v float64) float64
	lower func(x *G.Node) (*G.Node, error)
}

// unaries returns the lowering of every unary library function, by name.
func unaries() map[string]unary {
	act := func(a ops.Act) func(x *G.Node) (*G.Node, error) {
		return func(x *G.Node) (*G.Node, error) { return ops.Activate(x, a) }
	}
	return map[string]unary{
		"exp":      {math.Exp, func(x *G.Node) (*G.Node, error) { return G.Exp(x) }},
		"log":      {math.Log, func(x *G.Node) (*G.Node, error) { return G.Log(x) }},
		"abs":      {math.Abs, func(x *G.Node) (*G.Node, error) { return G.Abs(x) }},
		"sqrt":     {math.Sqrt, func(x *G.Node) (*G.Node, error) { return G.Sqrt(x) }},
		"square":   {func(v float64) float64 { return v * v }, func(x *G.Node) (*G.Node, error) { return G.Square(x) }},
		"softplus": {func(v float64) float64 { return math.Log1p(math.Exp(-math.Abs(v))) + math.Max(v, 0) }, act(ops.Softplus)},
		"sigmoid":  {func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, act(ops.Sigmoid)},
		"tanh":     {math.Tanh, act(ops.Tanh)},
		"relu":     {func(v float64) float64 { return math.Max(v, 0) }, act(ops.ReLU)},
	}
}

// maxMin is the element-wise maximum (or minimum) (x + y ± |x − y|) / 2.
func maxMin(x, y *G.Node, isMax bool) (*G.Node, error) {
	sum, err := G.Add(x, y)
	if err != nil {
		return nil, err
	}
	diff, err := G.Sub(x, y)
	if err != nil {
		return nil, err
	}
	ad, err := G.Abs(diff)
	if err != nil {
		return nil, err
	}
	var s *G.Node
	if isMax {
		s, err = G.Add(sum, ad)
	} else {
		s, err = G.Sub(sum, ad)
	}
	if err != nil {
		return nil, err
	}
	return ops.Affine(s, 0.5, 0)
}

// normalize scales each position's channel vector (the first axis of s)
// to unit length, as one fused op (ops.ChannelNorm). The chain of
// Gorgonia column slices, squares, sums and divisions it replaces gave
// wrong values at some widths: at 3584 positions per channel (the faces
// decoder's 64 × 56 normal maps) and at 2048, every output was ±1/√3,
// as if each channel had been divided by the norm of three copies of
// itself.
func normalize(x *G.Node, s check.Shape) (*G.Node, error) {
	if len(s) == 0 {
		return nil, fmt.Errorf("normalize: a scalar has no axis to normalise")
	}
	return ops.ChannelNorm(x, s[0], 1e-8)
}

// dot contracts the first axis: Σ_c a_c ⊙ b_c, with a vector operand's
// entries broadcast over the other's positions, as one fused op.
func dot(a, b *G.Node, sa, sb check.Shape) (*G.Node, error) {
	if len(sa) == 0 || len(sb) == 0 || sa[0] != sb[0] {
		return nil, fmt.Errorf("dot: shapes %v and %v do not share a first axis", sa, sb)
	}
	return ops.ChannelDot(a, b, sa[0])
}

// concatCols joins matrices [R, n_i] side by side with ops.Concat (one copy
// per row and part, and column-block gradients); anything that is not a
// matrix keeps Gorgonia's Concat(1, …) and its errors.
func concatCols(parts ...*G.Node) (*G.Node, error) {
	for _, x := range parts {
		if x == nil || x.Shape().Dims() != 2 {
			return G.Concat(1, parts...)
		}
	}
	return ops.Concat(parts...)
}

package compiler

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layout is the row arrangement of a branch: R = E·S·B rows, row
// r = (e·S + s)·B + b for enumeration e, sample s and data point b.
type layout struct {
	B, S, E  int
	labelled bool    // log w is a real importance weight (some variables clamped)
	alpha    float64 // the classifier weight α of the supervised objective
	// floor is the row weight below which value gives a row no gradient
	// (see gradFloor); 0 keeps every row.
	floor float64
	// skipped, when not nil, receives the number of rows the last gradient
	// left out.
	skipped *atomic.Int64
}

// gradFloor returns the row weight c_r below which the objective's gradient
// leaves a row out (exactly zero for lp, lq, lw and lqe), for a graph of
// dtype dt. As a confident classifier drives q(y = e | x) of the wrong
// classes toward 0, c_r = ŵ·q_e falls to 1e-38 and below, and the backward
// rows of the enumerated decoder, scaled by c_r, fill the matrix products
// with subnormal floats, which x86 CPUs multiply many times slower than
// normal ones (measured: a 1280×784·784×256 float32 product with subnormal
// inputs took 2.6× as long): training slowed down as it went. Every data
// point has a row of weight ≥ 1/(S·E), so a row below 2^-64 changes a
// gradient by less than 2^-50 of its size, far below float32 rounding;
// for float64 the floor 2^-600 is below float64 rounding by hundreds of
// orders of magnitude and still keeps products of the gradient far from
// float64's subnormals (2^-1022).
func gradFloor(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 0x1p-64
	}
	return 0x1p-600
}

func (l layout) rows() int { return l.E * l.S * l.B }

// weights computes, for every row, the weight c_r that the objective puts
// on log p − log q. For an unlabelled branch c = q_e / S, where q_e =
// exp(lqe) is the encoder probability of the row's enumerated values (they
// sum to 1 over the enumerations of a sample). For a labelled branch c is
// the self-normalised importance weight over all rows (s, e) of a data
// point, c = q_e·w / Σ q_e·w with w = exp(lw): the paper's ŵ_s with each
// sample's enumerated values summed out of both its numerator and its
// denominator. It reduces to q_e · softmax_s(log w_s) when log w does not
// depend on the enumerated values.
func (l layout) weights(lw, lqe []float64, c []float64) {
	B, S, E := l.B, l.S, l.E
	for b := 0; b < B; b++ {
		if !l.labelled {
			for e := 0; e < E; e++ {
				for s := 0; s < S; s++ {
					r := (e*S+s)*B + b
					c[r] = math.Exp(lqe[r]) / float64(S)
				}
			}
			continue
		}
		m := math.Inf(-1)
		for r := b; r < B*S*E; r += B {
			m = math.Max(m, lw[r]+lqe[r])
		}
		z := 0.0
		for r := b; r < B*S*E; r += B {
			c[r] = math.Exp(lw[r] + lqe[r] - m)
			z += c[r]
		}
		for r := b; r < B*S*E; r += B {
			c[r] /= z
		}
	}
}

// value returns the branch objective, the mean over data points of
//
//	L̂ = Σ_r c_r (lp_r − lq_r) + (1 + α) · (1/S) Σ_r q_e,r log w_r
//
// (the second term only for a labelled branch: the mean over samples of
// log w, its enumerated values summed out), and fills the gradients of that
// mean with respect to lp, lq, lw and lqe when g[0] is not nil. As in
// probtorch, gradients flow through the self-normalised weights c too, so
// the gradient is exactly that of the estimate.
func (l layout) value(lp, lq, lw, lqe []float64, g [4][]float64) float64 {
	R := l.rows()
	c := make([]float64, R)
	l.weights(lw, lqe, c)
	B := l.B
	Bf, Sf := float64(B), float64(l.S)
	total := 0.0
	skipped := 0
	for r := 0; r < R; r++ {
		d := lp[r] - lq[r]
		total += c[r] * d
		if g[0] != nil {
			if c[r] >= l.floor {
				g[0][r] = c[r] / Bf
				g[1][r] = -c[r] / Bf
				g[3][r] = c[r] * d / Bf
			} else {
				// Negligible weight: the row's value still counts, its
				// gradient (the decoder's backward row) is exactly zero.
				g[0][r], g[1][r], g[3][r] = 0, 0, 0
				skipped++
			}
			g[2][r] = 0
		}
		if l.labelled {
			q := math.Exp(lqe[r])
			total += (1 + l.alpha) / Sf * q * lw[r]
			if g[0] != nil && q >= l.floor {
				g[2][r] = (1 + l.alpha) / Sf * q / Bf
				g[3][r] = (1 + l.alpha) / Sf * q * lw[r] / Bf
			}
		}
	}
	if g[0] != nil && l.skipped != nil {
		l.skipped.Store(int64(skipped))
	}
	if g[0] == nil || !l.labelled {
		return total / Bf
	}
	// Through c = softmax over a point's rows of lw + lqe:
	// ∂/∂u_r Σ c d = c_r (d_r − Σ_r' c_r' d_r') for u = lw and u = lqe.
	for b := 0; b < B; b++ {
		mean := 0.0
		for r := b; r < R; r += B {
			mean += c[r] * (lp[r] - lq[r])
		}
		for r := b; r < R; r += B {
			if c[r] < l.floor {
				continue // a negligible row gets no gradient here either
			}
			gr := c[r] * (lp[r] - lq[r] - mean) / Bf
			g[2][r] += gr
			g[3][r] += gr
		}
	}
	return total / Bf
}

// objOp is the Gorgonia op computing layout.value from four row vectors
// (lp, lq, lw, lqe, each [R]). Its gradient is objGradOp.
type objOp struct{ l layout }

// objGradOp returns the gradient of objOp with respect to input `which`,
// scaled by the upstream gradient (a scalar, input 4).
type objGradOp struct {
	l     layout
	which int
}

func (o objOp) name() string {
	return fmt.Sprintf("ssdgmObjective(B=%d,S=%d,E=%d,lab=%t,a=%g,floor=%g)", o.l.B, o.l.S, o.l.E, o.l.labelled, o.l.alpha, o.l.floor)
}

func (o objOp) Arity() int { return 4 }
func (o objOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	v := G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(v, v, v, v, a)
}
func (o objOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (o objOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := rowsOf(o.l.rows(), vs[:4])
	if err != nil {
		return nil, fmt.Errorf("objective: %w", err)
	}
	v := o.l.value(in[0], in[1], in[2], in[3], [4][]float64{})
	return scalarOf(vs[0].Dtype(), v), nil
}
func (o objOp) ReturnsPtr() bool      { return false }
func (o objOp) CallsExtern() bool     { return false }
func (o objOp) OverwritesInput() int  { return -1 }
func (o objOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.name()) }
func (o objOp) Hashcode() uint32      { return hashOf(o.name()) }
func (o objOp) String() string        { return o.name() }
func (o objOp) DiffWRT(n int) []bool  { return []bool{true, true, true, true} }
func (o objOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, 4)
	for i := range out {
		n, err := G.ApplyOp(objGradOp{l: o.l, which: i}, inputs[0], inputs[1], inputs[2], inputs[3], grad)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func (o objGradOp) name() string {
	return fmt.Sprintf("ssdgmObjectiveGrad%d(B=%d,S=%d,E=%d,lab=%t,a=%g,floor=%g)", o.which, o.l.B, o.l.S, o.l.E, o.l.labelled, o.l.alpha, o.l.floor)
}
func (o objGradOp) Arity() int { return 5 }
func (o objGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	v := G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(v, v, v, v, a, v)
}
func (o objGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{o.l.rows()}, nil
}
func (o objGradOp) Do(vs ...G.Value) (G.Value, error) {
	R := o.l.rows()
	in, err := rowsOf(R, vs[:4])
	if err != nil {
		return nil, fmt.Errorf("objective gradient: %w", err)
	}
	var g [4][]float64
	for i := range g {
		g[i] = make([]float64, R)
	}
	l := o.l
	if o.which != 0 {
		l.skipped = nil // counted once per step
	}
	l.value(in[0], in[1], in[2], in[3], g)
	up := scalarValue(vs[4])
	dt := vs[0].Dtype()
	t := tensor.New(tensor.Of(dt), tensor.WithShape(R))
	switch d := t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(g[o.which][i] * up)
		}
	case []float64:
		for i := range d {
			d[i] = g[o.which][i] * up
		}
	}
	return t, nil
}
func (o objGradOp) ReturnsPtr() bool      { return false }
func (o objGradOp) CallsExtern() bool     { return false }
func (o objGradOp) OverwritesInput() int  { return -1 }
func (o objGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.name()) }
func (o objGradOp) Hashcode() uint32      { return hashOf(o.name()) }
func (o objGradOp) String() string        { return o.name() }

func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// rowsOf converts the first inputs to float64 slices of length R.
func rowsOf(R int, vs []G.Value) ([][]float64, error) {
	out := make([][]float64, len(vs))
	for i, v := range vs {
		switch d := v.Data().(type) {
		case []float64:
			if len(d) != R {
				return nil, fmt.Errorf("input %d has %d rows, want %d", i, len(d), R)
			}
			out[i] = d
		case []float32:
			if len(d) != R {
				return nil, fmt.Errorf("input %d has %d rows, want %d", i, len(d), R)
			}
			f := make([]float64, R)
			for j, x := range d {
				f[j] = float64(x)
			}
			out[i] = f
		default:
			return nil, fmt.Errorf("input %d: unsupported data %T", i, d)
		}
	}
	return out, nil
}

func scalarOf(dt tensor.Dtype, v float64) G.Value {
	if dt == tensor.Float32 {
		return G.NewF32(float32(v))
	}
	return G.NewF64(v)
}

func scalarValue(v G.Value) float64 {
	switch d := v.Data().(type) {
	case float32:
		return float64(d)
	case float64:
		return d
	case []float32:
		return float64(d[0])
	case []float64:
		return d[0]
	}
	return math.NaN()
}

package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// likKernels returns the kernels of a fused log-likelihood over n
// same-shaped matrices [B, D] (x and the distribution's parameters): for
// wrt < 0 the row sums Σ_d log p(x[b,d] | params[b,d]) into out [B]; for
// wrt = i the gradient with respect to input i, scaled by the incoming
// gradient (the last input, [B]), into out [B, D]. Each family's file of
// this package supplies its own (lik_normal.go, lik_laplace.go,
// lik_bernoulli.go, contbern.go); this file holds only the shared
// machinery.
type likKernels func(wrt int) kernel

// fusedLik builds the fused log-likelihood op called name over the n
// same-shaped matrices xs [B, D], as [B], with one gradient op per input,
// all computed by k.
func fusedLik(name string, k likKernels, xs ...*G.Node) (*G.Node, error) {
	n := len(xs)
	dims := make([]int, n)
	for i := range dims {
		dims[i] = 2
	}
	same := func(in []tensor.Shape) (tensor.Shape, error) {
		for i := range in {
			if len(in[i]) != 2 || !sameShape(in[i], in[0]) {
				return nil, fmt.Errorf("%s: shapes %v must be equal matrices [B, D]", name, in)
			}
		}
		return tensor.Shape{in[0][0]}, nil
	}
	o := &op{name: name, inDims: dims, outDims: 1, shape: same, diff: make([]bool, n), k: k(-1)}
	for i := range o.diff {
		o.diff[i] = true
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		out := make(G.Nodes, n)
		for w := 0; w < n; w++ {
			// Every family's gradient kernel writes each element of out.
			b := &op{name: fmt.Sprintf("%sGrad%d", name, w), inDims: append(append([]int(nil), dims...), 1), outDims: 2, diff: make([]bool, n+1), full: true,
				shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil },
				k:     k(w),
			}
			d, err := apply(b, append(append(G.Nodes(nil), in...), g)...)
			if err != nil {
				return nil, err
			}
			out[w] = d
		}
		return out, nil
	}
	return apply(o, xs...)
}

// elemFunc is the log-density of one element x at the distribution's
// parameters a and b (b is 0 for a one-parameter family) and its partial
// derivatives with respect to x, a and b.
type elemFunc func(x, a, b float64) (lp, dx, da, db float64)

// elemKernels returns the likKernels of a family of n inputs given only its
// per-element function f: one call of f per element, in float64.
func elemKernels(n int, f elemFunc) likKernels {
	return func(wrt int) kernel {
		return kernel{
			f32: func(out []float32, in [][]float32) error { elemK(n, f, out, in, wrt); return nil },
			f64: func(out []float64, in [][]float64) error { elemK(n, f, out, in, wrt); return nil },
		}
	}
}

// elemK computes a likKernels result of the n-input family f element by
// element.
func elemK[T float](n int, f elemFunc, out []T, in [][]T, wrt int) {
	x := in[0]
	a := in[1]
	var b []T
	if n > 2 {
		b = in[2]
	}
	rows := len(out)
	if wrt >= 0 {
		rows = len(in[len(in)-1])
	}
	d := len(x) / max(rows, 1)
	for r := 0; r < rows; r++ {
		var s float64
		gr := 1.0
		if wrt >= 0 {
			gr = float64(in[len(in)-1][r])
		}
		for j := r * d; j < (r+1)*d; j++ {
			bj := 0.0
			if b != nil {
				bj = float64(b[j])
			}
			lp, dx, da, db := f(float64(x[j]), float64(a[j]), bj)
			switch wrt {
			case -1:
				s += lp
			case 0:
				out[j] = T(gr * dx)
			case 1:
				out[j] = T(gr * da)
			case 2:
				out[j] = T(gr * db)
			}
		}
		if wrt < 0 {
			out[r] = T(s)
		}
	}
}

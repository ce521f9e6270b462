package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Affine returns a·x + b element-wise for a vector or matrix x and
// constants a and b (kept in the graph's dtype), with gradient a·g.
func Affine(x *G.Node, a, b float64) (*G.Node, error) {
	name := fmt.Sprintf("Affine(%g,%g)", a, b)
	if x == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	d := x.Shape().Dims()
	if d < 1 || d > 2 {
		return nil, fmt.Errorf("%s: want a vector or matrix, got %v", name, x.Shape())
	}
	same := func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
	o := &op{name: name, inDims: []int{d}, outDims: d, shape: same, diff: []bool{true}, inplace: true,
		k: kernel{
			f32: func(out []float32, in [][]float32) error { affineK(out, in[0], a, b); return nil },
			f64: func(out []float64, in [][]float64) error { affineK(out, in[0], a, b); return nil },
		},
	}
	o.grad = func(_ G.Nodes, _, g *G.Node) (G.Nodes, error) {
		dx, err := Affine(g, a, 0)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

func affineK[T float](out, x []T, a, b float64) {
	ta, tb := T(a), T(b)
	for i, v := range x {
		out[i] = ta*v + tb
	}
}

// LogClamped returns log(max(x, eps)) element-wise for a vector or matrix
// x, with gradient g/x where x > eps and 0 where the clamp is active.
func LogClamped(x *G.Node, eps float64) (*G.Node, error) {
	name := fmt.Sprintf("LogClamped(%g)", eps)
	if x == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	if !(eps > 0) {
		return nil, fmt.Errorf("%s: eps must be positive", name)
	}
	d := x.Shape().Dims()
	if d < 1 || d > 2 {
		return nil, fmt.Errorf("%s: want a vector or matrix, got %v", name, x.Shape())
	}
	same := func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
	o := &op{name: name, inDims: []int{d}, outDims: d, shape: same, diff: []bool{true},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { logClampK(out, in[0], eps); return nil },
			f64: func(out []float64, in [][]float64) error { logClampK(out, in[0], eps); return nil },
		},
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		b := &op{name: name + "Grad", inDims: []int{d, d}, outDims: d, shape: same, diff: []bool{false, false},
			k: kernel{
				f32: func(out []float32, in [][]float32) error { logClampGradK(out, in[0], in[1], eps); return nil },
				f64: func(out []float64, in [][]float64) error { logClampGradK(out, in[0], in[1], eps); return nil },
			},
		}
		dx, err := apply(b, in[0], g)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

func logClampK[T float](out, x []T, eps float64) {
	for i, v := range x {
		out[i] = T(math.Log(math.Max(float64(v), eps)))
	}
}

func logClampGradK[T float](dx, x, g []T, eps float64) {
	for i, v := range x {
		if float64(v) > eps {
			dx[i] = g[i] / v
		}
	}
}

// LessThan returns 1 where a < b and 0 elsewhere, for same-shaped vectors or
// matrices; no gradient flows (a Bernoulli draw is LessThan(uniform, p)).
func LessThan(a, b *G.Node) (*G.Node, error) {
	const name = "LessThan"
	if a == nil || b == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	d := a.Shape().Dims()
	o := &op{name: name, inDims: []int{d, d}, outDims: d, diff: []bool{false, false},
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if !sameShape(in[0], in[1]) || len(in[0]) < 1 || len(in[0]) > 2 {
				return nil, fmt.Errorf("%s: shapes %v and %v must be equal vectors or matrices", name, in[0], in[1])
			}
			return in[0].Clone(), nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { lessK(out, in[0], in[1]); return nil },
			f64: func(out []float64, in [][]float64) error { lessK(out, in[0], in[1]); return nil },
		},
	}
	return apply(o, a, b)
}

func lessK[T float](out, a, b []T) {
	for i := range a {
		if a[i] < b[i] {
			out[i] = 1
		}
	}
}

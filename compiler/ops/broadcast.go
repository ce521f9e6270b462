package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bmode says which axes a broadcast repeats over.
type bmode int

const (
	modeAll bmode = iota // one value repeated everywhere
	modeRow              // one row [D] repeated over the batch
	modeCol              // one column [B] repeated over D
)

func (m bmode) String() string { return [...]string{"all", "row", "col"}[m] }

// BroadcastTo returns x repeated to a matrix [b, d]. x may be a scalar node,
// a one-element tensor ([1] or [1,1]), a row ([d] or [1, d]), a column
// [b, 1], or already [b, d] (then x itself is returned). Gradients flow
// back by summing, except into a scalar node (0-dim), which Gorgonia cannot
// hold a tensor gradient for: scalars are treated as constants.
func BroadcastTo(x *G.Node, b, d int) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("BroadcastTo: nil input")
	}
	if b <= 0 || d <= 0 {
		return nil, fmt.Errorf("BroadcastTo: bad target shape [%d, %d]", b, d)
	}
	s := x.Shape()
	switch {
	case x.IsScalar() || s.TotalSize() == 1 && s.Dims() <= 2:
		return bcast(x, modeAll, b, d)
	case s.Dims() == 1 && s[0] == d, s.Dims() == 2 && s[0] == 1 && s[1] == d:
		return bcast(x, modeRow, b, d)
	case s.Dims() == 2 && s[0] == b && s[1] == 1:
		return bcast(x, modeCol, b, d)
	case s.Dims() == 2 && s[0] == b && s[1] == d:
		return x, nil
	}
	return nil, fmt.Errorf("BroadcastTo: cannot broadcast shape %v to [%d, %d]", s, b, d)
}

// ColSum returns Σ_b x[b,d] for a matrix x [B, D], as [D].
func ColSum(x *G.Node) (*G.Node, error) {
	if x == nil || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("ColSum: want a matrix [B, D]")
	}
	return reduce(x, modeRow, tensor.Shape{x.Shape()[1]})
}

func bcast(x *G.Node, m bmode, b, d int) (*G.Node, error) {
	name := fmt.Sprintf("Broadcast(%v,%d,%d)", m, b, d)
	dims := x.Shape().Dims()
	if x.IsScalar() {
		dims = 0
	}
	o := &op{name: name, inDims: []int{dims}, outDims: 2, diff: []bool{dims > 0}, full: true,
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{b, d}, nil },
		k: kernel{
			f32: func(out []float32, in [][]float32) error { bcastK(out, in[0], m, d); return nil },
			f64: func(out []float64, in [][]float64) error { bcastK(out, in[0], m, d); return nil },
		},
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		r, err := reduce(g, m, in[0].Shape().Clone())
		return G.Nodes{r}, err
	}
	return apply(o, x)
}

func reduce(x *G.Node, m bmode, to tensor.Shape) (*G.Node, error) {
	name := fmt.Sprintf("Reduce(%v,%v)", m, to)
	s := x.Shape()
	if s.Dims() != 2 {
		return nil, fmt.Errorf("%s: want a matrix, got %v", name, s)
	}
	b, d := s[0], s[1]
	o := &op{name: name, inDims: []int{2}, outDims: to.Dims(), diff: []bool{true},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return to.Clone(), nil },
		k: kernel{
			f32: func(out []float32, in [][]float32) error { reduceK(out, in[0], m, d); return nil },
			f64: func(out []float64, in [][]float64) error { reduceK(out, in[0], m, d); return nil },
		},
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		r, err := bcast(g, m, b, d)
		return G.Nodes{r}, err
	}
	return apply(o, x)
}

func bcastK[T float](out, x []T, m bmode, d int) {
	switch m {
	case modeAll:
		for i := range out {
			out[i] = x[0]
		}
	case modeRow:
		for i := 0; i+d <= len(out); i += d {
			copy(out[i:i+d], x)
		}
	case modeCol:
		for i, v := range x {
			row := out[i*d : (i+1)*d]
			for j := range row {
				row[j] = v
			}
		}
	}
}

func reduceK[T float](out, x []T, m bmode, d int) {
	switch m {
	case modeAll:
		var s T
		for _, v := range x {
			s += v
		}
		out[0] = s
	case modeRow:
		for i := 0; i+d <= len(x); i += d {
			for j, v := range x[i : i+d] {
				out[j] += v
			}
		}
	case modeCol:
		for i := range out {
			var s T
			for _, v := range x[i*d : (i+1)*d] {
				s += v
			}
			out[i] = s
		}
	}
}

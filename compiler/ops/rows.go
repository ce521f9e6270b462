package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rowsShape returns the rows and row length of a vector [B] (rows of one)
// or a matrix [B, D].
func rowsShape(s tensor.Shape) (int, int, error) {
	switch len(s) {
	case 1:
		return s[0], 1, nil
	case 2:
		return s[0], s[1], nil
	}
	return 0, 0, fmt.Errorf("want a vector or matrix, got %v", s)
}

// RepeatRows returns x [B, D] (or [B]) with every row repeated k times in
// place: row i·k + j of the result [B·k, D] is row i of x. It is how S
// samples or K enumerated values per data point are laid out; SumRowGroups
// is its adjoint.
func RepeatRows(x *G.Node, k int) (*G.Node, error) { return rowMap(x, k, true, false) }

// TileRows returns k copies of the whole of x [B, D] (or [B]) stacked: row
// t·B + i of the result [k·B, D] is row i of x. SumRowBlocks is its adjoint.
func TileRows(x *G.Node, k int) (*G.Node, error) { return rowMap(x, k, false, false) }

// SumRowGroups sums each group of k consecutive rows of x [B·k, D] (or
// [B·k]), giving [B, D] (or [B]).
func SumRowGroups(x *G.Node, k int) (*G.Node, error) { return rowMap(x, k, true, true) }

// SumRowBlocks sums the k blocks of B rows of x [k·B, D] (or [k·B]),
// giving [B, D] (or [B]).
func SumRowBlocks(x *G.Node, k int) (*G.Node, error) { return rowMap(x, k, false, true) }

func rowMap(x *G.Node, k int, grouped, sum bool) (*G.Node, error) {
	name := map[[2]bool]string{{true, false}: "RepeatRows", {false, false}: "TileRows", {true, true}: "SumRowGroups", {false, true}: "SumRowBlocks"}[[2]bool{grouped, sum}]
	name = fmt.Sprintf("%s(%d)", name, k)
	if x == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	if k < 1 {
		return nil, fmt.Errorf("%s: k must be positive", name)
	}
	d := x.Shape().Dims()
	o := &op{name: name, inDims: []int{d}, outDims: d, diff: []bool{true}, full: !sum,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			b, _, err := rowsShape(in[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			out := in[0].Clone()
			if sum {
				if b%k != 0 {
					return nil, fmt.Errorf("%s: %d rows are not a multiple of %d", name, b, k)
				}
				out[0] = b / k
			} else {
				out[0] = b * k
			}
			return out, nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { rowMapK(out, in[0], k, rowLen(x), grouped, sum); return nil },
			f64: func(out []float64, in [][]float64) error { rowMapK(out, in[0], k, rowLen(x), grouped, sum); return nil },
		},
	}
	o.grad = func(_ G.Nodes, _, g *G.Node) (G.Nodes, error) {
		dx, err := rowMap(g, k, grouped, !sum)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

func rowLen(x *G.Node) int {
	if x.Shape().Dims() == 2 {
		return x.Shape()[1]
	}
	return 1
}

// rowMapK copies (sum = false: in has B rows, out B·k) or sums (sum = true:
// in has B·k rows, out B) rows of length d.
func rowMapK[T float](out, in []T, k, d int, grouped, sum bool) {
	small, big := out, in
	if !sum {
		small, big = in, out
	}
	b := len(small) / d
	for i := 0; i < b; i++ {
		srow := small[i*d : (i+1)*d]
		for j := 0; j < k; j++ {
			r := j*b + i
			if grouped {
				r = i*k + j
			}
			brow := big[r*d : (r+1)*d]
			if sum {
				for c, v := range brow {
					srow[c] += v
				}
			} else {
				copy(brow, srow)
			}
		}
	}
}

// Columns returns columns [from, to) of x [B, D], as [B, to-from]: how a
// head's output is split (e.g. into loc and scale).
func Columns(x *G.Node, from, to int) (*G.Node, error) { return cols(x, from, to, 0, false) }

// cols extracts columns [from, to) (pad = false) or places x as those
// columns of a zero matrix of width d (pad = true); each is the other's
// adjoint.
func cols(x *G.Node, from, to, d int, pad bool) (*G.Node, error) {
	name := fmt.Sprintf("Columns(%d:%d)", from, to)
	if pad {
		name = fmt.Sprintf("PadColumns(%d:%d of %d)", from, to, d)
	}
	if x == nil || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: want a matrix", name)
	}
	w := x.Shape()[1]
	if !pad {
		d = w
	}
	if from < 0 || to > d || from >= to {
		return nil, fmt.Errorf("%s: bad column range for width %d", name, d)
	}
	// Extracting writes every output element; padding leaves the rest zero.
	o := &op{name: name, inDims: []int{2}, outDims: 2, diff: []bool{true}, full: !pad,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if pad {
				if in[0][1] != to-from {
					return nil, fmt.Errorf("%s: input width %d", name, in[0][1])
				}
				return tensor.Shape{in[0][0], d}, nil
			}
			return tensor.Shape{in[0][0], to - from}, nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { colsK(out, in[0], from, to, d, pad); return nil },
			f64: func(out []float64, in [][]float64) error { colsK(out, in[0], from, to, d, pad); return nil },
		},
	}
	o.grad = func(_ G.Nodes, _, g *G.Node) (G.Nodes, error) {
		dx, err := cols(g, from, to, d, !pad)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

func colsK[T float](out, in []T, from, to, d int, pad bool) {
	n := to - from
	rows := len(in) / d
	if pad {
		rows = len(in) / n
	}
	for i := 0; i < rows; i++ {
		if pad {
			copy(out[i*d+from:i*d+to], in[i*n:(i+1)*n])
		} else {
			copy(out[i*n:(i+1)*n], in[i*d+from:i*d+to])
		}
	}
}

// EnumOneHot returns a constant [B·K, K] of dtype dt whose row b·K + k is
// the one-hot of k: the K values of a categorical variable laid out as
// RepeatRows(x, K) lays out the data.
func EnumOneHot(g *G.ExprGraph, dt tensor.Dtype, b, k int) (*G.Node, error) {
	if b < 1 || k < 1 {
		return nil, fmt.Errorf("EnumOneHot: bad sizes %d, %d", b, k)
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("EnumOneHot: unsupported dtype %v", dt)
	}
	t := tensor.New(tensor.Of(dt), tensor.WithShape(b*k, k))
	for r := 0; r < b*k; r++ {
		if err := t.SetAt(oneOf(dt), r, r%k); err != nil {
			return nil, err
		}
	}
	return Safe("EnumOneHot", func() (*G.Node, error) {
		return g.AddNode(G.NewConstant(t, G.WithName(fmt.Sprintf("enum_onehot_%v_%dx%d", dt, b, k)))), nil
	})
}

func oneOf(dt tensor.Dtype) any {
	if dt == tensor.Float32 {
		return float32(1)
	}
	return float64(1)
}

// RowRange returns rows [from, to) of x [N, D], as [to-from, D]: how a
// layer's weight matrix is split by input block (x·W over a concatenation
// [a, b] is a·W[rows of a] + b·W[rows of b]).
func RowRange(x *G.Node, from, to int) (*G.Node, error) { return rowRange(x, from, to, 0, false) }

// rowRange extracts rows [from, to) (pad = false) or places x as those rows
// of a zero matrix of n rows (pad = true); each is the other's adjoint.
func rowRange(x *G.Node, from, to, n int, pad bool) (*G.Node, error) {
	name := fmt.Sprintf("RowRange(%d:%d)", from, to)
	if pad {
		name = fmt.Sprintf("PadRows(%d:%d of %d)", from, to, n)
	}
	if x == nil || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: want a matrix", name)
	}
	if !pad {
		n = x.Shape()[0]
	}
	if from < 0 || to > n || from >= to {
		return nil, fmt.Errorf("%s: bad row range for %d rows", name, n)
	}
	o := &op{name: name, inDims: []int{2}, outDims: 2, diff: []bool{true}, full: !pad,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if pad {
				if in[0][0] != to-from {
					return nil, fmt.Errorf("%s: input has %d rows", name, in[0][0])
				}
				return tensor.Shape{n, in[0][1]}, nil
			}
			return tensor.Shape{to - from, in[0][1]}, nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { rowRangeK(out, in[0], from, to, pad); return nil },
			f64: func(out []float64, in [][]float64) error { rowRangeK(out, in[0], from, to, pad); return nil },
		},
	}
	o.grad = func(_ G.Nodes, _, g *G.Node) (G.Nodes, error) {
		dx, err := rowRange(g, from, to, n, !pad)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

func rowRangeK[T float](out, in []T, from, to int, pad bool) {
	if pad {
		d := len(in) / (to - from)
		copy(out[from*d:to*d], in)
		return
	}
	d := len(out) / (to - from)
	copy(out, in[from*d:to*d])
}

package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Concat joins matrices parts[i] [B, n_i] side by side along axis 1,
// giving [B, Σn_i]: row r of the result is row r of each part in turn. It
// replaces Gorgonia's Concat(1, …), which copies through tensor iterators
// and whose gradients are strided views that later ops copy again; here
// the forward pass is one copy() per row and part, and part i's gradient
// is columns [Σ_{j<i} n_j, Σ_{j≤i} n_j) of the output's gradient (Columns,
// plain copies too). The values are copies, so they are bit for bit
// Gorgonia's. A single part is returned as is.
func Concat(parts ...*G.Node) (*G.Node, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("Concat: no parts")
	}
	widths := make([]int, len(parts))
	for i, x := range parts {
		if x == nil {
			return nil, fmt.Errorf("Concat: part %d is nil", i)
		}
		if x.Shape().Dims() != 2 {
			return nil, fmt.Errorf("Concat: part %d must be a matrix [B, n], has shape %v", i, x.Shape())
		}
		widths[i] = x.Shape()[1]
		if widths[i] < 1 {
			return nil, fmt.Errorf("Concat: part %d has no columns (shape %v)", i, x.Shape())
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	total := 0
	for _, w := range widths {
		total += w
	}
	name := fmt.Sprintf("Concat%v", widths)
	inDims := make([]int, len(parts))
	diff := make([]bool, len(parts))
	for i := range parts {
		inDims[i], diff[i] = 2, true
	}
	o := &op{name: name, inDims: inDims, outDims: 2, diff: diff, full: true,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if len(in) != len(widths) {
				return nil, fmt.Errorf("%s: want %d parts, got %d", name, len(widths), len(in))
			}
			rows := -1
			for i, s := range in {
				b, n, err := matShape(name, s)
				if err != nil {
					return nil, fmt.Errorf("%s: part %d: want a matrix [B, %d], got shape %v", name, i, widths[i], s)
				}
				if n != widths[i] {
					return nil, fmt.Errorf("%s: part %d has %d columns, want %d", name, i, n, widths[i])
				}
				if i == 0 {
					rows = b
				} else if b != rows {
					return nil, fmt.Errorf("%s: part %d has %d rows, part 0 has %d", name, i, b, rows)
				}
			}
			return tensor.Shape{rows, total}, nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { return concatK(name, out, in, widths, total) },
			f64: func(out []float64, in [][]float64) error { return concatK(name, out, in, widths, total) },
		},
	}
	o.grad = func(_ G.Nodes, _, g *G.Node) (G.Nodes, error) {
		out := make(G.Nodes, len(widths))
		off := 0
		for i, w := range widths {
			var err error
			if out[i], err = Columns(g, off, off+w); err != nil {
				return nil, fmt.Errorf("%s: gradient of part %d: %w", name, i, err)
			}
			off += w
		}
		return out, nil
	}
	return apply(o, parts...)
}

// concatK writes the parts in [B·n_i] side by side into out [B·total], one
// copy per part and row; it writes every element of out.
func concatK[T float](name string, out []T, in [][]T, widths []int, total int) error {
	rows := len(out) / total
	off := 0
	for i, w := range widths {
		src := in[i]
		if len(src) != rows*w {
			return fmt.Errorf("%s: part %d holds %d values, want %d×%d", name, i, len(src), rows, w)
		}
		for r := 0; r < rows; r++ {
			copy(out[r*total+off:r*total+off+w], src[r*w:(r+1)*w])
		}
		off += w
	}
	return nil
}

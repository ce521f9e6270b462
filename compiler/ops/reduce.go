package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// strides describes how LogSumExp walks a [B, K] matrix along an axis:
// n outer lines of m elements, element j of line i at i*so + j*si.
type strides struct{ n, m, so, si int }

func axisStrides(s tensor.Shape, axis int) (strides, error) {
	r, c := s[0], s[1]
	switch axis {
	case 1:
		return strides{r, c, c, 1}, nil
	case 0:
		return strides{c, r, 1, c}, nil
	}
	return strides{}, fmt.Errorf("axis %d out of range for a matrix", axis)
}

// LogSumExp returns log Σ exp(x) along axis (0 or 1) of a matrix x, computed
// stably by subtracting the maximum of each line. x [B, K] with axis 1 gives
// [B]; with axis 0 it gives [K]. A line of all -Inf gives -Inf.
func LogSumExp(x *G.Node, axis int) (*G.Node, error) {
	name := fmt.Sprintf("LogSumExp(axis=%d)", axis)
	if x == nil || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: want a matrix", name)
	}
	st, err := axisStrides(x.Shape(), axis)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	o := &op{name: name, inDims: []int{2}, outDims: 1,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			r, c, err := matShape(name, in[0])
			if err != nil {
				return nil, err
			}
			if axis == 1 {
				return tensor.Shape{r}, nil
			}
			return tensor.Shape{c}, nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { lseK(out, in[0], st); return nil },
			f64: func(out []float64, in [][]float64) error { lseK(out, in[0], st); return nil },
		},
		diff: []bool{true},
	}
	o.grad = func(in G.Nodes, out, g *G.Node) (G.Nodes, error) {
		// dx[i,j] = g[i] * exp(x[i,j] - out[i])
		b := &op{name: name + "Grad", inDims: []int{2, 1, 1}, outDims: 2,
			shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil },
			k: kernel{
				f32: func(o []float32, in [][]float32) error { lseGradK(o, in[0], in[1], in[2], st); return nil },
				f64: func(o []float64, in [][]float64) error { lseGradK(o, in[0], in[1], in[2], st); return nil },
			},
			diff: []bool{false, false, false},
		}
		d, err := apply(b, in[0], out, g)
		return G.Nodes{d}, err
	}
	return apply(o, x)
}

func lseK[T float](out, x []T, s strides) {
	for i := 0; i < s.n; i++ {
		mx := math.Inf(-1)
		for j := 0; j < s.m; j++ {
			if v := float64(x[i*s.so+j*s.si]); v > mx {
				mx = v
			}
		}
		if math.IsInf(mx, 0) {
			out[i] = T(mx)
			continue
		}
		var sum float64
		for j := 0; j < s.m; j++ {
			sum += math.Exp(float64(x[i*s.so+j*s.si]) - mx)
		}
		out[i] = T(mx + math.Log(sum))
	}
}

func lseGradK[T float](dx, x, lse, g []T, s strides) {
	for i := 0; i < s.n; i++ {
		l, gi := float64(lse[i]), float64(g[i])
		for j := 0; j < s.m; j++ {
			k := i*s.so + j*s.si
			dx[k] = T(gi * math.Exp(float64(x[k])-l))
		}
	}
}

// LogSoftmax returns x - LogSumExp(x, 1) for a matrix x [B, K], as [B, K].
func LogSoftmax(x *G.Node) (*G.Node, error) { return softmax(x, true) }

// Softmax returns exp(x) / Σ exp(x) along axis 1 of a matrix x [B, K], as
// [B, K], computed stably.
func Softmax(x *G.Node) (*G.Node, error) { return softmax(x, false) }

func softmax(x *G.Node, logs bool) (*G.Node, error) {
	name := "Softmax"
	if logs {
		name = "LogSoftmax"
	}
	if x == nil || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: want a matrix [B, K]", name)
	}
	same := func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
	o := &op{name: name, inDims: []int{2}, outDims: 2, shape: same, diff: []bool{true},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { softmaxK(out, in[0], ncols(x), logs); return nil },
			f64: func(out []float64, in [][]float64) error { softmaxK(out, in[0], ncols(x), logs); return nil },
		},
	}
	o.grad = func(in G.Nodes, out, g *G.Node) (G.Nodes, error) {
		b := &op{name: name + "Grad", inDims: []int{2, 2}, outDims: 2, shape: same, diff: []bool{false, false},
			k: kernel{
				f32: func(o []float32, in [][]float32) error { softmaxGradK(o, in[0], in[1], ncols(x), logs); return nil },
				f64: func(o []float64, in [][]float64) error { softmaxGradK(o, in[0], in[1], ncols(x), logs); return nil },
			},
		}
		d, err := apply(b, out, g)
		return G.Nodes{d}, err
	}
	return apply(o, x)
}

func ncols(x *G.Node) int { return x.Shape()[1] }

func softmaxK[T float](out, x []T, k int, logs bool) {
	for i := 0; i+k <= len(x); i += k {
		row := x[i : i+k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		l := mx + math.Log(sum)
		for j, v := range row {
			if logs {
				out[i+j] = T(float64(v) - l)
			} else {
				out[i+j] = T(math.Exp(float64(v) - l))
			}
		}
	}
}

// softmaxGradK: for log-softmax dx = g - exp(y) Σg; for softmax
// dx = y (g - Σ g y).
func softmaxGradK[T float](dx, y, g []T, k int, logs bool) {
	for i := 0; i+k <= len(y); i += k {
		var s float64
		for j := i; j < i+k; j++ {
			if logs {
				s += float64(g[j])
			} else {
				s += float64(g[j]) * float64(y[j])
			}
		}
		for j := i; j < i+k; j++ {
			if logs {
				dx[j] = T(float64(g[j]) - math.Exp(float64(y[j]))*s)
			} else {
				dx[j] = T(float64(y[j]) * (float64(g[j]) - s))
			}
		}
	}
	flushTiny(dx)
}

// flushTiny sets to zero, in a float32 gradient, the entries below 2^-64
// of its largest magnitude or below 2^-100. A confident classifier puts
// probabilities near 1e-38 and below on the classes it rules out, and
// their gradients, tiny or subnormal floats, would fill the backward
// matrix products after it with subnormals, which x86 CPUs multiply many
// times slower. Such entries are far below float32 rounding of the
// gradients they are summed with (the products over the batch), and an
// entry below 2^-100 cannot move Adam's update (g/(√v + ε), ε = 1e-8)
// by a float32 rounding step of any weight. float64 values are left as
// computed.
func flushTiny[T float](d []T) {
	r, ok := any(d).([]float32)
	if !ok {
		return
	}
	var m float32
	for _, v := range r {
		m = max(m, abs32(v))
	}
	lim := max(m*0x1p-64, 0x1p-100)
	for j, v := range r {
		if abs32(v) < lim {
			r[j] = 0
		}
	}
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// RowDot returns Σ_d a[b,d]·b[b,d] for two matrices [B, D], as [B]. With a
// one-hot a it gathers the selected entry of each row of b.
func RowDot(a, b *G.Node) (*G.Node, error) {
	const name = "RowDot"
	o := &op{name: name, inDims: []int{2, 2}, outDims: 1, diff: []bool{true, true},
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if !sameShape(in[0], in[1]) {
				return nil, fmt.Errorf("%s: shapes %v and %v differ", name, in[0], in[1])
			}
			return tensor.Shape{in[0][0]}, nil
		},
	}
	k := 0
	if a != nil && a.Shape().Dims() == 2 {
		k = a.Shape()[1]
	}
	o.k = kernel{
		f32: func(out []float32, in [][]float32) error { rowDotK(out, in[0], in[1], k); return nil },
		f64: func(out []float64, in [][]float64) error { rowDotK(out, in[0], in[1], k); return nil },
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		da, err := RowScale(g, in[1])
		if err != nil {
			return nil, err
		}
		db, err := RowScale(g, in[0])
		return G.Nodes{da, db}, err
	}
	return apply(o, a, b)
}

func rowDotK[T float](out, a, b []T, k int) {
	for i := range out {
		var s T
		ra, rb := a[i*k:(i+1)*k], b[i*k:(i+1)*k]
		for j := range ra {
			s += ra[j] * rb[j]
		}
		out[i] = s
	}
}

// RowScale returns w[b]·x[b,d] for a weight vector w [B] and a matrix x
// [B, D], as [B, D].
func RowScale(w, x *G.Node) (*G.Node, error) {
	const name = "RowScale"
	o := &op{name: name, inDims: []int{1, 2}, outDims: 2, diff: []bool{true, true},
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if len(in[1]) != 2 || in[0][0] != in[1][0] {
				return nil, fmt.Errorf("%s: weights %v do not match rows of %v", name, in[0], in[1])
			}
			return in[1].Clone(), nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { rowScaleK(out, in[0], in[1]); return nil },
			f64: func(out []float64, in [][]float64) error { rowScaleK(out, in[0], in[1]); return nil },
		},
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		dw, err := RowDot(g, in[1])
		if err != nil {
			return nil, err
		}
		dx, err := RowScale(in[0], g)
		return G.Nodes{dw, dx}, err
	}
	return apply(o, w, x)
}

func rowScaleK[T float](out, w, x []T) {
	k := len(x) / max(len(w), 1)
	for i, wi := range w {
		for j := i * k; j < (i+1)*k; j++ {
			out[j] = wi * x[j]
		}
	}
}

// RowSum returns Σ_d x[b,d] for a matrix x [B, D], as [B].
func RowSum(x *G.Node) (*G.Node, error) {
	if x == nil || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("RowSum: want a matrix [B, D]")
	}
	return reduce(x, modeCol, tensor.Shape{x.Shape()[0]})
}

// ArgmaxOneHot returns the one-hot encoding [B, K] of the argmax of each row
// of x [B, K] (the first maximum on ties). It stops gradients: nothing flows
// back into x.
func ArgmaxOneHot(x *G.Node) (*G.Node, error) {
	const name = "ArgmaxOneHot"
	if x == nil || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: want a matrix [B, K]", name)
	}
	k := x.Shape()[1]
	o := &op{name: name, inDims: []int{2}, outDims: 2, diff: []bool{false},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil },
		k: kernel{
			f32: func(out []float32, in [][]float32) error { argmaxK(out, in[0], k); return nil },
			f64: func(out []float64, in [][]float64) error { argmaxK(out, in[0], k); return nil },
		},
	}
	return apply(o, x)
}

func argmaxK[T float](out, x []T, k int) {
	for i := 0; i+k <= len(x); i += k {
		best := i
		for j := i + 1; j < i+k; j++ {
			if x[j] > x[best] {
				best = j
			}
		}
		out[best] = 1
	}
}

// StopGradient returns a copy of x through which no gradient flows.
func StopGradient(x *G.Node) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("StopGradient: nil input")
	}
	d := x.Shape().Dims()
	o := &op{name: "StopGradient", inDims: []int{d}, outDims: d, diff: []bool{false},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil },
		k: kernel{
			f32: func(out []float32, in [][]float32) error { copy(out, in[0]); return nil },
			f64: func(out []float64, in [][]float64) error { copy(out, in[0]); return nil },
		},
	}
	if d == 0 {
		return nil, fmt.Errorf("StopGradient: scalars are not supported")
	}
	return apply(o, x)
}

package ops

import (
	"fmt"
	"math"

	"github.com/viterin/vek/vek32"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Act names an element-wise activation.
type Act string

// The activations. None is the identity.
const (
	None     Act = "none"
	ReLU     Act = "relu"
	Softplus Act = "softplus"
	Sigmoid  Act = "sigmoid"
	Tanh     Act = "tanh"
	ELU      Act = "elu"
)

// Acts returns every activation, in a fixed order.
func Acts() []Act { return []Act{None, ReLU, Softplus, Sigmoid, Tanh, ELU} }

// ParseAct returns the activation called name, or an error naming the
// known ones.
func ParseAct(name string) (Act, error) {
	for _, a := range Acts() {
		if string(a) == name {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown activation %q (want one of %v)", name, Acts())
}

// actF returns the activation of one value, computed in float64. Softplus is
// log1p(exp(-|x|)) + max(x, 0), stable for any x; sigmoid is written so
// that exp never overflows.
func actF(a Act, x float64) float64 {
	switch a {
	case ReLU:
		return math.Max(x, 0)
	case Softplus:
		return math.Log1p(math.Exp(-math.Abs(x))) + math.Max(x, 0)
	case Sigmoid:
		if x >= 0 {
			return 1 / (1 + math.Exp(-x))
		}
		e := math.Exp(x)
		return e / (1 + e)
	case Tanh:
		return math.Tanh(x)
	case ELU:
		if x > 0 {
			return x
		}
		return expm1(x)
	}
	return x
}

// actD returns the derivative of the activation at the input whose output
// is y, from y alone (so backward passes need not keep the input).
func actD(a Act, y float64) float64 {
	switch a {
	case ReLU:
		if y > 0 {
			return 1
		}
		return 0
	case Softplus: // sigmoid(x) = 1 - exp(-softplus(x))
		return -expm1(-y)
	case Sigmoid:
		return y * (1 - y)
	case Tanh:
		return 1 - y*y
	case ELU:
		if y > 0 {
			return 1
		}
		return y + 1
	}
	return 1
}

// actK is out = a(x) element-wise; out may be x. float32 slices go to
// act32's vectorised kernels where there is one.
func actK[T float](a Act, out, x []T) {
	if o, ok := any(out).([]float32); ok && act32(a, o, any(x).([]float32)) {
		return
	}
	switch a {
	case ReLU:
		reluK(out, x)
	case Softplus:
		for i, v := range x {
			f := float64(v)
			out[i] = T(math.Log1p(math.Exp(-math.Abs(f))) + math.Max(f, 0))
		}
	case Sigmoid:
		for i, v := range x {
			f := float64(v)
			if f >= 0 {
				out[i] = T(1 / (1 + math.Exp(-f)))
			} else {
				e := math.Exp(f)
				out[i] = T(e / (1 + e))
			}
		}
	case Tanh:
		for i, v := range x {
			out[i] = T(math.Tanh(float64(v)))
		}
	case ELU:
		for i, v := range x {
			if v > 0 {
				out[i] = v
			} else {
				out[i] = T(expm1(float64(v)))
			}
		}
	default:
		copy(out, x)
	}
}

// actGradK is dx = g ⊙ a'(x) from the output y. float32 slices go to
// actGrad32's kernels where there is one.
func actGradK[T float](a Act, dx, y, g []T) {
	parRows(len(y), 1, func(lo, hi int) { actGradRange(a, dx[lo:hi], y[lo:hi], g[lo:hi]) })
}

// actGradRange is actGradK on one goroutine.
func actGradRange[T float](a Act, dx, y, g []T) {
	if d, ok := any(dx).([]float32); ok && actGrad32(a, d, any(y).([]float32), any(g).([]float32)) {
		return
	}
	switch a {
	case ReLU:
		reluGradK(dx, y, g)
	case Softplus:
		for i, v := range y {
			dx[i] = g[i] * T(-expm1(-float64(v)))
		}
	case Sigmoid:
		for i, v := range y {
			dx[i] = g[i] * v * (1 - v)
		}
	case Tanh:
		for i, v := range y {
			dx[i] = g[i] * (1 - v*v)
		}
	case ELU:
		for i, v := range y {
			if v > 0 {
				dx[i] = g[i]
			} else {
				dx[i] = g[i] * (v + 1)
			}
		}
	default:
		copy(dx, g)
	}
}

// Activate applies the activation a element-wise to x (a vector or a
// matrix). None returns x itself.
func Activate(x *G.Node, a Act) (*G.Node, error) {
	if _, err := ParseAct(string(a)); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, fmt.Errorf("Activate(%s): nil input", a)
	}
	if a == None {
		return x, nil
	}
	d := x.Shape().Dims()
	if d < 1 || d > 2 {
		return nil, fmt.Errorf("Activate(%s): want a vector or matrix, got %v", a, x.Shape())
	}
	same := func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
	o := &op{name: "Act(" + string(a) + ")", inDims: []int{d}, outDims: d, shape: same, diff: []bool{true}, inplace: true,
		k: kernel{
			f32: func(out []float32, in [][]float32) error { actK(a, out, in[0]); return nil },
			f64: func(out []float64, in [][]float64) error { actK(a, out, in[0]); return nil },
		},
	}
	o.grad = func(_ G.Nodes, y, g *G.Node) (G.Nodes, error) {
		dx, err := actGrad(y, g, a)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

// actGrad returns g ⊙ a'(x) from the activation's output y.
func actGrad(y, g *G.Node, a Act) (*G.Node, error) {
	d := y.Shape().Dims()
	same := func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
	o := &op{name: "ActGrad(" + string(a) + ")", inDims: []int{d, d}, outDims: d, shape: same, diff: []bool{false, false}, full: true,
		k: kernel{
			f32: func(out []float32, in [][]float32) error { actGradK(a, out, in[0], in[1]); return nil },
			f64: func(out []float64, in [][]float64) error { actGradK(a, out, in[0], in[1]); return nil },
		},
	}
	return apply(o, y, g)
}

// BiasAct returns act(x + b) for x [B, C·R] and a bias b [C] repeated R
// times per channel: out[n, c·R + r] = act(x[n, c·R + r] + b[c]). R = 1 is
// the ordinary bias add of a linear layer; R = H·W adds a per-channel bias
// to a convolution's output. It is one fused op (no copy of the bias to the
// batch); its backward pass forms g ⊙ act' once and sums it for b.
func BiasAct(x, b *G.Node, repeat int, a Act) (*G.Node, error) {
	name := fmt.Sprintf("BiasAct(%s,R=%d)", a, repeat)
	if _, err := ParseAct(string(a)); err != nil {
		return nil, err
	}
	if x == nil || b == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	if repeat < 1 {
		return nil, fmt.Errorf("%s: repeat must be positive", name)
	}
	o := &op{name: name, inDims: []int{2, 1}, outDims: 2, diff: []bool{true, true}, inplace: true,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if len(in[0]) != 2 || len(in[1]) != 1 || in[0][1] != in[1][0]*repeat {
				return nil, fmt.Errorf("%s: x %v does not match bias %v", name, in[0], in[1])
			}
			return in[0].Clone(), nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { biasActK(a, out, in[0], in[1], repeat); return nil },
			f64: func(out []float64, in [][]float64) error { biasActK(a, out, in[0], in[1], repeat); return nil },
		},
	}
	o.grad = func(in G.Nodes, y, g *G.Node) (G.Nodes, error) {
		dpre := g
		if a != None {
			var err error
			if dpre, err = actGrad(y, g, a); err != nil {
				return nil, err
			}
		}
		db, err := biasGrad(dpre, in[1].Shape()[0], repeat)
		return G.Nodes{dpre, db}, err
	}
	return apply(o, x, b)
}

// BiasAdd returns x + b for x [B, D] and b [D]; see BiasAct.
func BiasAdd(x, b *G.Node) (*G.Node, error) { return BiasAct(x, b, 1, None) }

// biasActBlock is about how many elements biasActK adds the bias to
// before it applies the activation to them in one actK call: whole rows,
// enough of them that the float32 kernels' per-call and per-chunk costs do
// not add up over narrow rows, few enough (8 KB of float32) that the block
// and the kernels' scratch stay in half of an L1 cache shared by two
// hardware threads.
const biasActBlock = 2048

// biasActK is out = act(x + b) for x [B, C·R] and b [C] repeated R times
// (see BiasAct), a block of rows at a time; out may be x.
func biasActK[T float](a Act, out, x, b []T, r int) {
	d := max(len(b)*r, 1)
	parRows(len(x)/d, d, func(lo, hi int) {
		biasActRows(a, out[lo*d:hi*d], x[lo*d:hi*d], b, r)
	})
}

// biasActRows is biasActK on one goroutine.
func biasActRows[T float](a Act, out, x, b []T, r int) {
	d := len(b) * r
	n := len(x) / max(d, 1) * d // whole rows
	step := max(biasActBlock/max(d, 1), 1) * d
	for i0 := 0; i0 < n; i0 += step {
		i1 := min(i0+step, n)
		for i := i0; i < i1; i += d {
			if r == 1 {
				o, xi := out[i:i+d], x[i:i+d]
				if o32, ok := any(o).([]float32); ok {
					// The AVX2 add: the same IEEE sums, 8 at a time, in one
					// pass (in place when out is x). vek's Add_Into copied x
					// into out first: that copy was 2 % of the MNIST step.
					add32s(o32, any(xi).([]float32), any(b).([]float32))
					continue
				}
				for c, bc := range b {
					o[c] = xi[c] + bc
				}
				continue
			}
			for c, bc := range b {
				o, xi := out[i+c*r:i+(c+1)*r], x[i+c*r:i+(c+1)*r]
				for j, v := range xi {
					o[j] = v + bc
				}
			}
		}
		if a != None {
			actK(a, out[i0:i1], out[i0:i1])
		}
	}
}

// biasGrad sums g [B, C·R] over the batch and the repeats, giving [C].
func biasGrad(g *G.Node, c, r int) (*G.Node, error) {
	name := fmt.Sprintf("BiasGrad(C=%d,R=%d)", c, r)
	o := &op{name: name, inDims: []int{2}, outDims: 1, diff: []bool{false},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{c}, nil },
		k: kernel{
			f32: func(out []float32, in [][]float32) error { biasGradK(out, in[0], r); return nil },
			f64: func(out []float64, in [][]float64) error { biasGradK(out, in[0], r); return nil },
		},
	}
	return apply(o, g)
}

func biasGradK[T float](out, g []T, r int) {
	d := len(out) * r
	for i := 0; i+d <= len(g); i += d {
		if r == 1 {
			gi := g[i : i+d]
			if o32, ok := any(out).([]float32); ok {
				vek32.Add_Inplace(o32, any(gi).([]float32))
				continue
			}
			for c := range out {
				out[c] += gi[c]
			}
			continue
		}
		for c := range out {
			var s T
			for _, v := range g[i+c*r : i+(c+1)*r] {
				s += v
			}
			out[c] += s
		}
	}
}

// expm1 is exp(x) - 1 to about 3e-14 relative error, several times faster
// than math.Expm1 (which has no assembly): a Taylor series near 0, the
// plain difference elsewhere (its cancellation costs at most eps/|x|).
func expm1(x float64) float64 {
	if math.Abs(x) < 1e-2 {
		return x * (1 + x*(1.0/2+x*(1.0/6+x*(1.0/24+x*(1.0/120+x/720)))))
	}
	return math.Exp(x) - 1
}

// reluK is out = max(x, 0) element-wise, to the bit as Go's max (−0 and
// negatives give +0, NaN stays NaN), without a branch on the sign, which
// a layer's pre-activations mispredict about half the time.
func reluK[T float](out, x []T) {
	switch o := any(out).(type) {
	case []float32:
		relu32s(o, any(x).([]float32))
	case []float64:
		for i, v := range any(x).([]float64) {
			b := math.Float64bits(v)
			r := b &^ uint64(int64(b)>>63)
			if v != v {
				r = b
			}
			o[i] = math.Float64frombits(r)
		}
	}
}

// reluGradK is dx = g where y > 0 and +0 elsewhere (NaN y included), the
// ReLU gradient from its output y, without a branch on y.
func reluGradK[T float](dx, y, g []T) {
	switch d := any(dx).(type) {
	case []float32:
		reluGrad32s(d, any(y).([]float32), any(g).([]float32))
	case []float64:
		gs := any(g).([]float64)
		for i, v := range any(y).([]float64) {
			b := int64(math.Float64bits(v))
			// b > 0 and b ≤ +Inf's bits; b − (+Inf+1) cannot overflow for b > 0.
			pos := uint64(-b) >> 63
			fin := uint64(b-0x7ff0000000000001) >> 63
			m := -(pos & fin)
			d[i] = math.Float64frombits(math.Float64bits(gs[i]) & m)
		}
	}
}

package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// likKind names a fused element-wise log-likelihood.
type likKind int

const (
	likNormal likKind = iota
	likLaplace
	likBernLogits
	likBernProbs
)

func (k likKind) String() string {
	return [...]string{"Normal", "Laplace", "BernoulliLogits", "BernoulliProbs"}[k]
}

// elemLP returns the log-density of one element and its partial derivatives
// with respect to x, a and b (the distribution's parameters).
func elemLP(k likKind, eps, x, a, b float64) (lp, dx, da, db float64) {
	switch k {
	case likNormal: // a = loc, b = scale
		z := (x - a) / b
		lp = -0.5*z*z - math.Log(b) - 0.5*math.Log(2*math.Pi)
		return lp, -z / b, z / b, (z*z - 1) / b
	case likLaplace: // a = loc, b = scale
		d := x - a
		s := 0.0
		if d > 0 {
			s = 1
		} else if d < 0 {
			s = -1
		}
		lp = -math.Abs(d)/b - math.Log(2*b)
		return lp, -s / b, s / b, math.Abs(d)/(b*b) - 1/b
	case likBernLogits: // a = logits
		sp := math.Log1p(math.Exp(-math.Abs(a))) + math.Max(a, 0)
		return x*a - sp, a, x - actF(Sigmoid, a), 0
	case likBernProbs: // a = probs, clamped to [eps, 1-eps]
		p := math.Min(math.Max(a, eps), 1-eps)
		lp = x*math.Log(p) + (1-x)*math.Log1p(-p)
		if a > eps && a < 1-eps {
			da = x/p - (1-x)/(1-p)
		}
		return lp, math.Log(p) - math.Log1p(-p), da, 0
	}
	return math.NaN(), 0, 0, 0
}

func likArity(k likKind) int {
	if k == likBernLogits || k == likBernProbs {
		return 2
	}
	return 3
}

// likelihood builds the fused op of kind k over same-shaped matrices
// [B, D]: Σ_d log p(x[b,d] | params[b,d]), as [B].
func likelihood(k likKind, eps float64, xs ...*G.Node) (*G.Node, error) {
	name := fmt.Sprintf("%sLogProb(eps=%g)", k, eps)
	n := likArity(k)
	if len(xs) != n {
		return nil, fmt.Errorf("%s: want %d inputs", name, n)
	}
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
	// The Bernoulli-logits forward pass keeps x − sigmoid(l) for its
	// gradient with respect to the logits.
	var c *residCache
	if k == likBernLogits {
		c = &residCache{}
	}
	o := &op{name: name, inDims: dims, outDims: 1, shape: same, diff: make([]bool, n),
		k: kernel{
			f32: func(out []float32, in [][]float32) error { likC(k, eps, out, in, -1, c); return nil },
			f64: func(out []float64, in [][]float64) error { likC(k, eps, out, in, -1, c); return nil },
		},
	}
	for i := range o.diff {
		o.diff[i] = true
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		out := make(G.Nodes, n)
		for w := 0; w < n; w++ {
			w := w
			b := &op{name: fmt.Sprintf("%sGrad%d", name, w), inDims: append(append([]int(nil), dims...), 1), outDims: 2, diff: make([]bool, n+1),
				shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil },
				k: kernel{
					f32: func(o []float32, in [][]float32) error { likC(k, eps, o, in, w, c); return nil },
					f64: func(o []float64, in [][]float64) error { likC(k, eps, o, in, w, c); return nil },
				},
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

// residCache holds what a Bernoulli-logits forward pass computed for the
// backward pass of the same run: x − sigmoid(l) per element, and the
// inputs it was computed from (the first elements' addresses and the
// length). The TapeMachine runs an op's gradient after the op in every run,
// and the gradient reads the same x and l (live, so not overwritten), so a
// gradient that finds its inputs' addresses uses the residuals; otherwise
// (e.g. a graph running the gradient alone) it computes them.
type residCache struct {
	f32 resid[float32]
	f64 resid[float64]
}

type resid[T float] struct {
	x, a *T
	r    []T
}

func (c *residCache) of(v any) any {
	if _, ok := v.([]float32); ok {
		return &c.f32
	}
	return &c.f64
}

// likC is likK with the Bernoulli-logits residual cache c (nil for the
// other kinds).
func likC[T float](k likKind, eps float64, out []T, in [][]T, wrt int, c *residCache) {
	if c == nil || wrt == 0 || len(in[0]) == 0 {
		likK(k, eps, out, in, wrt)
		return
	}
	rc := c.of(out).(*resid[T])
	x, a := in[0], in[1]
	if wrt < 0 {
		if len(rc.r) != len(x) {
			rc.r = make([]T, len(x))
		}
		bernLogitsFwd(out, x, a, rc.r)
		rc.x, rc.a = &x[0], &a[0]
		return
	}
	if rc.x != &x[0] || rc.a != &a[0] || len(rc.r) != len(x) {
		likK(k, eps, out, in, wrt)
		return
	}
	up := in[2]
	d := len(x) / max(len(up), 1)
	for r, gv := range up {
		or, rr := out[r*d:(r+1)*d], rc.r[r*d:(r+1)*d]
		for j, v := range rr {
			or[j] = gv * v
		}
	}
}

// bernLogitsFwd is bernLogitsK's value that also stores x − sigmoid(l) per
// element in resid.
func bernLogitsFwd[T float](out, x, a, resid []T) {
	bernLogitsFwdSplit(defaultSplit(), out, x, a, resid)
}

// bernLogitsFwdSplit is bernLogitsFwd with its rows divided by sp.
func bernLogitsFwdSplit[T float](sp split, out, x, a, resid []T) {
	d := len(x) / max(len(out), 1)
	f32 := single[T]()
	sp.rows(len(out), d, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			var s float64
			xr, ar, rr := x[r*d:(r+1)*d], a[r*d:(r+1)*d], resid[r*d:(r+1)*d]
			for j, av := range ar {
				l := float64(av)
				e := math.Exp(-math.Abs(l))
				sp := log1pOf(e, f32)
				xj := float64(xr[j])
				s += xj*l - (sp + math.Max(l, 0))
				sig := 1 / (1 + e)
				if l < 0 {
					sig = e / (1 + e)
				}
				rr[j] = T(xj - sig)
			}
			out[r] = T(s)
		}
	})
}

// likK computes the row sums of the log-likelihood (wrt < 0) into out [B],
// or the gradient with respect to input wrt, scaled by the incoming
// gradient in[len-1] [B], into out [B, D].
func likK[T float](k likKind, eps float64, out []T, in [][]T, wrt int) {
	if k == likBernLogits && wrt != 0 {
		bernLogitsK(out, in, wrt)
		return
	}
	if k == likNormal {
		normalK(out, in, wrt)
		return
	}
	x := in[0]
	a := in[1]
	var b []T
	if len(in) > 2 && (k == likNormal || k == likLaplace) {
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
			lp, dx, da, db := elemLP(k, eps, float64(x[j]), float64(a[j]), bj)
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

// NormalLogProb returns Σ_d log N(x | loc, scale) for same-shaped matrices
// [B, D], as [B]. Gradients flow to all three.
func NormalLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	return likelihood(likNormal, 0, x, loc, scale)
}

// LaplaceLogProb returns Σ_d log Laplace(x | loc, scale) for same-shaped
// matrices [B, D], as [B]. The derivative of |x - loc| at 0 is taken as 0.
func LaplaceLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	return likelihood(likLaplace, 0, x, loc, scale)
}

// BernoulliLogitsLogProb returns Σ_d x·l - softplus(l) for same-shaped
// matrices x and logits l [B, D], as [B]; stable for any l, and valid for
// continuous x in [0, 1] too.
func BernoulliLogitsLogProb(x, logits *G.Node) (*G.Node, error) {
	return likelihood(likBernLogits, 0, x, logits)
}

// BernoulliProbsLogProb returns Σ_d x log p + (1-x) log(1-p) for same-shaped
// matrices [B, D], as [B], with p clamped to [eps, 1-eps] (eps in (0, 0.5));
// the gradient with respect to p is 0 where the clamp is active.
func BernoulliProbsLogProb(x, probs *G.Node, eps float64) (*G.Node, error) {
	if !(eps > 0 && eps < 0.5) {
		return nil, fmt.Errorf("BernoulliProbsLogProb: eps %g not in (0, 0.5)", eps)
	}
	return likelihood(likBernProbs, eps, x, probs)
}

// bernLogitsK is likK for the Bernoulli log-likelihood with logits, its
// value (wrt < 0) or its gradient with respect to the logits (wrt = 1): the
// same arithmetic as elemLP without its per-element dispatch, with one exp
// per element and a cheaper log1p (log1pUnit) in float32 kernels. It
// is the decoder's likelihood over every pixel of every row, forward and
// backward.
func bernLogitsK[T float](out []T, in [][]T, wrt int) {
	x, a := in[0], in[1]
	if wrt < 0 {
		d := len(x) / max(len(out), 1)
		f32 := single[T]()
		for r := range out {
			var s float64
			xr, ar := x[r*d:(r+1)*d], a[r*d:(r+1)*d]
			for j, av := range ar {
				l := float64(av)
				e := math.Exp(-math.Abs(l))
				sp := log1pOf(e, f32)
				s += float64(xr[j])*l - (sp + math.Max(l, 0))
			}
			out[r] = T(s)
		}
		return
	}
	up := in[len(in)-1]
	d := len(x) / max(len(up), 1)
	for r, gv := range up {
		gr := float64(gv)
		xr, ar, or := x[r*d:(r+1)*d], a[r*d:(r+1)*d], out[r*d:(r+1)*d]
		for j, av := range ar {
			l := float64(av)
			e := math.Exp(-math.Abs(l))
			sig := 1 / (1 + e)
			if l < 0 {
				sig = e / (1 + e)
			}
			or[j] = T(gr * (float64(xr[j]) - sig))
		}
	}
}

// normalK is likK for the Normal log-density: elemLP's arithmetic without
// its per-element dispatch, and without the log of the scale in the
// gradients, which do not need it.
func normalK[T float](out []T, in [][]T, wrt int) {
	x, a, b := in[0], in[1], in[2]
	if wrt < 0 {
		d := len(x) / max(len(out), 1)
		c := 0.5 * math.Log(2*math.Pi)
		for r := range out {
			var s float64
			for j := r * d; j < (r+1)*d; j++ {
				bj := float64(b[j])
				z := (float64(x[j]) - float64(a[j])) / bj
				s += -0.5*z*z - math.Log(bj) - c
			}
			out[r] = T(s)
		}
		return
	}
	up := in[len(in)-1]
	d := len(x) / max(len(up), 1)
	for r, gv := range up {
		gr := float64(gv)
		for j := r * d; j < (r+1)*d; j++ {
			bj := float64(b[j])
			z := (float64(x[j]) - float64(a[j])) / bj
			switch wrt {
			case 0:
				out[j] = T(gr * (-z / bj))
			case 1:
				out[j] = T(gr * (z / bj))
			case 2:
				out[j] = T(gr * ((z*z - 1) / bj))
			}
		}
	}
}

// log1pUnit is log(1 + e) for e in [0, 1] to about 1e-9 relative error
// (ample for float32 kernels), several times faster than math.Log: with
// s = e / (2 + e) ≤ 1/3, log(1 + e) = 2 atanh(s) = 2 Σ_k s^(2k+1) / (2k+1),
// and the terms past s^17 are below 3e-10 relative.
func log1pUnit(e float64) float64 {
	s := e / (2 + e)
	q := s * s
	p := 1.0 / 17
	p = 1.0/15 + q*p
	p = 1.0/13 + q*p
	p = 1.0/11 + q*p
	p = 1.0/9 + q*p
	p = 1.0/7 + q*p
	p = 1.0/5 + q*p
	p = 1.0/3 + q*p
	return 2 * s * (1 + q*p)
}

// log1pOf returns log(1 + e) for e = exp(-|l|) in (0, 1], the part of
// softplus(l) = log(1 + e) + max(l, 0) that needs a logarithm; float32
// kernels use the cheaper series log1pUnit.
func log1pOf(e float64, f32 bool) float64 {
	if f32 {
		return log1pUnit(e)
	}
	return math.Log1p(e)
}

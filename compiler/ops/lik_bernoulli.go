package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// BernoulliLogitsLogProb returns Σ_d x·l - softplus(l) for same-shaped
// matrices x and logits l [B, D], as [B]; stable for any l, and valid for
// continuous x in [0, 1] too. The forward pass keeps x − sigmoid(l) for
// the gradient with respect to the logits.
func BernoulliLogitsLogProb(x, logits *G.Node) (*G.Node, error) {
	c := &residCache{}
	return fusedLik("BernoulliLogitsLogProb(eps=0)", func(wrt int) kernel {
		if wrt == 0 {
			return elemKernels(2, bernLogitsElem)(0)
		}
		return kernel{
			f32: func(out []float32, in [][]float32) error { bernLogitsC(out, in, wrt, c); return nil },
			f64: func(out []float64, in [][]float64) error { bernLogitsC(out, in, wrt, c); return nil },
		}
	}, x, logits)
}

// BernoulliProbsLogProb returns Σ_d x log p + (1-x) log(1-p) for same-shaped
// matrices [B, D], as [B], with p clamped to [eps, 1-eps] (eps in (0, 0.5));
// the gradient with respect to p is 0 where the clamp is active.
func BernoulliProbsLogProb(x, probs *G.Node, eps float64) (*G.Node, error) {
	if !(eps > 0 && eps < 0.5) {
		return nil, fmt.Errorf("BernoulliProbsLogProb: eps %g not in (0, 0.5)", eps)
	}
	elem := func(x, a, _ float64) (lp, dx, da, db float64) { return bernProbsElem(eps, x, a) }
	return fusedLik(fmt.Sprintf("BernoulliProbsLogProb(eps=%g)", eps), elemKernels(2, elem), x, probs)
}

// bernLogitsElem is the Bernoulli log-density x·a − softplus(a) of one
// element at logits a, with its partial derivatives.
func bernLogitsElem(x, a, _ float64) (lp, dx, da, db float64) {
	sp := math.Log1p(math.Exp(-math.Abs(a))) + math.Max(a, 0)
	return x*a - sp, a, x - actF(Sigmoid, a), 0
}

// bernProbsElem is the Bernoulli log-density of one element at probs a,
// clamped to [eps, 1-eps], with its partial derivatives.
func bernProbsElem(eps, x, a float64) (lp, dx, da, db float64) {
	p := math.Min(math.Max(a, eps), 1-eps)
	lp = x*math.Log(p) + (1-x)*math.Log1p(-p)
	if a > eps && a < 1-eps {
		da = x/p - (1-x)/(1-p)
	}
	return lp, math.Log(p) - math.Log1p(-p), da, 0
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

// bernLogitsC is the Bernoulli-logits kernel of the value (wrt < 0) or
// of the gradient with respect to the logits (wrt = 1), through the
// residual cache c.
func bernLogitsC[T float](out []T, in [][]T, wrt int, c *residCache) {
	if len(in[0]) == 0 {
		bernLogitsK(out, in, wrt)
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
		bernLogitsK(out, in, wrt)
		return
	}
	up := in[2]
	d := len(x) / max(len(up), 1)
	parRows(len(up), d, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			gv := up[r]
			or, rr := out[r*d:(r+1)*d], rc.r[r*d:(r+1)*d]
			if o32, ok := any(or).([]float32); ok {
				// The AVX2 product: the same IEEE products, 8 at a time, in
				// one pass (vek's MulNumber_Into copies, then scales).
				scale32s(o32, any(rr).([]float32), any(gv).(float32))
				continue
			}
			for j, v := range rr {
				or[j] = gv * v
			}
		}
	})
}

// bernLogitsFwd is bernLogitsK's value that also stores x − sigmoid(l) per
// element in resid.
func bernLogitsFwd[T float](out, x, a, resid []T) {
	bernLogitsFwdSplit(defaultSplit(), out, x, a, resid)
}

// bernLogitsFwdSplit is bernLogitsFwd with its rows divided by sp.
func bernLogitsFwdSplit[T float](sp split, out, x, a, resid []T) {
	d := len(x) / max(len(out), 1)
	if o32, ok := any(out).([]float32); ok {
		x32, a32, r32 := any(x).([]float32), any(a).([]float32), any(resid).([]float32)
		sp.rows(len(out), d, func(lo, hi int) {
			bernFwd32(o32[lo:hi], x32[lo*d:hi*d], a32[lo*d:hi*d], r32[lo*d:hi*d])
		})
		return
	}
	sp.rows(len(out), d, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			var s float64
			xr, ar, rr := x[r*d:(r+1)*d], a[r*d:(r+1)*d], resid[r*d:(r+1)*d]
			for j, av := range ar {
				l := float64(av)
				e := math.Exp(-math.Abs(l))
				sp := math.Log1p(e)
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

// bernLogitsK is the Bernoulli log-likelihood with logits, its value
// (wrt < 0) or its gradient with respect to the logits (wrt = 1): the
// arithmetic of bernLogitsElem in one loop, with one exp per element; its
// float32 value is bernFwd32's (vek's exp and log), its float32 gradient a
// float64 sigmoid. It is the decoder's
// likelihood over every pixel of every row, forward and backward.
func bernLogitsK[T float](out []T, in [][]T, wrt int) {
	x, a := in[0], in[1]
	if wrt < 0 {
		if o32, ok := any(out).([]float32); ok {
			bernFwd32(o32, any(x).([]float32), any(a).([]float32), nil)
			return
		}
		d := len(x) / max(len(out), 1)
		for r := range out {
			var s float64
			xr, ar := x[r*d:(r+1)*d], a[r*d:(r+1)*d]
			for j, av := range ar {
				l := float64(av)
				e := math.Exp(-math.Abs(l))
				sp := math.Log1p(e)
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

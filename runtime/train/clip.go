package train

import (
	"math"

	"ssdgm/compiler"
	"ssdgm/runtime/optim"
)

// clipGrads clips grads in place: first each element to [-value, value]
// when value > 0, then all of them together by one factor so that their
// global L2 norm is at most norm when norm > 0. It returns the global norm
// before any clipping and whether anything was changed.
func clipGrads(grads compiler.Grads, norm, value float64) (float64, bool) {
	if grads.F64 != nil {
		return clipAll(grads.F64, norm, value)
	}
	return clipAll(grads.F32, norm, value)
}

// clipAll is clipGrads for gradients of element type T.
func clipAll[T optim.Float](grads [][]T, norm, value float64) (float64, bool) {
	total := 0.0
	clipped := false
	for _, g := range grads {
		s, c := clipElems(g, value)
		total, clipped = total+s, clipped || c
	}
	before := math.Sqrt(total)
	if value > 0 {
		// The norm that norm clipping sees is the one after element clipping.
		total = 0
		for _, g := range grads {
			total += sumSquares(g)
		}
	}
	if n := math.Sqrt(total); norm > 0 && n > norm {
		f := norm / n
		for _, g := range grads {
			scale(g, f)
		}
		clipped = true
	}
	return before, clipped
}

// clipElems returns the sum of squares of g before clipping its elements
// to [-value, value] (when value > 0), and whether any was clipped.
func clipElems[T optim.Float](g []T, value float64) (float64, bool) {
	s := 0.0
	clipped := false
	v := T(value)
	for i, x := range g {
		s += float64(x) * float64(x)
		if value > 0 && (x > v || x < -v) {
			g[i] = min(max(x, -v), v)
			clipped = true
		}
	}
	return s, clipped
}

func sumSquares[T optim.Float](g []T) float64 {
	s := 0.0
	for _, x := range g {
		s += float64(x) * float64(x)
	}
	return s
}

func scale[T optim.Float](g []T, f float64) {
	for i := range g {
		g[i] = T(float64(g[i]) * f)
	}
}

// clipping reports whether gradient clipping is on.
func clipping(norm, value float64) bool { return norm > 0 || value > 0 }

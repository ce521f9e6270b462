package ops

import (
	"math"

	G "gorgonia.org/gorgonia"
)

// NormalLogProb returns Σ_d log N(x | loc, scale) for same-shaped matrices
// [B, D], as [B]. Gradients flow to all three.
func NormalLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	return fusedLik("NormalLogProb(eps=0)", func(wrt int) kernel {
		return kernel{
			f32: func(out []float32, in [][]float32) error { normalK(out, in, wrt); return nil },
			f64: func(out []float64, in [][]float64) error { normalK(out, in, wrt); return nil },
		}
	}, x, loc, scale)
}

// normalK is the Normal family's likKernels: with z = (x − loc)/scale, the
// log-density −z²/2 − log scale − log √(2π) and its derivatives −z/scale,
// z/scale and (z² − 1)/scale (no logarithm in the gradients).
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

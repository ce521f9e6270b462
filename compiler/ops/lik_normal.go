package ops

import (
	"math"

	"github.com/viterin/vek/vek32"
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
		if o32, ok := any(out).([]float32); ok {
			normalFwd32(o32, any(x).([]float32), any(a).([]float32), any(b).([]float32))
			return
		}
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

// minNormal32 is the least normal float32. vek's log is exact to about an
// ulp from there on, but gives NaN at 0 and log(minNormal32) below it.
const minNormal32 = 0x1p-126

// normalFwd32 is normalK's float32 value: the logarithms of a row's
// scales on vek's AVX2 log in float32 (about 1 ulp; math.Log for scales
// that are not normal positive floats), each term and the row sum in
// float64 as in the float64 kernel. It replaces a float64 math.Log per
// element, most of the kernel's time.
func normalFwd32(out, x, a, b []float32) {
	d := len(x) / max(len(out), 1)
	c := 0.5 * math.Log(2*math.Pi)
	var lb [bernChunk]float32
	for r := range out {
		var s float64
		for j0 := r * d; j0 < (r+1)*d; j0 += bernChunk {
			j1 := min(j0+bernChunk, (r+1)*d)
			br, xr, ar := b[j0:j1], x[j0:j1], a[j0:j1]
			lg := vek32.Log_Into(lb[:len(br)], br)
			for j, bv := range br {
				bj := float64(bv)
				z := (float64(xr[j]) - float64(ar[j])) / bj
				l := float64(lg[j])
				if !(bv >= minNormal32) { // 0, subnormal, negative or NaN
					l = math.Log(bj)
				}
				s += -0.5*z*z - l - c
			}
		}
		out[r] = float32(s)
	}
}

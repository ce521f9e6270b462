package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// simdInputs returns n float32 values: normal ones over several scales and,
// every few places, the special values the kernels must treat as Go does
// (±0, ±Inf, NaN of either sign, subnormals, the largest floats).
func simdInputs(r *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), -float32(math.NaN()), 1e-40, -1e-40, math.MaxFloat32, -math.MaxFloat32, 88, -88, -87, -200}
	x := make([]float32, n)
	for i := range x {
		if r.IntN(5) == 0 {
			x[i] = special[r.IntN(len(special))]
			continue
		}
		x[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
	}
	return x
}

func sameBits32(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d of %d = %v (%#x), Go loop %v (%#x)", name, i, len(want), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestSIMDKernelsBitsAsGo: the AVX2 kernels of simd_amd64.s give the bits
// of the Go loops they replace, on lengths with and without a tail past
// the last group of 8 and on the special values.
func TestSIMDKernelsBitsAsGo(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2 kernels on this CPU or build: the Go loops run alone")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 8, 9, 64, 255, 256, 784} {
		l, x, y := simdInputs(r, n), simdInputs(r, n), simdInputs(r, n)

		got, want := make([]float32, n), make([]float32, n)
		relu32s(got, l)
		reluGo32(want, l)
		sameBits32(t, "relu", got, want)

		reluGrad32s(got, l, y)
		reluGradGo32(want, l, y)
		sameBits32(t, "relu gradient", got, want)

		e, we := make([]float32, n), make([]float32, n)
		bernPrep32s(e, l)
		for j, v := range l {
			v = -abs32(v)
			if v < expFloor32 {
				v = expFloor32
			}
			we[j] = v
		}
		sameBits32(t, "Bernoulli exp argument", e, we)

		// e in [0, 1] as exp(−|l|) gives it; lg = log(1 + e).
		for j := range e {
			e[j] = float32(math.Exp(float64(e[j])))
		}
		lg := make([]float32, n)
		for j, v := range e {
			lg[j] = float32(math.Log1p(float64(v)))
		}
		tt, wt := make([]float64, n), make([]float64, n)
		bernTerms32s(tt, l, x, lg)
		for j := range l {
			l64 := float64(l[j])
			wt[j] = float64(x[j])*l64 - (float64(lg[j]) + 0.5*(l64+math.Abs(l64)))
		}
		for j := range wt {
			if math.Float64bits(tt[j]) != math.Float64bits(wt[j]) && !(math.IsNaN(tt[j]) && math.IsNaN(wt[j])) {
				t.Fatalf("Bernoulli term %d of %d = %v, Go loop %v (l %v, x %v, lg %v)", j, n, tt[j], wt[j], l[j], x[j], lg[j])
			}
		}

		bernResid32s(got, x, l, e)
		for j := range l {
			ev := e[j]
			inv := 1 / (1 + ev)
			if math.Signbit(float64(l[j])) {
				want[j] = x[j] - inv*ev
			} else {
				want[j] = x[j] - inv
			}
		}
		sameBits32(t, "Bernoulli residual", got, want)

		add32s(got, x, y)
		for j := range x {
			want[j] = x[j] + y[j]
		}
		sameBits32(t, "sum", got, want)
		copy(got, x)
		add32s(got, got, y) // in place, as the bias is added
		sameBits32(t, "sum in place", got, want)

		for _, s := range []float32{1, -0.5, 3e-39, float32(math.Inf(1))} {
			scale32s(got, x, s)
			for j := range x {
				want[j] = s * x[j]
			}
			sameBits32(t, "scale", got, want)
		}
	}
}

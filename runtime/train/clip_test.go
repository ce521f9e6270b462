package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"ssdgm/compiler"
)

func globalNorm(grads compiler.Grads) float64 {
	s := 0.0
	for _, g := range grads.F32 {
		s += sumSquares(g)
	}
	for _, g := range grads.F64 {
		s += sumSquares(g)
	}
	return math.Sqrt(s)
}

// randomGrads returns two gradients (float64 ones when f64, else float32)
// with entries of scale s.
func randomGrads(r *rand.Rand, s float64, f64 bool) compiler.Grads {
	a, b := make([]float64, 300), make([]float64, 77)
	for _, x := range [][]float64{a, b} {
		for i := range x {
			x[i] = s * r.NormFloat64()
		}
	}
	if f64 {
		return compiler.Grads{F64: [][]float64{a, b}}
	}
	return compiler.Grads{F32: [][]float32{f32s(a), f32s(b)}}
}

func f32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// flat returns every gradient element as float64, in order.
func flat(grads compiler.Grads) []float64 {
	var out []float64
	for _, g := range grads.F32 {
		for _, v := range g {
			out = append(out, float64(v))
		}
	}
	for _, g := range grads.F64 {
		out = append(out, g...)
	}
	return out
}

// clipCase is one case of TestClipGrads.
type clipCase struct {
	name         string
	scale        float64
	norm, value  float64
	wantClipped  bool
	wantUnchange bool
}

// TestClipGrads: norm clipping bounds the global norm and keeps the
// direction; gradients under the bound are left as they are; element
// clipping bounds every element; the norm reported is the one before. Each
// case runs on float32 and on float64 gradients.
func TestClipGrads(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []clipCase{
		{"norm, large gradients", 10, 1, 0, true, false},
		{"norm, small gradients", 0.001, 1, 0, false, true},
		{"value", 1, 0, 0.5, true, false},
		{"value and norm", 10, 3, 2, true, false},
		{"value, small gradients", 0.001, 0, 0.5, false, true},
	}
	for _, f64 := range []bool{false, true} {
		for _, tc := range tests {
			tc.name = fmt.Sprintf("%s (float64 %v)", tc.name, f64)
			testClip(t, randomGrads(r, tc.scale, f64), tc)
		}
	}
}

// testClip clips g as tc says and checks the result.
func testClip(t *testing.T, g compiler.Grads, tc clipCase) {
	t.Helper()
	orig := flat(g)
	before, clipped := clipGrads(g, tc.norm, tc.value)
	if n := math.Sqrt(sumSquares(orig)); math.Abs(before-n) > 1e-9*before {
		t.Errorf("%s: reported norm %v, the gradients' %v", tc.name, before, n)
	}
	if clipped != tc.wantClipped {
		t.Errorf("%s: clipped %v, want %v", tc.name, clipped, tc.wantClipped)
	}
	after := globalNorm(g)
	if tc.norm > 0 && after > tc.norm*(1+1e-6) {
		t.Errorf("%s: norm after clipping %v > %v", tc.name, after, tc.norm)
	}
	if tc.norm > 0 && tc.value == 0 && tc.wantClipped && math.Abs(after-tc.norm) > 1e-5*tc.norm {
		t.Errorf("%s: norm after clipping %v, want exactly %v", tc.name, after, tc.norm)
	}
	for i, a := range flat(g) {
		checkElem(t, tc.name, a, orig[i], before, tc.norm, tc.value, tc.wantUnchange)
	}
}

func checkElem(t *testing.T, name string, got, orig, before, norm, value float64, unchanged bool) {
	t.Helper()
	switch {
	case unchanged && got != orig:
		t.Fatalf("%s: element %v changed to %v under the bounds", name, orig, got)
	case value > 0 && math.Abs(got) > value*(1+1e-6):
		t.Fatalf("%s: element %v > clip_value %v", name, got, value)
	case value == 0 && norm > 0 && before > norm && math.Abs(got-orig*norm/before) > 1e-5*math.Abs(orig)+1e-12:
		t.Fatalf("%s: element %v scaled to %v, want %v (direction kept)", name, orig, got, orig*norm/before)
	}
}

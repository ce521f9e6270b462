package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func globalNorm(grads []any) float64 {
	s := 0.0
	for _, g := range grads {
		switch g := g.(type) {
		case []float32:
			s += sumSquares(g)
		case []float64:
			s += sumSquares(g)
		}
	}
	return math.Sqrt(s)
}

// randomGrads returns gradients of both dtypes with entries of scale s.
func randomGrads(r *rand.Rand, s float64) []any {
	a, b := make([]float32, 300), make([]float64, 77)
	for i := range a {
		a[i] = float32(s * r.NormFloat64())
	}
	for i := range b {
		b[i] = s * r.NormFloat64()
	}
	return []any{a, b}
}

func cloneGrads(grads []any) []any {
	out := make([]any, len(grads))
	for i, g := range grads {
		switch g := g.(type) {
		case []float32:
			out[i] = append([]float32(nil), g...)
		case []float64:
			out[i] = append([]float64(nil), g...)
		}
	}
	return out
}

// TestClipGrads: norm clipping bounds the global norm and keeps the
// direction; gradients under the bound are left as they are; element
// clipping bounds every element; the norm reported is the one before.
func TestClipGrads(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name         string
		scale        float64
		norm, value  float64
		wantClipped  bool
		wantUnchange bool
	}{
		{"norm, large gradients", 10, 1, 0, true, false},
		{"norm, small gradients", 0.001, 1, 0, false, true},
		{"value", 1, 0, 0.5, true, false},
		{"value and norm", 10, 3, 2, true, false},
		{"value, small gradients", 0.001, 0, 0.5, false, true},
	}
	for _, tc := range tests {
		g := randomGrads(r, tc.scale)
		orig := cloneGrads(g)
		before, clipped := clipGrads(g, tc.norm, tc.value)
		if math.Abs(before-globalNorm(orig)) > 1e-9*before {
			t.Errorf("%s: reported norm %v, the gradients' %v", tc.name, before, globalNorm(orig))
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
		for k := range g {
			switch a := g[k].(type) {
			case []float32:
				o := orig[k].([]float32)
				for i := range a {
					checkElem(t, tc.name, float64(a[i]), float64(o[i]), before, tc.norm, tc.value, tc.wantUnchange)
				}
			case []float64:
				o := orig[k].([]float64)
				for i := range a {
					checkElem(t, tc.name, a[i], o[i], before, tc.norm, tc.value, tc.wantUnchange)
				}
			}
		}
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

package data

import (
	"math"
	"testing"
)

// TestBinarize: every drawn value is 0 or 1, the mean of many draws of a
// grey value p is p, and p = 0 and p = 1 are kept exactly.
func TestBinarize(t *testing.T) {
	const n = 200000
	for _, p := range []float32{0, 0.05, 0.3, 0.5, 0.9, 1} {
		src := make([]float32, n)
		for i := range src {
			src[i] = p
		}
		dst := make([]float32, n)
		k1, k2 := BinarizeKey(7, StreamUnlabelled, 3, 1)
		Binarize(dst, src, k1, k2)
		sum := 0.0
		for i, v := range dst {
			if v != 0 && v != 1 {
				t.Fatalf("p = %g: value %d is %g, want 0 or 1", p, i, v)
			}
			sum += float64(v)
		}
		mean := sum / n
		// Five standard errors of the mean of n Bernoulli(p) draws.
		tol := 5 * math.Sqrt(float64(p)*(1-float64(p))/n)
		if math.Abs(mean-float64(p)) > tol || (p == 0 || p == 1) && mean != float64(p) {
			t.Errorf("p = %g: mean of %d draws %g (tolerance %g)", p, n, mean, tol)
		}
	}
}

// TestBinarizeKeys: the same key draws the same values; another step,
// position, stream or seed draws others.
func TestBinarizeKeys(t *testing.T) {
	src := make([]float32, 784)
	for i := range src {
		src[i] = 0.5
	}
	draw := func(seed int64, stream, a, b uint64) string {
		dst := make([]float32, len(src))
		k1, k2 := BinarizeKey(seed, stream, a, b)
		Binarize(dst, src, k1, k2)
		out := make([]byte, len(dst))
		for i, v := range dst {
			out[i] = byte(v)
		}
		return string(out)
	}
	base := draw(1, StreamUnlabelled, 10, 3)
	if draw(1, StreamUnlabelled, 10, 3) != base {
		t.Error("the same key drew different values")
	}
	for name, other := range map[string]string{
		"step":     draw(1, StreamUnlabelled, 11, 3),
		"position": draw(1, StreamUnlabelled, 10, 4),
		"stream":   draw(1, StreamLabelled, 10, 3),
		"seed":     draw(2, StreamUnlabelled, 10, 3),
	} {
		if other == base {
			t.Errorf("another %s drew the same values", name)
		}
	}
}

// TestBinarized: a split binarised once keeps its labels, holds 0/1
// images, leaves the original untouched, and gives the first n images the
// same draws as a split of only those n.
func TestBinarized(t *testing.T) {
	s := newSplit(6, [3]int{1, 4, 4}, nil)
	for i := range s.Images {
		s.Images[i] = float32(i%17) / 16
	}
	orig := append([]float32(nil), s.Images...)
	b := s.Binarized(EvalBinarizeSeed, StreamEval)
	for i, v := range b.Images {
		if v != 0 && v != 1 {
			t.Fatalf("value %d is %g", i, v)
		}
		if s.Images[i] != orig[i] {
			t.Fatal("Binarized changed the original split")
		}
	}
	head, err := s.Subset([]int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	hb := head.Binarized(EvalBinarizeSeed, StreamEval)
	for i, v := range hb.Images {
		if b.Images[i] != v {
			t.Fatalf("value %d of the first 3 images: %g in the subset, %g in the whole split", i, v, b.Images[i])
		}
	}
}

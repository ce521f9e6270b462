package train

import (
	"math"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
)

// greySplit is a split of n images of d grey values, image i holding
// (i+k) mod 11 / 10 at pixel k.
func greySplit(n, d int) *data.Split {
	s := &data.Split{N: n, Shape: [3]int{1, 1, d}, Images: make([]float32, n*d)}
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			s.Images[i*d+k] = float32((i+k)%11) / 10
		}
	}
	return s
}

// TestGatherBinarize: with data.binarize dynamic a batch holds 0/1 values
// whose mean is the mean grey value, drawn afresh at every step and the
// same again for the same step; with fixed, the values never change
// between steps; with none, the grey values are copied as they are.
func TestGatherBinarize(t *testing.T) {
	const n, d = 64, 500
	grey := greySplit(n, d)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	greyMean := 0.0
	for _, v := range grey.Images {
		greyMean += float64(v)
	}
	greyMean /= float64(len(grey.Images))
	batch := func(mode string, step int64) []float32 {
		cfg := config.Default()
		if err := cfg.Set("data.binarize", mode); err != nil {
			t.Fatal(err)
		}
		tr := &trainer{cfg: cfg, m: &check.Model{}, train: grey, step: step}
		if mode == config.BinarizeFixed {
			tr.train = grey.Binarized(cfg.Seed, data.StreamFixed)
		}
		var buf []float32
		tr.gather(idx, &buf, nil, data.StreamUnlabelled)
		return append([]float32(nil), buf...)
	}
	for _, mode := range []string{config.BinarizeDynamic, config.BinarizeFixed} {
		a := batch(mode, 3)
		sum := 0.0
		for i, v := range a {
			if v != 0 && v != 1 {
				t.Fatalf("%s: value %d is %g, want 0 or 1", mode, i, v)
			}
			sum += float64(v)
		}
		mean := sum / float64(len(a))
		if tol := 5 * 0.5 / math.Sqrt(float64(len(a))); math.Abs(mean-greyMean) > tol {
			t.Errorf("%s: mean %g, grey mean %g (tolerance %g)", mode, mean, greyMean, tol)
		}
		same, next := equal(a, batch(mode, 3)), equal(a, batch(mode, 4))
		if !same {
			t.Errorf("%s: the same step drew different images", mode)
		}
		if mode == config.BinarizeDynamic && next {
			t.Errorf("dynamic: the next step drew the same images")
		}
		if mode == config.BinarizeFixed && !next {
			t.Errorf("fixed: the next step drew other images")
		}
	}
	if !equal(batch(config.BinarizeNone, 3), grey.Images) {
		t.Error("none: the batch is not the grey images")
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

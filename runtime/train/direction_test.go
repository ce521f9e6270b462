package train

import (
	"math"
	"os"
	"strings"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/data"
)

// TestAngular: the angle and cosine distance between predicted and true
// directions, for vectors of any length.
func TestAngular(t *testing.T) {
	for _, c := range []struct {
		pred      []float64
		want      []float32
		deg, cosd float64
	}{
		{[]float64{1, 0, 0}, []float32{2, 0, 0}, 0, 0},
		{[]float64{1, 0, 0}, []float32{0, 1, 0}, 90, 1},
		{[]float64{1, 0, 0}, []float32{-3, 0, 0}, 180, 2},
		{[]float64{1, 1, 0}, []float32{0, 1, 0}, 45, 1 - math.Sqrt(0.5)},
		{[]float64{0, 0, 0}, []float32{0, 0, 1}, 90, 1},
		{[]float64{0.5, 0.5}, []float32{0.5, 0.5}, 0, 0},
	} {
		deg, cosd := angular(c.pred, c.want)
		if math.Abs(deg-c.deg) > 1e-6 || math.Abs(cosd-c.cosd) > 1e-9 {
			t.Errorf("angular(%v, %v) = %g°, %g; want %g°, %g", c.pred, c.want, deg, cosd, c.deg, c.cosd)
		}
	}
}

// TestDirectionMetrics: on four synthetic points whose encoder is fixed
// by hand (the mean direction is always (1, 0), the class always 2), the
// evaluation reports the class error from argmax q(y|x) and the mean angle
// and cosine distance against the labels.
func TestDirectionMetrics(t *testing.T) {
	src, err := os.ReadFile("../../testdata/specs/good/tiny_two.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source("tiny_two.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	w, err := compiler.NewWeights(m, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	set := func(name string, vals ...float64) {
		p := w.Params.Get(name)
		if p == nil {
			t.Fatalf("no parameter %s", name)
		}
		d := p.F64()
		for i := range d {
			d[i] = 0
		}
		copy(d, vals)
	}
	set("l_loc.W")
	set("l_loc.b", 1, 0)
	set("classify.l1.W")
	set("classify.l1.b", 0, 0, 5)
	const n = 4
	s := &data.Split{N: n, Shape: [3]int{1, 1, 6}, Images: make([]float32, n*6), Labels: map[string]*data.LabelData{
		"class": {Label: data.Label{Name: "class", Kind: data.Categorical, Classes: 3}, Values: []float32{2, 2, 0, 1}},
		"dir":   {Label: data.Label{Name: "dir", Kind: data.Continuous, Dim: 2}, Values: []float32{1, 0, 0, 1, -1, 1, 1, 1}},
	}}
	for i := range s.Images {
		s.Images[i] = float32(i%2) * 0.5
	}
	ev, err := newEvaluatorFor(m, w, compiler.Options{Samples: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ev.split(s, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	// Angles 0°, 90°, 135°, 45°; cosine distances 0, 1, 1 + √½, 1 − √½.
	want := map[string]float64{"err_test_y": 0.5, "angle_test_l": 67.5, "cos_test_l": 0.75}
	for k, v := range want {
		if math.Abs(got[k]-v) > 1e-9 {
			t.Errorf("%s = %.12g, want %g", k, got[k], v)
		}
	}
	line := formatMetrics(got)
	for _, part := range []string{"angle_test_l 67.50°", "cos_test_l 75.00%", "err_test_y 50.00%"} {
		if !strings.Contains(line, part) {
			t.Errorf("epoch line %q lacks %q", line, part)
		}
	}
	cols := strings.Join(metricColumns(m, false), ",")
	if !strings.Contains(cols, "err_val_y,err_test_y,angle_val_l,angle_test_l,cos_val_l,cos_test_l,elbo_test") {
		t.Errorf("metrics.csv columns %s", cols)
	}
}

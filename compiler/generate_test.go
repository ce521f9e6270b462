package compiler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGenerator: with y fixed the generator's data means lie in [0, 1] and
// y comes back as given; with nothing fixed y is a one-hot prior sample.
func TestGenerator(t *testing.T) {
	m := loadSpec(t, "../testdata/specs/good/tiny_m2.ssdgm")
	w, err := NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	const B = 6
	g, err := NewGenerator(m, w, B, []string{"y"})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	y := make([]float32, B*3)
	for b := 0; b < B; b++ {
		y[b*3+b%3] = 1
	}
	x, lat, err := g.Run(map[string][]float32{"y": y}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != B*6 || len(lat["z"]) != B*2 || len(lat["y"]) != B*3 {
		t.Fatalf("sizes x %d z %d y %d", len(x), len(lat["z"]), len(lat["y"]))
	}
	for i, v := range x {
		if v < 0 || v > 1 || math.IsNaN(float64(v)) {
			t.Fatalf("mean %d = %v, not in [0, 1]", i, v)
		}
	}
	for i := range y {
		if lat["y"][i] != y[i] {
			t.Fatalf("fixed y changed: %v vs %v", lat["y"], y)
		}
	}
	free, err := NewGenerator(m, w, B, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer free.Close()
	_, lat, err = free.Run(nil, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < B; b++ {
		s := lat["y"][b*3] + lat["y"][b*3+1] + lat["y"][b*3+2]
		if s != 1 {
			t.Errorf("row %d: prior sample of y is not one-hot: %v", b, lat["y"][b*3:b*3+3])
		}
	}
	if _, err := NewGenerator(m, w, B, []string{"q"}); err == nil {
		t.Error("fixing an unknown variable should fail")
	}
}

// TestEncoderMean: with zero noise the encoder returns the mean of z, the
// same for every call, and the clamped y as given.
func TestEncoderMean(t *testing.T) {
	m := loadSpec(t, "../testdata/specs/good/tiny_m2.ssdgm")
	w, err := NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEncoder(m, w, 4, Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	x, y := tinyData(4, 3)
	a, err := e.Run(x, map[string][]float32{"class": y}, rand.New(rand.NewPCG(1, 1)), true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Run(x, map[string][]float32{"class": y}, rand.New(rand.NewPCG(2, 2)), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(a["z"]) != 8 {
		t.Fatalf("z has %d values", len(a["z"]))
	}
	for i := range a["z"] {
		if a["z"][i] != b["z"][i] {
			t.Fatal("mean encoding depends on the noise")
		}
	}
	r := ref{t, w}
	for i := 0; i < 4; i++ {
		xb := f64(x[i*6 : i*6+6])
		h := r.linear("encode.l0", cat(xb, onehot(int(y[i]), 3)), true)
		mu := r.linear("z_loc", h, false)
		for j := range mu {
			if math.Abs(mu[j]-float64(a["z"][i*2+j])) > 1e-6 {
				t.Errorf("point %d: z mean %v, want %v", i, a["z"][i*2+j], mu[j])
			}
		}
	}
}

// TestGeneratorSpecs: every shipped spec can be sampled from its prior.
func TestGeneratorSpecs(t *testing.T) {
	for _, name := range []string{"mnist", "faces", "multimnist", "svhn"} {
		m := loadSpec(t, "../specs/"+name+".ssdgm")
		w, err := NewWeights(m, false, 1)
		if err != nil {
			t.Fatal(err)
		}
		g, err := NewGenerator(m, w, 2, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		x, _, err := g.Run(nil, rand.New(rand.NewPCG(1, 1)))
		g.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(x) != 2*m.Data.Shape.Size() {
			t.Errorf("%s: %d values", name, len(x))
		}
	}
}

package pictures

import (
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/data"
	"ssdgm/runtime/grid"
)

func loadSpec(t *testing.T, path string) *check.Model {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source(path, src)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// synthetic returns a split of n random images for m's data with random
// labels for every label of m; every third example lacks its labels.
func synthetic(m *check.Model, n int) *data.Split {
	rng := rand.New(rand.NewPCG(5, 5))
	size := m.Data.Shape.Size()
	shape := [3]int{1, 1, size}
	if s := m.Data.Shape; len(s) == 3 {
		shape = [3]int{s[0], s[1], s[2]}
	}
	sp := &data.Split{N: n, Shape: shape, Images: make([]float32, n*size), Labels: map[string]*data.LabelData{}}
	for i := range sp.Images {
		sp.Images[i] = rng.Float32()
	}
	for _, l := range m.Labels {
		ld := &data.LabelData{Has: make([]bool, n)}
		if l.Kind == check.Discrete {
			ld.Label = data.Label{Name: l.Name, Kind: data.Categorical, Classes: l.Classes, Slots: l.Slots}
		} else {
			ld.Label = data.Label{Name: l.Name, Kind: data.Continuous, Dim: l.Dim, Slots: l.Slots}
		}
		per := ld.Label.PerExample()
		ld.Values = make([]float32, n*per)
		for i := 0; i < n; i++ {
			ld.Has[i] = i%3 != 2
			for j := 0; j < per; j++ {
				switch {
				case !ld.Has[i] && l.Kind == check.Discrete:
					ld.Values[i*per+j] = -1
				case !ld.Has[i]:
				case l.Kind == check.Discrete:
					ld.Values[i*per+j] = float32(rng.IntN(l.Classes))
				default:
					ld.Values[i*per+j] = 2*rng.Float32() - 1
				}
			}
		}
		sp.Labels[l.Name] = ld
	}
	return sp
}

// pngSize decodes a PNG's dimensions.
func pngSize(t *testing.T, path string) (int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg.Width, cfg.Height
}

// TestTinyM2 draws every kind from tiny_m2 with random weights and checks
// the files, their sizes (grid plus caption) and the .npy arrays.
func TestTinyM2(t *testing.T) {
	m := loadSpec(t, "../../testdata/specs/good/tiny_m2.ssdgm")
	w, err := compiler.NewWeights(m, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	metrics := filepath.Join(dir, "metrics.csv")
	csv := "epoch,step,loss,seconds,examples_per_s,elbo_val,err_val_y,err_test_y,elbo_test\n1,3,5.5,1.5,100,-4.1,0.5,,\n2,6,4.5,1.4,100,,,,\n3,9,4.0,1.6,100,-3.9,0.4,0.45,-3.95\n"
	if err := os.WriteFile(metrics, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	opt := Options{Model: m, Weights: w, Split: synthetic(m, 40), N: 4, Points: 30, NPY: true, Note: "epoch 3"}
	out := filepath.Join(dir, "pictures")
	if err := WriteAll(opt, out, metrics); err != nil {
		t.Fatal(err)
	}
	var names []string
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"analogy_y.npy", "analogy_y.png", "conditional_y.npy", "conditional_y.png", "curves.png", "latent.npy", "latent.png",
		"latent_labels.npy", "prior.npy", "prior.png", "recon.npy", "recon.png", "traverse.npy", "traverse.png"}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	shape := [3]int{1, 1, 6}
	gopt := grid.Options{Scale: 8}
	grids := map[string][2]int{ // rows, cols
		"recon.png":         {2, 4},
		"analogy_y.png":     {4, 4},
		"conditional_y.png": {3, 4},
		"traverse.png":      {2, 6}, // z has 2 dimensions; 5 steps and the input
		"prior.png":         {4, 4},
	}
	for name, rc := range grids {
		gw, gh := pictureSize(shape, rc[0], rc[1], gopt, "")
		w, h := pngSize(t, filepath.Join(out, name))
		if w != gw || h <= gh-captionHeight("", gw) {
			t.Errorf("%s is %d×%d; want width %d and more than the grid's height %d", name, w, h, gw, gh)
		}
		npy, vals, err := ReadNPY(filepath.Join(out, strings.TrimSuffix(name, ".png")+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if wantShape := []int{rc[0], rc[1], 1, 1, 6}; !slices.Equal(npy, wantShape) || len(vals) != rc[0]*rc[1]*6 {
			t.Errorf("%s: npy shape %v, want %v", name, npy, wantShape)
		}
	}
	for name, size := range map[string][2]int{"curves.png": {960, 864}, "latent.png": {768, 672}} {
		if w, h := pngSize(t, filepath.Join(out, name)); w != size[0] || h != size[1] {
			t.Errorf("%s is %d×%d, want %d×%d", name, w, h, size[0], size[1])
		}
	}
	// The analogy's columns decode different values of y: with random
	// weights the decoder depends on y, so they must differ; the first
	// column is the test image itself.
	if _, a, err := ReadNPY(filepath.Join(out, "analogy_y.npy")); err == nil {
		if !slices.Equal(a[:6], opt.Split.Image(0)) {
			t.Error("analogy: the first column is not the test image")
		}
		if slices.Equal(a[6:12], a[12:18]) {
			t.Errorf("analogy: y = 0 and y = 1 decode the same image %v", a[6:12])
		}
	}
	if shape, _, err := ReadNPY(filepath.Join(out, "latent.npy")); err != nil || !slices.Equal(shape, []int{30, 2}) {
		t.Errorf("latent.npy: shape %v, %v", shape, err)
	}

	// A prior sample with y fixed, and the kinds this model lacks.
	_, y, err := ParseSet(m, "y=2")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(Prior, "", map[string][]float32{"y": y}, filepath.Join(dir, "p.png")); err != nil {
		t.Error(err)
	}
	if err := d.Draw(Sweep, "", nil, filepath.Join(dir, "s.png")); err == nil || !strings.Contains(err.Error(), "continuous supervised variable") {
		t.Errorf("sweep of tiny_m2: %v", err)
	}
	if err := d.Draw(Analogy, "z", nil, filepath.Join(dir, "a.png")); err == nil {
		t.Error("analogy over z should fail")
	}
}

// TestSweepFaces draws a sweep of the faces model's lighting (a continuous
// supervised variable) and a traversal with random weights.
func TestSweepFaces(t *testing.T) {
	m := loadSpec(t, "../../specs/faces.ssdgm")
	w, err := compiler.NewWeights(m, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{Model: m, Weights: w, Split: synthetic(m, 3), N: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := d.Vars(Sweep); !slices.Equal(got, []string{"light"}) {
		t.Fatalf("sweep vars %v", got)
	}
	path := filepath.Join(t.TempDir(), "sweep.png")
	if err := d.Draw(Sweep, "", nil, path); err != nil {
		t.Fatal(err)
	}
	gw, _ := pictureSize([3]int{1, 64, 56}, 3, 4, grid.Options{Scale: 1}, "")
	if w, _ := pngSize(t, path); w != gw {
		t.Errorf("sweep is %d wide, want %d", w, gw)
	}
}

// TestNPYRoundTrip writes arrays and reads them back, header included.
func TestNPYRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{3}, {2, 3}, {1, 2, 1, 2, 1}, {0, 4}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = float32(i)*0.5 - 1
		}
		b, err := EncodeNPY(shape, vals)
		if err != nil {
			t.Fatal(err)
		}
		hlen := int(b[8]) | int(b[9])<<8
		if (10+hlen)%64 != 0 || b[10+hlen-1] != '\n' {
			t.Errorf("%v: header of %d bytes does not end a 64-byte block with a newline", shape, hlen)
		}
		gotShape, got, err := DecodeNPY(b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotShape, shape) || !slices.Equal(got, vals) {
			t.Errorf("round trip %v: got %v %v", shape, gotShape, got)
		}
	}
	if b, _ := EncodeNPY([]int{3}, []float32{1, 2, 3}); !strings.Contains(string(b), "'shape': (3,)") {
		t.Errorf("a 1-D shape must be written as a one-element tuple: %q", b[:64])
	}
	if _, err := EncodeNPY([]int{2, 2}, []float32{1}); err == nil {
		t.Error("shape and data of different sizes should fail")
	}
	if _, _, err := DecodeNPY([]byte("not npy")); err == nil {
		t.Error("bad magic should fail")
	}
}

// TestParseSet: class indices, vectors, and errors that say what is
// wanted and suggest a name.
func TestParseSet(t *testing.T) {
	m := loadSpec(t, "../../specs/faces.ssdgm")
	if name, v, err := ParseSet(m, "person=3"); err != nil || name != "person" || len(v) != 38 || v[3] != 1 {
		t.Errorf("person=3: %s %v %v", name, v, err)
	}
	if name, v, err := ParseSet(m, "light=0, 0,1"); err != nil || name != "light" || !slices.Equal(v, []float32{0, 0, 1}) {
		t.Errorf("light=0,0,1: %s %v %v", name, v, err)
	}
	for set, want := range map[string]string{
		"lihgt=0,0,1": "faces has no latent variable \"lihgt\"; did you mean `light`?",
		"qqq=1":       "faces has no latent variable \"qqq\" (its latents: person, light, z)",
		"x=1":         "\"x\" is the data of faces",
		"person=38":   "person is categorical over 38 classes (../../specs/faces.ssdgm:50:3): want a class index 0..37, got \"38\"",
		"light=0,1":   "light is a real vector of 3 values (../../specs/faces.ssdgm:51:3): want 3 comma-separated numbers such as 0,0,0, got \"0,1\"",
		"light":       "want var=value",
	} {
		if _, _, err := ParseSet(m, set); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", set, err, want)
		}
	}
}

// TestCaptionWrap: lines fit the width and keep every word.
func TestCaptionWrap(t *testing.T) {
	text := "rows are test images and columns every value of y; a-very-long-word-that-does-not-fit-anywhere-on-one-line-at-all"
	lines := captionLines(text, 100)
	per := (100 - 2*margin) / charW
	for _, l := range lines {
		if len(l) > per {
			t.Errorf("line %q is longer than %d", l, per)
		}
	}
	if got := strings.Join(lines, ""); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(text, " ", "") {
		t.Errorf("wrapping lost text: %q", lines)
	}
}

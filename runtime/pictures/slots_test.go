package pictures

import (
	"path/filepath"
	"testing"

	"ssdgm/compiler"
)

// TestBox: the glimpse at [scale, x, y] covers [x − scale, x + scale] ×
// [y − scale, y + scale] of the normalised canvas, corners aligned.
func TestBox(t *testing.T) {
	const H, W = 9, 9
	img := make([]float32, 3*H*W)
	box(img, H, W, []float32{0.5, 0, -0.5}, [3]float32{1, 0, 0})
	red := func(r, c int) bool { return img[r*W+c] == 1 }
	for _, p := range [][2]int{{0, 2}, {0, 6}, {4, 2}, {4, 6}, {2, 2}, {0, 4}} {
		if !red(p[0], p[1]) {
			t.Errorf("pixel %v not on the box edge", p)
		}
	}
	for _, p := range [][2]int{{2, 4}, {5, 4}, {0, 7}, {0, 1}} {
		if red(p[0], p[1]) {
			t.Errorf("pixel %v should be off the box edge", p)
		}
	}
	if img[H*W] != 0 { // green plane untouched at (0, 0)
		t.Errorf("green plane written")
	}
}

// TestSlotsMultiMNIST draws the slots picture of the multi-MNIST spec with
// random weights: one row per test image, input, reconstruction and one
// column per slot, in colour; models without glimpsed slots do not get it.
func TestSlotsMultiMNIST(t *testing.T) {
	m := loadSpec(t, "../../specs/multimnist.ssdgm")
	sm, ok := slotsOf(m)
	if !ok || sm.count.Name != "k" || sm.where.Name != "w" || sm.max != 3 {
		t.Fatalf("slotsOf = %+v, %v; want count k, where w, 3 slots", sm, ok)
	}
	w, err := compiler.NewWeights(m, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Model: m, Weights: w, Split: synthetic(m, 3), N: 3,
		Compile: compiler.Options{Discrete: map[string]compiler.Discrete{"d": {Relax: true, Temperature: 0.66}}}}
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Applies(Slots) {
		t.Fatal("the slots picture does not apply to multimnist")
	}
	p, err := d.slots()
	if err != nil {
		t.Fatal(err)
	}
	if p.rows != 3 || p.cols != 5 || p.shape[0] != 3 || len(p.imgs) != 3*5*3*50*50 {
		t.Fatalf("slots picture %d×%d, shape %v, %d values", p.rows, p.cols, p.shape, len(p.imgs))
	}
	path := filepath.Join(t.TempDir(), "slots.png")
	if err := d.Draw(Slots, "", nil, path); err != nil {
		t.Fatal(err)
	}
	if wd, _ := pngSize(t, path); wd < 5*50 {
		t.Errorf("slots.png is %d wide, want at least 5 canvases", wd)
	}
	tiny := loadSpec(t, "../../testdata/specs/good/tiny_m2.ssdgm")
	if _, ok := slotsOf(tiny); ok {
		t.Error("tiny_m2 has no slots, but slotsOf found some")
	}
}

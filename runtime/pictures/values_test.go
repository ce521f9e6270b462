package pictures

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ssdgm/compiler"
)

// TestValuesPicture: the values picture of a tiny Lambertian model shows,
// per test image, the input, the reconstruction and albedo, shading and
// normals; the reconstruction is albedo × shading pixel by pixel (the
// decoder's formula), the normals column maps unit vectors to RGB, and
// bad names are refused with the names that exist.
func TestValuesPicture(t *testing.T) {
	m := loadSpec(t, "../../testdata/specs/good/tiny_faces.ssdgm")
	w, err := compiler.NewWeights(m, false, 4)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Model: m, Weights: w, Split: synthetic(m, 12), N: 3, NPY: true, Show: []string{"albedo", "shading", "normals"}}
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := d.showable(); !slices.Equal(got, []string{"normals", "albedo", "shading"}) {
		t.Errorf("showable %v", got)
	}
	path := filepath.Join(t.TempDir(), "values.png")
	if err := d.Draw(Values, "", nil, path); err != nil {
		t.Fatal(err)
	}
	shape, vals, err := ReadNPY(strings.TrimSuffix(path, ".png") + ".npy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{3, 5, 3, 4, 4}) {
		t.Fatalf("npy shape %v, want 3 rows × 5 columns of [3, 4, 4]", shape)
	}
	const img = 3 * 16
	for r := 0; r < 3; r++ {
		cell := func(c int) []float32 { return vals[(r*5+c)*img : (r*5+c+1)*img] }
		recon, albedo, shading, normals := cell(1), cell(2), cell(3), cell(4)
		for p := 0; p < 16; p++ {
			if got, want := recon[p], albedo[p]*shading[p]; math.Abs(float64(got-want)) > 1e-5 {
				t.Fatalf("row %d pixel %d: reconstruction %g, albedo × shading %g", r, p, got, want)
			}
			n2 := 0.0
			for k := 0; k < 3; k++ {
				v := 2*float64(normals[k*16+p]) - 1
				n2 += v * v
			}
			if math.Abs(n2-1) > 1e-4 {
				t.Fatalf("row %d pixel %d: normal drawn as RGB has |2·rgb − 1|² = %g, want 1", r, p, n2)
			}
		}
	}
	opt.Show = []string{"code"}
	d2, _ := New(opt)
	defer d2.Close()
	if err := d2.Draw(Values, "", nil, path); err == nil || !strings.Contains(err.Error(), "code has shape [5], not an image") {
		t.Errorf("code: %v", err)
	}
	opt.Show = []string{"albdo"}
	d3, _ := New(opt)
	defer d3.Close()
	if err := d3.Draw(Values, "", nil, path); err == nil || !strings.Contains(err.Error(), "it has: code, normals, albedo, shading") {
		t.Errorf("albdo: %v", err)
	}
}

// TestRelightPicture: the relighting picture has two rows (azimuth and
// elevation) of N steps after the input, and its columns differ as the
// light moves; the angles round-trip through direction.
func TestRelightPicture(t *testing.T) {
	for _, ae := range [][2]float64{{0, 0}, {35, -20}, {-70, 45}, {110, 15}} {
		a, e := angles(direction(ae[0], ae[1]))
		if math.Abs(a-ae[0]) > 1e-4 || math.Abs(e-ae[1]) > 1e-4 {
			t.Errorf("angles(direction(%v)) = %g, %g", ae, a, e)
		}
	}
	m := loadSpec(t, "../../testdata/specs/good/tiny_faces.ssdgm")
	w, err := compiler.NewWeights(m, false, 4)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{Model: m, Weights: w, Split: synthetic(m, 12), N: 5, NPY: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Applies(Relight) || !slices.Equal(d.Vars(Relight), []string{"light"}) {
		t.Fatalf("relight applies %v for %v", d.Applies(Relight), d.Vars(Relight))
	}
	path := filepath.Join(t.TempDir(), "relight.png")
	if err := d.Draw(Relight, "", nil, path); err != nil {
		t.Fatal(err)
	}
	shape, vals, err := ReadNPY(strings.TrimSuffix(path, ".png") + ".npy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{2, 6, 1, 4, 4}) {
		t.Fatalf("npy shape %v", shape)
	}
	if slices.Equal(vals[16:32], vals[5*16:6*16]) {
		t.Error("the first and last azimuth give the same image")
	}
	if err := d.Draw(Relight, "person", nil, path); err == nil || !strings.Contains(err.Error(), "drawn for light") {
		t.Errorf("relight person: %v", err)
	}
}

// TestAnalogyClasses: an analogy shows every class up to maxAnalogy, and
// evenly spaced ones beyond (38 identities: 12 columns).
func TestAnalogyClasses(t *testing.T) {
	if got := analogyClasses(10); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("10 classes: %v", got)
	}
	if got := analogyClasses(38); !slices.Equal(got, []int{0, 3, 6, 9, 12, 15, 19, 22, 25, 28, 31, 34}) {
		t.Errorf("38 classes: %v", got)
	}
}

package data

import (
	"math"
	"testing"
)

// barDigits is a small MNIST-shaped dataset: n images per split, image i a
// bar whose position depends on i, digit i mod 10.
func barDigits(n int) *Dataset {
	mk := func(off int) *Split {
		s := newSplit(n, [3]int{1, 28, 28}, Schema{digitLabel()})
		for i := 0; i < n; i++ {
			img := s.Image(i)
			for y := 4; y < 24; y++ {
				img[y*28+4+(i+off)%20] = 1
			}
			s.Labels["digit"].Values[i] = float32((i + off) % 10)
		}
		return s
	}
	return &Dataset{Name: "mnist", Schema: Schema{digitLabel()}, Shape: [3]int{1, 28, 28}, Train: mk(0), Val: mk(3), Test: mk(7)}
}

func TestColourDigits(t *testing.T) {
	a, err := ColourDigits(barDigits(12))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ColourDigits(barDigits(12))
	if a.Shape != [3]int{3, 32, 32} || a.Train.N != 12 || a.Test.N != 12 {
		t.Fatalf("shape %v, %d/%d examples", a.Shape, a.Train.N, a.Test.N)
	}
	if err := a.Train.Validate(); err != nil {
		t.Fatal(err)
	}
	lum := func(img []float32, y, x int) float64 {
		return 0.299*float64(img[y*32+x]) + 0.587*float64(img[1024+y*32+x]) + 0.114*float64(img[2048+y*32+x])
	}
	colours := map[[3]float32]bool{}
	for i := 0; i < a.Train.N; i++ {
		img := a.Train.Image(i)
		for k := range img {
			if img[k] != b.Train.Image(i)[k] {
				t.Fatalf("image %d differs between two generations: not seeded", i)
			}
		}
		// The padding is background; the bar's pixels are the stroke colour.
		x := 2 + 4 + i%20
		bg, fg := lum(img, 0, 0), lum(img, 10, x)
		if math.Abs(fg-bg) < 0.3-1e-6 {
			t.Errorf("image %d: stroke and background luminances %.3f, %.3f differ by less than 0.3", i, fg, bg)
		}
		colours[[3]float32{img[0], img[1024], img[2048]}] = true
		if a.Train.Labels["digit"].Class(i, 0) != i%10 {
			t.Errorf("image %d: label %d", i, a.Train.Labels["digit"].Class(i, 0))
		}
	}
	if len(colours) < 10 {
		t.Errorf("only %d distinct background colours in 12 images", len(colours))
	}
}

// TestEncodeSVHNMat: a split written in the official SVHN layout reads back
// through the SVHN reader to the same images (to 1/255) and labels, the
// digit 0 stored as 10.
func TestEncodeSVHNMat(t *testing.T) {
	ds, err := ColourDigits(barDigits(11))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := EncodeSVHNMat(ds.Train)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := readMAT(raw, map[string]bool{"X": true, "y": true})
	if err != nil {
		t.Fatal(err)
	}
	if y := vars["y"].float64s(); y[0] != 10 || y[3] != 3 {
		t.Errorf("y starts %v, want 10 for the digit 0", y[:4])
	}
	back, err := parseSVHN(raw)
	if err != nil {
		t.Fatal(err)
	}
	if back.N != 11 {
		t.Fatalf("read %d images, want 11", back.N)
	}
	for i := 0; i < back.N; i++ {
		if got, want := back.Labels["digit"].Class(i, 0), ds.Train.Labels["digit"].Class(i, 0); got != want {
			t.Errorf("image %d: digit %d, want %d", i, got, want)
		}
		a, b := back.Image(i), ds.Train.Image(i)
		for k := range a {
			if math.Abs(float64(a[k]-b[k])) > 0.5/255+1e-6 {
				t.Fatalf("image %d value %d: %v, want %v", i, k, a[k], b[k])
			}
		}
	}
}

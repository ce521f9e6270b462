package data

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeMNIST returns an MNIST-shaped dataset of n synthetic digits per split:
// filled rectangles of random size inside the central 20×20 box, class i mod 10.
func fakeMNIST(n int) *Dataset {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func() *Split {
		s := newSplit(n, [3]int{1, 28, 28}, Schema{digitLabel()})
		for i := 0; i < n; i++ {
			w, h := 4+rng.IntN(16), 8+rng.IntN(12)
			x0, y0 := 14-w/2, 14-h/2
			img := s.Image(i)
			for y := y0; y < y0+h; y++ {
				for x := x0; x < x0+w; x++ {
					img[y*28+x] = float32(1+rng.IntN(255)) / 255
				}
			}
			s.Labels["digit"].Values[i] = float32(i % 10)
		}
		return s
	}
	return &Dataset{Name: "fake-mnist", Schema: Schema{digitLabel()}, Shape: [3]int{1, 28, 28},
		Train: mk(), Val: mk(), Test: mk(), Source: "fake"}
}

func sameSplit(a, b *Split) error {
	if a.N != b.N || len(a.Images) != len(b.Images) {
		return fmt.Errorf("sizes %d and %d differ", a.N, b.N)
	}
	for i := range a.Images {
		if math.Float32bits(a.Images[i]) != math.Float32bits(b.Images[i]) {
			return fmt.Errorf("image value %d differs: %v and %v", i, a.Images[i], b.Images[i])
		}
	}
	for name, la := range a.Labels {
		lb := b.Labels[name]
		if fmt.Sprint(la.Values, la.Has, la.SlotHas) != fmt.Sprint(lb.Values, lb.Has, lb.SlotHas) {
			return fmt.Errorf("label %s differs", name)
		}
	}
	return nil
}

func TestMultiMNISTDeterministic(t *testing.T) {
	src := fakeMNIST(50)
	opt := MultiMNISTOptions{Train: 40, Val: 10, Test: 10, Seed: 3}
	a, err := GenerateMultiMNIST(opt, src)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateMultiMNIST(opt, src)
	for k, s := range a.Splits() {
		if err := sameSplit(s.Split, b.Splits()[k].Split); err != nil {
			t.Errorf("same seed, %s split: %v", s.Name, err)
		}
		if err := s.Split.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	opt.Seed = 4
	c, _ := GenerateMultiMNIST(opt, src)
	if sameSplit(a.Train, c.Train) == nil {
		t.Error("seeds 3 and 4 give the same images")
	}
	if sameSplit(a.Train, a.Val) == nil {
		t.Error("train and val are the same images")
	}
}

func TestMultiMNISTNoOverlap(t *testing.T) {
	src := sourceOf(fakeMNIST(30).Train)
	for _, m := range []MultiMNISTOptions{
		{MaxDigits: 3},
		{MaxDigits: 4, Canvas: 50, ScaleMean: 1.1},
		{MaxDigits: 2, Canvas: 40, ScaleMean: 1.3, ScaleStd: 0.3},
	} {
		m = m.withDefaults()
		rng := rand.New(rand.NewPCG(9, 9))
		weights := map[int][][]tap{}
		for trial := 0; trial < 300; trial++ {
			ds, ok := drawImage(rng, m, src, m.MaxDigits, weights, nil)
			if !ok {
				continue
			}
			// Paint every digit's ink into its own layer; no pixel may be
			// inked twice.
			ink := make([]int, m.Canvas*m.Canvas)
			for _, d := range ds {
				if d.left < 0 || d.top < 0 || d.left+d.side > m.Canvas || d.top+d.side > m.Canvas {
					t.Fatalf("digit frame %+v leaves the %d px canvas", d, m.Canvas)
				}
				for y := 0; y < d.side; y++ {
					for x := 0; x < d.side; x++ {
						if d.pix[y*d.side+x] > 0 {
							ink[(d.top+y)*m.Canvas+d.left+x]++
						}
					}
				}
			}
			for i, n := range ink {
				if n > 1 {
					t.Fatalf("options %+v, trial %d: pixel %d inked by %d digits", m, trial, i, n)
				}
			}
		}
	}
}

func TestMultiMNISTCounts(t *testing.T) {
	src := fakeMNIST(100)
	for _, tt := range []struct{ min, max int }{{0, 3}, {1, 2}, {2, 2}} {
		opt := MultiMNISTOptions{MinDigits: tt.min, MaxDigits: tt.max, Train: 2000, Val: 1, Test: 1, Seed: 11}
		ds, err := GenerateMultiMNIST(opt, src)
		if err != nil {
			t.Fatal(err)
		}
		s := ds.Train
		hist := make([]int, tt.max+1)
		cl, dl, pl := s.Labels["count"], s.Labels["digits"], s.Labels["positions"]
		for i := 0; i < s.N; i++ {
			k := cl.Class(i, 0)
			hist[k]++
			prevX := float32(-2)
			for slot := 0; slot < tt.max; slot++ {
				present := slot < k
				if dl.SlotHas[i*tt.max+slot] != present || pl.SlotHas[i*tt.max+slot] != present {
					t.Fatalf("image %d, count %d: slot %d marked %v", i, k, slot, dl.SlotHas[i*tt.max+slot])
				}
				d := dl.Class(i, slot)
				v := pl.Vector(i, slot)
				if !present {
					if d != -1 || v[0] != 0 {
						t.Fatalf("image %d: absent slot %d holds %d %v", i, slot, d, v)
					}
					continue
				}
				if d < 0 || d > 9 || v[0] < 8.0/50 || v[0] > 1 || math.Abs(float64(v[1])) > 1 || math.Abs(float64(v[2])) > 1 {
					t.Fatalf("image %d slot %d: digit %d position %v", i, slot, d, v)
				}
				if v[1] < prevX {
					t.Fatalf("image %d: slots not ordered by x: %v after %v", i, v[1], prevX)
				}
				prevX = v[1]
				// The frame [x-s, x+s]×[y-s, y+s] holds ink.
				if !frameHasInk(s.Image(i), 50, v) {
					t.Fatalf("image %d slot %d: no ink in frame %v", i, slot, v)
				}
			}
		}
		// Uniform over min..max, within 5 standard deviations.
		p := 1 / float64(tt.max-tt.min+1)
		sd := math.Sqrt(float64(s.N) * p * (1 - p))
		for k, n := range hist {
			want := 0.0
			if k >= tt.min {
				want = p * float64(s.N)
			}
			if math.Abs(float64(n)-want) > 5*sd+0.5 {
				t.Errorf("counts %d..%d: %d images with %d digits, want about %.0f (histogram %v)", tt.min, tt.max, n, k, want, hist)
			}
		}
	}
}

func frameHasInk(img []float32, c int, v []float32) bool {
	px := func(u float32) int { return int(math.Round(float64((u + 1) / 2 * float32(c)))) }
	for y := px(v[2] - v[0]); y < px(v[2]+v[0]); y++ {
		for x := px(v[1] - v[0]); x < px(v[1]+v[0]); x++ {
			if img[y*c+x] > 0 {
				return true
			}
		}
	}
	return false
}

func TestMultiMNISTOptionErrors(t *testing.T) {
	src := fakeMNIST(10)
	for _, tt := range []struct {
		opt  MultiMNISTOptions
		want string
	}{
		{MultiMNISTOptions{MinDigits: 4, MaxDigits: 2}, "MinDigits 4 is above MaxDigits 2"},
		{MultiMNISTOptions{Canvas: 4}, "canvas 4 px"},
		{MultiMNISTOptions{MaxDigits: 40}, "above 16"},
		{MultiMNISTOptions{Canvas: 10, MinDigits: 3, MaxDigits: 3, Train: 1, Val: 1, Test: 1}, "could not place 3 digits"},
	} {
		if _, err := GenerateMultiMNIST(tt.opt, src); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want one containing %q", tt.opt, err, tt.want)
		}
	}
}

func TestMultiMNISTCache(t *testing.T) {
	m := MultiMNISTOptions{Train: 30, Val: 5, Test: 6, Seed: 5}.withDefaults()
	ds, err := GenerateMultiMNIST(m, fakeMNIST(40))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	o := Options{CacheDir: cache, MNISTDir: t.TempDir(), MultiMNIST: m} // no MNIST: only the cache can serve
	path, _ := multiMNISTCachePath(o, m)
	if err := writeMultiMNISTCache(path, m, ds); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, ".multimnist-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	got, err := Open("multimnist", o)
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range ds.Splits() {
		if err := sameSplit(s.Split, got.Splits()[k].Split); err != nil {
			t.Errorf("%s split read back: %v", s.Name, err)
		}
	}
	// Other options name another file, so the cache is not used.
	o2 := o
	o2.MultiMNIST.Seed = 6
	if p2, _ := multiMNISTCachePath(o2, o2.MultiMNIST.withDefaults()); p2 == path {
		t.Error("seeds 5 and 6 share a cache file")
	}
	if _, err := Open("multimnist", o2); err == nil || !strings.Contains(err.Error(), "generating needs MNIST") {
		t.Errorf("no cache and no MNIST: err = %v", err)
	}

	good, _ := os.ReadFile(path)
	raw := gunzip(t, good)
	regz := func(b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(b)
		zw.Close()
		return out.Bytes()
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"truncated gzip", good[:len(good)/2], "unexpected EOF"},
		{"not gzip", []byte("hello"), "not a gzip file"},
		{"bad magic", regz(append([]byte("XXXX"), raw[4:]...)), "not a multi-MNIST cache file"},
		{"other key", regz(bytes.Replace(raw, []byte("seed=5"), []byte("seed=7"), 1)), "made for"},
		{"short data", regz(raw[:len(raw)-10]), "positions"},
		{"trailing data", regz(append(append([]byte{}, raw...), 1, 2, 3)), "3 bytes after the data"},
		{"bad count", func() []byte {
			b := append([]byte{}, raw...)
			off := len(multiMNISTCacheMagic) + 4 + len(mustKey(m)) + 4 + 30*50*50
			b[off] = 9
			return regz(b)
		}(), "count 9 of image 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(path, tt.file, 0o644)
			_, err := readMultiMNISTCache(path, m)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want one naming the file and containing %q", err, tt.want)
			}
		})
	}
}

func mustKey(m MultiMNISTOptions) string { d, _ := m.key(); return d }

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestMultiMNISTFromRealMNIST(t *testing.T) {
	if dir, tried := (Options{}).mnistDir(); !hasIDXFiles(dir) {
		t.Skipf("MNIST files not found (looked in %v)", tried)
	}
	o := Options{CacheDir: t.TempDir(), MultiMNIST: MultiMNISTOptions{Train: 200, Val: 20, Test: 20, Seed: 1}}
	a, err := Open("multimnist", o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(a.Source, ".bin.gz") {
		t.Errorf("source %q: the cache was not written (notes %q)", a.Source, a.Notes)
	}
	b, err := Open("multimnist", o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(b.Notes, ";"), "read from the cache") {
		t.Errorf("second open did not use the cache: %q", b.Notes)
	}
	if err := sameSplit(a.Test, b.Test); err != nil {
		t.Error(err)
	}
	// A corrupt cache is regenerated, and the notes say so.
	os.WriteFile(a.Source, []byte("garbage"), 0o644)
	c, err := Open("multimnist", o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(c.Notes, ";"), "cache unreadable, regenerated") {
		t.Errorf("notes %q", c.Notes)
	}
	if err := sameSplit(a.Train, c.Train); err != nil {
		t.Error(err)
	}
}

package grid

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden PNG files in testdata/")

// ramp returns n images of the shape whose values rise from 0 to 1 across
// the whole batch.
func ramp(n int, shape [3]int) []float32 {
	size := n * shape[0] * shape[1] * shape[2]
	out := make([]float32, size)
	for i := range out {
		out[i] = float32(i) / float32(size-1)
	}
	return out
}

func TestGolden(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name       string
		imgs       []float32
		shape      [3]int
		rows, cols int
		opt        Options
	}{
		{"grey_ramp_2x3", ramp(5, [3]int{1, 4, 3}), [3]int{1, 4, 3}, 2, 3, Options{}},
		{"grey_clamp", []float32{-1, nan, 2, inf, 0.5, float32(math.Inf(-1)), 0, 1, 0.25}, [3]int{1, 3, 3}, 1, 1, Options{Scale: 2}},
		{"grey_scale3", []float32{0, 1, 1, 0, 0.5, 0.5, 1, 0}, [3]int{1, 2, 2}, 1, 2, Options{Scale: 3, Separator: color.Gray{Y: 255}}},
		{"colour_rgb", []float32{
			1, 0, 0, 1, // R plane of image 0
			0, 1, 0, 1, // G
			0, 0, 1, 1, // B: red, green, blue, white
			0.5, 0.5, 0.5, 0.5,
			0, 0.25, 0.5, 0.75,
			1, 1, 1, 1,
		}, [3]int{3, 2, 2}, 1, 2, Options{Scale: 4, Separator: color.RGBA{R: 255, A: 255}}},
		{"colour_empty_cells", ramp(2, [3]int{3, 3, 3}), [3]int{3, 3, 3}, 2, 2, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.imgs, tt.shape, tt.rows, tt.cols, tt.opt); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".png")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("PNG differs from %s (%d bytes, want %d); look at it and rerun with -update if the change is intended", golden, buf.Len(), len(want))
			}
			// Same input, same bytes.
			var again bytes.Buffer
			Write(&again, tt.imgs, tt.shape, tt.rows, tt.cols, tt.opt)
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("two writes of the same grid differ")
			}
			// The PNG decodes to the picture Image draws.
			dec, err := png.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			img, _ := Image(tt.imgs, tt.shape, tt.rows, tt.cols, tt.opt)
			if dec.Bounds() != img.Bounds() {
				t.Fatalf("decoded bounds %v, want %v", dec.Bounds(), img.Bounds())
			}
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r1, g1, b1, _ := dec.At(x, y).RGBA()
					r2, g2, b2, _ := img.At(x, y).RGBA()
					if r1 != r2 || g1 != g2 || b1 != b2 {
						t.Fatalf("pixel (%d, %d) decodes to %v, want %v", x, y, dec.At(x, y), img.At(x, y))
					}
				}
			}
		})
	}
}

func grayAt(t *testing.T, img image.Image, x, y int) uint8 {
	t.Helper()
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

func TestPixels(t *testing.T) {
	// Two 2×3 grey images in a 1×2 grid at scale 2: picture 2·(3·2)+3 = 15
	// wide, 2·2+2 = 6 high.
	imgs := []float32{
		0, 0.2, 0.4,
		0.6, 0.8, 1,
		1, 1, 1,
		-5, 7, float32(math.NaN()),
	}
	img, err := Image(imgs, [3]int{1, 2, 3}, 1, 2, Options{Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 15 || h != 6 {
		t.Fatalf("size %d×%d, want 15×6", w, h)
	}
	tests := []struct {
		x, y int
		want uint8
	}{
		{0, 0, 128}, {14, 5, 128}, {7, 3, 128}, // border and separator
		{1, 1, 0}, {2, 2, 0}, // (0,0) of image 0, scaled 2×
		{3, 1, 51}, {4, 2, 51}, // 0.2 → 51
		{5, 4, 255}, {6, 3, 255}, // 1
		{1, 3, 153}, {1, 4, 153}, // 0.6 → 153
		{8, 1, 255},             // image 1 starts at x = 8
		{8, 3, 0}, {10, 4, 255}, // clamped -5 → 0, 7 → 255
		{12, 3, 0}, {13, 4, 0}, // NaN → 0
		{1, 5, 128}, // bottom border
	}
	for _, tt := range tests {
		if got := grayAt(t, img, tt.x, tt.y); got != tt.want {
			t.Errorf("pixel (%d, %d) = %d, want %d", tt.x, tt.y, got, tt.want)
		}
	}
	// Colour: channel planes go to R, G, B.
	col, err := Image([]float32{1, 0.5, 0}, [3]int{3, 1, 1}, 1, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := color.RGBAModel.Convert(col.At(1, 1)).(color.RGBA); got != (color.RGBA{255, 128, 0, 255}) {
		t.Errorf("colour pixel %v, want {255 128 0 255}", got)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		shape      [3]int
		rows, cols int
		opt        Options
		want       string
	}{
		{"two channels", 4, [3]int{2, 1, 2}, 1, 1, Options{}, "channels"},
		{"ragged", 5, [3]int{1, 2, 2}, 2, 2, Options{}, "whole number"},
		{"too many", 12, [3]int{1, 2, 2}, 1, 2, Options{}, "do not fit"},
		{"zero rows", 4, [3]int{1, 2, 2}, 0, 2, Options{}, "positive"},
		{"zero height", 0, [3]int{1, 0, 2}, 1, 1, Options{}, "positive"},
		{"bad scale", 4, [3]int{1, 2, 2}, 1, 1, Options{Scale: 1000}, "scale"},
		{"huge", 4, [3]int{1, 2, 2}, 1 << 15, 1 << 15, Options{Scale: 64}, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Image(make([]float32, tt.n), tt.shape, tt.rows, tt.cols, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.png")
	if err := WriteFile(path, ramp(4, [3]int{1, 2, 2}), [3]int{1, 2, 2}, 2, 2, Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 7 || cfg.Height != 7 {
		t.Errorf("size %d×%d, want 7×7", cfg.Width, cfg.Height)
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "dir.png"), nil, [3]int{1, 1, 1}, 1, 1, Options{}); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}

func TestFit(t *testing.T) {
	for _, tt := range []struct{ n, rows, cols int }{{0, 1, 1}, {1, 1, 1}, {2, 1, 2}, {5, 2, 3}, {64, 8, 8}, {65, 8, 9}} {
		if r, c := Fit(tt.n); r != tt.rows || c != tt.cols {
			t.Errorf("Fit(%d) = %d, %d, want %d, %d", tt.n, r, c, tt.rows, tt.cols)
		}
	}
}

package data

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func pgmBytes(header string, pix []byte) []byte {
	return append([]byte(header), pix...)
}

func TestParsePGM(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		want []float32 // nil: an error is wanted
		err  string
	}{
		{"plain", pgmBytes("P5\n2 1\n255\n", []byte{0, 255}), []float32{0, 1}, ""},
		{"comment and spaces", pgmBytes("P5 # a comment\n 2\t1 # more\n100\n", []byte{50, 100}), []float32{0.5, 1}, ""},
		{"16 bit", pgmBytes("P5\n1 2\n1000\n", []byte{0x01, 0xf4, 0x03, 0xe8}), []float32{0.5, 1}, ""},
		{"P2", pgmBytes("P2\n1 1\n255\n", []byte{0}), nil, "P5"},
		{"empty", nil, nil, "P5"},
		{"no space after magic", pgmBytes("P52 1\n255\n", []byte{0, 0}), nil, "whitespace"},
		{"header cut", []byte("P5\n2 "), nil, "before the height"},
		{"not a number", []byte("P5\n2 x\n255\n"), nil, "height is not a number"},
		{"zero width", pgmBytes("P5\n0 1\n255\n", nil), nil, "empty"},
		{"maxval 0", pgmBytes("P5\n1 1\n0\n", []byte{0}), nil, "maxval 0"},
		{"maxval big", pgmBytes("P5\n1 1\n70000\n", []byte{0}), nil, "maxval 70000"},
		{"no byte after maxval", []byte("P5\n1 1\n255"), nil, "one whitespace"},
		{"truncated", pgmBytes("P5\n2 2\n255\n", []byte{1, 2, 3}), nil, "holds 3 bytes of pixels, want 4"},
		{"trailing", pgmBytes("P5\n1 1\n255\n", []byte{1, 2}), nil, "holds 2 bytes"},
		{"sample above maxval", pgmBytes("P5\n2 1\n10\n", []byte{5, 11}), nil, "above maxval"},
		{"huge", []byte("P5\n99999999 1\n255\n"), nil, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := parsePGM(tt.file)
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(img.Pix) != fmt.Sprint(tt.want) {
				t.Errorf("pixels %v, want %v", img.Pix, tt.want)
			}
		})
	}
}

func TestResizeArea(t *testing.T) {
	tests := []struct {
		name         string
		src          []float32
		w, h, ow, oh int
		want         []float32
	}{
		{"2x2 to 1x1 is the mean", []float32{0, 1, 0.5, 0.5}, 2, 2, 1, 1, []float32{0.5}},
		{"3 to 2 counts thirds", []float32{0, 0.3, 0.9}, 3, 1, 2, 1, []float32{0.1, 0.7}},
		{"identity", []float32{0.1, 0.2, 0.3, 0.4}, 2, 2, 2, 2, []float32{0.1, 0.2, 0.3, 0.4}},
		{"enlarge 2x repeats", []float32{0.2, 0.8}, 2, 1, 4, 1, []float32{0.2, 0.2, 0.8, 0.8}},
		{"rows and columns", []float32{
			1, 1, 0, 0,
			1, 1, 0, 0,
			0, 0, 0, 0,
			0, 0, 0, 1,
		}, 4, 4, 2, 2, []float32{1, 0, 0, 0.25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resizeArea(tt.src, tt.w, tt.h, tt.ow, tt.oh)
			if len(got) != len(tt.want) {
				t.Fatalf("%d values, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if math.Abs(float64(got[i]-tt.want[i])) > 1e-6 {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	// A constant image stays constant at any size, and the mean is kept.
	src := make([]float32, 168*192)
	for i := range src {
		src[i] = 0.37
	}
	for _, sz := range [][2]int{{56, 64}, {42, 48}, {50, 50}, {200, 300}} {
		for _, v := range resizeArea(src, 168, 192, sz[0], sz[1]) {
			if math.Abs(float64(v)-0.37) > 1e-5 {
				t.Fatalf("constant 0.37 resized to %v gives %v", sz, v)
			}
		}
	}
}

package data

import (
	"errors"
	"fmt"
)

// grayImage is a decoded grey image with values in [0, 1], row-major.
type grayImage struct {
	W, H int
	Pix  []float32
}

// parsePGM decodes a binary (P5) PGM file: the header "P5", width, height
// and maxval as decimal numbers separated by whitespace (with # comments
// allowed), one whitespace byte, then exactly width*height samples of one
// byte (maxval < 256) or two big-endian bytes (maxval ≥ 256). It rejects
// anything else, including trailing bytes.
func parsePGM(b []byte) (grayImage, error) {
	if len(b) < 2 || b[0] != 'P' || b[1] != '5' {
		return grayImage{}, errors.New("not a binary PGM file (want magic P5)")
	}
	pos := 2
	var vals [3]int
	names := [3]string{"width", "height", "maxval"}
	for k := range vals {
		// Skip whitespace and comments.
		for {
			if pos >= len(b) {
				return grayImage{}, fmt.Errorf("PGM header ends before the %s", names[k])
			}
			c := b[pos]
			if c == '#' {
				for pos < len(b) && b[pos] != '\n' && b[pos] != '\r' {
					pos++
				}
				continue
			}
			if !isPGMSpace(c) {
				break
			}
			pos++
		}
		if pos == 2 {
			return grayImage{}, errors.New("PGM magic P5 is not followed by whitespace")
		}
		start := pos
		n := 0
		for pos < len(b) && b[pos] >= '0' && b[pos] <= '9' {
			n = n*10 + int(b[pos]-'0')
			if n > 1<<20 {
				return grayImage{}, fmt.Errorf("PGM %s is too large", names[k])
			}
			pos++
		}
		if pos == start {
			return grayImage{}, fmt.Errorf("PGM %s is not a number", names[k])
		}
		vals[k] = n
	}
	w, h, maxval := vals[0], vals[1], vals[2]
	if w == 0 || h == 0 {
		return grayImage{}, fmt.Errorf("PGM size %d×%d is empty", w, h)
	}
	if maxval == 0 || maxval > 65535 {
		return grayImage{}, fmt.Errorf("PGM maxval %d is not in [1, 65535]", maxval)
	}
	if pos >= len(b) || !isPGMSpace(b[pos]) {
		return grayImage{}, errors.New("PGM maxval is not followed by one whitespace byte")
	}
	pos++
	bps := 1
	if maxval > 255 {
		bps = 2
	}
	want := w * h * bps
	if got := len(b) - pos; got != want {
		return grayImage{}, fmt.Errorf("PGM %d×%d holds %d bytes of pixels, want %d (file truncated or corrupt)", w, h, got, want)
	}
	img := grayImage{W: w, H: h, Pix: make([]float32, w*h)}
	data := b[pos:]
	scale := 1 / float32(maxval)
	for i := range img.Pix {
		var v int
		if bps == 1 {
			v = int(data[i])
		} else {
			v = int(data[2*i])<<8 | int(data[2*i+1])
		}
		if v > maxval {
			return grayImage{}, fmt.Errorf("PGM sample %d is %d, above maxval %d", i, v, maxval)
		}
		img.Pix[i] = float32(v) * scale
	}
	return img, nil
}

func isPGMSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// resizeArea resamples a w×h single-channel image (row-major) to ow×oh by
// area averaging: every output pixel is the mean of the input area it covers,
// counting partly covered input pixels by the fraction covered. It works for
// shrinking and enlarging, and keeps a constant image constant.
func resizeArea(src []float32, w, h, ow, oh int) []float32 {
	wx := areaWeights(w, ow)
	wy := areaWeights(h, oh)
	// Resize rows first (w → ow), then columns (h → oh).
	tmp := make([]float32, h*ow)
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		for x, ws := range wx {
			var s float64
			for _, t := range ws {
				s += float64(row[t.i]) * t.w
			}
			tmp[y*ow+x] = float32(s)
		}
	}
	out := make([]float32, oh*ow)
	for y, ws := range wy {
		for x := 0; x < ow; x++ {
			var s float64
			for _, t := range ws {
				s += float64(tmp[t.i*ow+x]) * t.w
			}
			out[y*ow+x] = clamp01(float32(s))
		}
	}
	return out
}

type tap struct {
	i int
	w float64
}

// areaWeights returns, for each of m output cells over n input cells, the
// input cells it overlaps with weights summing to one.
func areaWeights(n, m int) [][]tap {
	out := make([][]tap, m)
	ratio := float64(n) / float64(m)
	for j := range out {
		lo, hi := float64(j)*ratio, float64(j+1)*ratio
		for i := int(lo); i < n && float64(i) < hi; i++ {
			ov := min(hi, float64(i+1)) - max(lo, float64(i))
			if ov > 1e-12 {
				out[j] = append(out[j], tap{i, ov / ratio})
			}
		}
	}
	return out
}

func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

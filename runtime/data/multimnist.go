package data

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MultiMNISTOptions configure the multi-MNIST generator. Zero fields take
// the defaults.
//
// Every image is a Canvas×Canvas grey canvas holding a number of MNIST
// digits drawn uniformly from MinDigits…MaxDigits (default 0…3, so the
// count label is categorical over MaxDigits+1 = 4 classes). Each digit's
// 28×28 MNIST frame is shrunk by a factor s ~ Normal(ScaleMean, ScaleStd)
// (default 1.3 ± 0.1, so a frame of round(28/s) ≈ 21 px, clamped to
// [8, Canvas] px) by area averaging and put at a uniformly random integer
// position inside the canvas. When the bounding box of its ink (its non-zero
// pixels) meets the ink box of a digit already placed, the position is drawn
// again (up to 100 times, then the whole image is drawn again), so no canvas
// pixel holds ink from two digits. Train and val images use digits of the
// MNIST train and val splits, test images digits of the MNIST test split.
// Pixel values are rounded to multiples of 1/255.
//
// The same options and seed give byte-identical datasets; the result is
// cached in Options.CacheDir under a name keyed by a hash of the options.
type MultiMNISTOptions struct {
	Canvas               int     // canvas side in pixels; default 50
	MinDigits, MaxDigits int     // digits per image; default 0 and 3
	ScaleMean, ScaleStd  float64 // shrink factor of the 28 px frame; default 1.3, 0.1
	Train, Val, Test     int     // split sizes; default 50,000, 10,000, 10,000
	Seed                 uint64
	NoCache              bool // neither read nor write the cache
}

func (m MultiMNISTOptions) withDefaults() MultiMNISTOptions {
	if m.Canvas <= 0 {
		m.Canvas = 50
	}
	if m.MaxDigits <= 0 {
		m.MaxDigits = 3
	}
	if m.MinDigits < 0 {
		m.MinDigits = 0
	}
	if m.ScaleMean <= 0 {
		m.ScaleMean = 1.3
	}
	if m.ScaleStd <= 0 {
		m.ScaleStd = 0.1
	}
	if m.Train <= 0 {
		m.Train = 50000
	}
	if m.Val <= 0 {
		m.Val = 10000
	}
	if m.Test <= 0 {
		m.Test = 10000
	}
	return m
}

func (m MultiMNISTOptions) validate() error {
	if m.MinDigits > m.MaxDigits {
		return fmt.Errorf("multimnist: MinDigits %d is above MaxDigits %d", m.MinDigits, m.MaxDigits)
	}
	if m.Canvas < 8 || m.Canvas > 1024 {
		return fmt.Errorf("multimnist: canvas %d px is outside [8, 1024]", m.Canvas)
	}
	if m.MaxDigits > 16 {
		return fmt.Errorf("multimnist: MaxDigits %d is above 16", m.MaxDigits)
	}
	return nil
}

// multiMNISTVersion changes whenever the generator's output changes, so that
// old cache files are not used.
const multiMNISTVersion = 1

// key returns a canonical description of everything the generated data
// depends on, and its hash, which names the cache file.
func (m MultiMNISTOptions) key() (desc, hash string) {
	desc = fmt.Sprintf("multimnist v%d canvas=%d digits=%d..%d scale=N(%g,%g) sizes=%d/%d/%d seed=%d mnist=%s,%s,%s,%s",
		multiMNISTVersion, m.Canvas, m.MinDigits, m.MaxDigits, m.ScaleMean, m.ScaleStd,
		m.Train, m.Val, m.Test, m.Seed, md5MNISTTrainImages, md5MNISTTrainLabels, md5MNISTTestImages, md5MNISTTestLabels)
	sum := sha256.Sum256([]byte(desc))
	return desc, hex.EncodeToString(sum[:8])
}

func multiMNISTSchema(m MultiMNISTOptions) Schema {
	return Schema{
		{Name: "count", Kind: Categorical, Classes: m.MaxDigits + 1, Doc: "number of digits on the canvas"},
		{Name: "digits", Kind: Categorical, Classes: 10, Slots: m.MaxDigits,
			Doc: "digit class per slot; slots ordered by the digit's x then y centre, slots ≥ count absent (-1)"},
		{Name: "positions", Kind: Continuous, Dim: 3, Slots: m.MaxDigits,
			Doc: "(scale, x, y) per slot: frame side / canvas side and frame centre in [-1, 1] (x right, y down); frame = [x-scale, x+scale]×[y-scale, y+scale]"},
	}
}

// digitSource is a set of 28×28 MNIST digits with their classes.
type digitSource struct {
	pix     []float32 // n×784
	classes []float32
	n       int
}

func sourceOf(s *Split) digitSource {
	return digitSource{pix: s.Images, classes: s.Labels["digit"].Values, n: s.N}
}

// placed is one digit placed on a canvas.
type placed struct {
	class                  int
	left, top, side        int
	ix0, iy0, ix1, iy1     int // ink box on the canvas, half-open
	pix                    []float32
	centreX, centreY, size float32
}

// generateMultiMNIST draws n images from src with the given stream of the
// seed.
func generateMultiMNIST(m MultiMNISTOptions, src digitSource, n int, stream uint64) (*Split, error) {
	if src.n == 0 {
		return nil, fmt.Errorf("multimnist: no source digits")
	}
	rng := rand.New(rand.NewPCG(m.Seed, stream))
	c := m.Canvas
	schema := multiMNISTSchema(m)
	s := newSplit(n, [3]int{1, c, c}, schema)
	count, digits, pos := s.Labels["count"], s.Labels["digits"], s.Labels["positions"]
	weights := map[int][][]tap{}
	var ds []placed
	for i := 0; i < n; i++ {
		k := m.MinDigits + rng.IntN(m.MaxDigits-m.MinDigits+1)
		for attempt := 0; ; attempt++ {
			if attempt == 1000 {
				return nil, fmt.Errorf("multimnist: could not place %d digits without overlap on a %d px canvas after %d tries; use a bigger canvas, fewer digits or a larger scale", k, c, attempt)
			}
			var ok bool
			ds, ok = drawImage(rng, m, src, k, weights, ds[:0])
			if ok {
				break
			}
		}
		slices.SortStableFunc(ds, func(a, b placed) int {
			return cmp.Or(cmp.Compare(a.centreX, b.centreX), cmp.Compare(a.centreY, b.centreY))
		})
		img := s.Image(i)
		for slot, d := range ds {
			for y := 0; y < d.side; y++ {
				row := img[(d.top+y)*c+d.left:]
				for x := 0; x < d.side; x++ {
					row[x] = max(row[x], d.pix[y*d.side+x])
				}
			}
			digits.Values[i*m.MaxDigits+slot] = float32(d.class)
			copy(pos.Vector(i, slot), []float32{d.size, d.centreX, d.centreY})
		}
		for slot := len(ds); slot < m.MaxDigits; slot++ {
			digits.Values[i*m.MaxDigits+slot] = -1
			digits.SlotHas[i*m.MaxDigits+slot] = false
			pos.SlotHas[i*m.MaxDigits+slot] = false
		}
		count.Values[i] = float32(len(ds))
		for j, v := range img {
			img[j] = float32(math.Round(float64(v)*255)) / 255
		}
	}
	return s, nil
}

// drawImage tries to place k digits; it returns false when a digit found no
// free position.
func drawImage(rng *rand.Rand, m MultiMNISTOptions, src digitSource, k int, weights map[int][][]tap, ds []placed) ([]placed, bool) {
	c := m.Canvas
	for len(ds) < k {
		idx := rng.IntN(src.n)
		sc := m.ScaleMean + m.ScaleStd*rng.NormFloat64()
		side := 8
		if sc > 0 {
			side = int(math.Round(28 / sc))
		}
		side = min(max(side, 8), c)
		w, ok := weights[side]
		if !ok {
			w = areaWeights(28, side)
			weights[side] = w
		}
		pix := resizeWith(src.pix[idx*784:(idx+1)*784], 28, side, w)
		bx0, by0, bx1, by1 := inkBox(pix, side)
		if bx0 >= bx1 {
			continue // an empty digit: draw another
		}
		found := false
		for try := 0; try < 100 && !found; try++ {
			left, top := rng.IntN(c-side+1), rng.IntN(c-side+1)
			d := placed{
				class: int(src.classes[idx]), left: left, top: top, side: side, pix: pix,
				ix0: left + bx0, iy0: top + by0, ix1: left + bx1, iy1: top + by1,
			}
			free := true
			for _, o := range ds {
				if d.ix0 < o.ix1 && o.ix0 < d.ix1 && d.iy0 < o.iy1 && o.iy0 < d.iy1 {
					free = false
					break
				}
			}
			if free {
				d.size = float32(side) / float32(c)
				d.centreX = (float32(left)+float32(side)/2)/float32(c)*2 - 1
				d.centreY = (float32(top)+float32(side)/2)/float32(c)*2 - 1
				ds = append(ds, d)
				found = true
			}
		}
		if !found {
			return ds, false
		}
	}
	return ds, true
}

// resizeWith is resizeArea for a square image with precomputed weights.
func resizeWith(src []float32, n, m int, w [][]tap) []float32 {
	tmp := make([]float32, n*m)
	for y := 0; y < n; y++ {
		for x, ws := range w {
			var s float32
			for _, t := range ws {
				s += src[y*n+t.i] * float32(t.w)
			}
			tmp[y*m+x] = s
		}
	}
	out := make([]float32, m*m)
	for y, ws := range w {
		for x := 0; x < m; x++ {
			var s float32
			for _, t := range ws {
				s += tmp[t.i*m+x] * float32(t.w)
			}
			// Values that round to 0 count as no ink.
			if s < 0.5/255 {
				s = 0
			}
			out[y*m+x] = clamp01(s)
		}
	}
	return out
}

// inkBox returns the half-open bounding box of the non-zero pixels.
func inkBox(pix []float32, side int) (x0, y0, x1, y1 int) {
	x0, y0 = side, side
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			if pix[y*side+x] > 0 {
				x0, y0 = min(x0, x), min(y0, y)
				x1, y1 = max(x1, x+1), max(y1, y+1)
			}
		}
	}
	return
}

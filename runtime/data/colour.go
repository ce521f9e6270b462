package data

import (
	"fmt"
	"math/rand/v2"
)

// ColourDigitsName is the registry name of the colour-digit stand-in.
const ColourDigitsName = "mnist-colour"

// colourSeed is the PCG stream of the colour draws; the generator's seed is
// fixed so that every machine gets the same images.
const colourSeed = 0x636f6c6f7572

// ColourDigits turns MNIST into 32×32 colour digits, a stand-in for SVHN in
// the spirit of MNIST-M: each 28×28 digit is padded by 2 pixels on every
// side, and its stroke and background get their own colours, drawn
// uniformly per image from a seeded generator and redrawn until their
// luminances differ by at least 0.3, so the digit stays readable. Pixel
// values are bg·(1−g) + fg·g for the grey value g. The splits and labels
// are MNIST's.
func ColourDigits(mnist *Dataset) (*Dataset, error) {
	if mnist.Shape != [3]int{1, 28, 28} {
		return nil, fmt.Errorf("%s: want 1×28×28 grey digits, got %v", ColourDigitsName, mnist.Shape)
	}
	out := &Dataset{Name: ColourDigitsName, Schema: Schema{digitLabel()}, Shape: [3]int{3, 32, 32},
		Source: mnist.Source + " (coloured and padded to 32×32)"}
	for i, s := range []*Split{mnist.Train, mnist.Val, mnist.Test} {
		c := colourSplit(s, rand.New(rand.NewPCG(colourSeed, uint64(i))))
		switch i {
		case 0:
			out.Train = c
		case 1:
			out.Val = c
		default:
			out.Test = c
		}
	}
	return out, nil
}

func colourSplit(s *Split, r *rand.Rand) *Split {
	const H, W, pad = 32, 32, 2
	c := newSplit(s.N, [3]int{3, H, W}, Schema{digitLabel()})
	c.Labels["digit"] = s.Labels["digit"]
	c.IDs = s.IDs
	for i := 0; i < s.N; i++ {
		fg, bg := colourPair(r)
		src, dst := s.Image(i), c.Image(i)
		for ch := 0; ch < 3; ch++ {
			for y := 0; y < H; y++ {
				for x := 0; x < W; x++ {
					g := float32(0)
					if sy, sx := y-pad, x-pad; sy >= 0 && sy < 28 && sx >= 0 && sx < 28 {
						g = src[sy*28+sx]
					}
					dst[ch*H*W+y*W+x] = bg[ch]*(1-g) + fg[ch]*g
				}
			}
		}
	}
	return c
}

// colourPair draws a stroke and a background colour whose luminances
// differ by at least 0.3.
func colourPair(r *rand.Rand) (fg, bg [3]float32) {
	lum := func(c [3]float32) float32 { return 0.299*c[0] + 0.587*c[1] + 0.114*c[2] }
	for {
		for k := range 3 {
			fg[k], bg[k] = r.Float32(), r.Float32()
		}
		if d := lum(fg) - lum(bg); d >= 0.3 || d <= -0.3 {
			return fg, bg
		}
	}
}

func openColourDigits(o Options) (*Dataset, error) {
	m, err := openMNIST(o)
	if err != nil {
		return nil, fmt.Errorf("%s is made from MNIST: %w", ColourDigitsName, err)
	}
	return ColourDigits(m)
}

package ops

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"ssdgm/compiler/fastblas"
	"ssdgm/compiler/internal/cputime"
)

// convBenchShapes are the convolutions of specs/faces.ssdgm (encoder
// [1, 64, 56] → [128, 8, 7], decoders back) and specs/svhn.ssdgm ([3, 32,
// 32] → [128, 4, 4] and back), each as its image-side geometry and its
// column-side channels, at a batch of the size its training step runs.
var convBenchShapes = []struct {
	name string
	g    ConvGeom
	cc   int
	b    int
}{
	{"faces-enc1", ConvGeom{C: 1, H: 64, W: 56, K: 4, S: 2, P: 1}, 32, 64},
	{"faces-enc2", ConvGeom{C: 32, H: 32, W: 28, K: 4, S: 2, P: 1}, 64, 64},
	{"faces-enc3", ConvGeom{C: 64, H: 16, W: 14, K: 4, S: 2, P: 1}, 128, 64},
	{"faces-dec3", ConvGeom{C: 3, H: 64, W: 56, K: 4, S: 2, P: 1}, 32, 64},
	{"svhn-enc1", ConvGeom{C: 3, H: 32, W: 32, K: 4, S: 2, P: 1}, 32, 228},
	{"svhn-enc2", ConvGeom{C: 32, H: 16, W: 16, K: 4, S: 2, P: 1}, 64, 228},
	{"svhn-enc3", ConvGeom{C: 64, H: 8, W: 8, K: 4, S: 2, P: 1}, 128, 228},
}

// BenchmarkConvKernels times the float32 kernels (img→col as in Conv2d's
// forward, col→img as in its input gradient and ConvTranspose2d's forward,
// and the weight gradient) with one product per image (bc=1) and over the
// default chunks, on the BLAS the compiler installs (fastblas).
func BenchmarkConvKernels(b *testing.B) {
	prev := blas32.Implementation()
	blas32.Use(fastblas.New())
	defer blas32.Use(prev)
	r := newRand(31)
	for _, c := range convBenchShapes {
		ho, wo, err := c.g.Out()
		if err != nil {
			b.Fatal(err)
		}
		p := convPlan{g: c.g, ho: ho, wo: wo, cc: c.cc}
		x := to32(randSlice(r, c.b*p.imgSize()))
		w := to32(randSlice(r, c.cc*p.kk()))
		col := to32(randSlice(r, c.b*p.colSize()))
		out, img, dw := make([]float32, len(col)), make([]float32, len(x)), make([]float32, len(w))
		for _, bc := range []int{1, p.chunk(c.b)} {
			s := &convScratch{}
			kernels := []struct {
				name string
				f    func()
			}{
				{"imgToCol", func() { convImgToCol(p, bc, defaultSplit(), s, out, x, w) }},
				{"colToImg", func() { clear(img); convColToImg(p, bc, defaultSplit(), s, img, col, w) }},
				{"weightGrad", func() { clear(dw); convWeightGrad(p, bc, s, dw, x, col) }},
			}
			for _, k := range kernels {
				b.Run(fmt.Sprintf("%s/%s/bc=%d", c.name, k.name, bc), func(b *testing.B) {
					k.f()
					b.ReportAllocs()
					b.ResetTimer()
					cputime.PerOp(b, k.f)
				})
			}
		}
	}
}

// BenchmarkIm2col times im2col and col2im alone over a training batch of
// each shape, in float32 (the faces step spends about a third of its
// single-thread time in them).
func BenchmarkIm2col(b *testing.B) {
	r := newRand(32)
	for _, c := range convBenchShapes {
		ho, wo, err := c.g.Out()
		if err != nil {
			b.Fatal(err)
		}
		p := convPlan{g: c.g, ho: ho, wo: wo, cc: c.cc}
		img := to32(randSlice(r, c.b*p.imgSize()))
		n := ho * wo
		cols := make([]float32, p.kk()*n)
		b.Run(c.name+"/im2col", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for j := 0; j < c.b; j++ {
					im2col(p.g, ho, wo, img[j*p.imgSize():][:p.imgSize()], cols, n)
				}
			}
		})
		b.Run(c.name+"/col2im", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for j := 0; j < c.b; j++ {
					col2im(p.g, ho, wo, cols, n, img[j*p.imgSize():][:p.imgSize()])
				}
			}
		})
	}
}

package ops

import (
	"fmt"
	"math"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// naiveConvT is the transposed direction written out: img_b [C, H, W] +=
// Σ over positions of w [cc, C·K·K] times col_b [cc, Ho·Wo].
func naiveConvT(col, w []float64, b int, g ConvGeom, cc int) []float64 {
	ho, wo, _ := g.Out()
	img := make([]float64, b*g.C*g.H*g.W)
	for n := 0; n < b; n++ {
		for o := 0; o < cc; o++ {
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					v := col[((n*cc+o)*ho+i)*wo+j]
					for c := 0; c < g.C; c++ {
						for ki := 0; ki < g.K; ki++ {
							for kj := 0; kj < g.K; kj++ {
								y, x := i*g.S-g.P+ki, j*g.S-g.P+kj
								if y >= 0 && y < g.H && x >= 0 && x < g.W {
									img[((n*g.C+c)*g.H+y)*g.W+x] += w[((o*g.C+c)*g.K+ki)*g.K+kj] * v
								}
							}
						}
					}
				}
			}
		}
	}
	return img
}

// naiveWeightGrad is Σ_b col_b · im2col(img_b)ᵀ written out.
func naiveWeightGrad(img, col []float64, b int, g ConvGeom, cc int) []float64 {
	ho, wo, _ := g.Out()
	dw := make([]float64, cc*g.C*g.K*g.K)
	for n := 0; n < b; n++ {
		for o := 0; o < cc; o++ {
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					v := col[((n*cc+o)*ho+i)*wo+j]
					for c := 0; c < g.C; c++ {
						for ki := 0; ki < g.K; ki++ {
							for kj := 0; kj < g.K; kj++ {
								y, x := i*g.S-g.P+ki, j*g.S-g.P+kj
								if y >= 0 && y < g.H && x >= 0 && x < g.W {
									dw[((o*g.C+c)*g.K+ki)*g.K+kj] += img[((n*g.C+c)*g.H+y)*g.W+x] * v
								}
							}
						}
					}
				}
			}
		}
	}
	return dw
}

func randSlice(r interface{ Float64() float64 }, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*r.Float64() - 1
	}
	return x
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func to64[T float](x []T) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// poison fills a scratch with NaN, so that a kernel reading scratch it did
// not write shows up in its result.
func poison(s *convScratch, n int) {
	s.f32, s.f64 = make([]float32, n), make([]float64, n)
	for i := range s.f32 {
		s.f32[i], s.f64[i] = float32(math.NaN()), math.NaN()
	}
}

// convKernels runs the three kernels at chunk size bc, the chunks shared
// out as sp says, over one scratch (poisoned first) in T and returns conv,
// transposed conv and weight gradient.
func convKernels[T float](p convPlan, bc int, sp split, b int, x, w, col []float64, held bool) (fwd, bwd, dw []float64) {
	s := &convScratch{}
	poison(s, 2*p.scratchSize(bc)*sp.workers)
	if held { // a kernel that finds the scratch taken allocates its own
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	xs, ws, cs := conv64[T](x), conv64[T](w), conv64[T](col)
	out := make([]T, b*p.colSize())
	convImgToCol(p, bc, sp, s, out, xs, ws)
	img := make([]T, b*p.imgSize())
	convColToImg(p, bc, sp, s, img, cs, ws)
	g := make([]T, p.cc*p.kk())
	convWeightGrad(p, bc, s, g, xs, cs)
	return to64(out), to64(img), to64(g)
}

func conv64[T float](x []float64) []T {
	y := make([]T, len(x))
	for i, v := range x {
		y[i] = T(v)
	}
	return y
}

// TestConvChunks: the kernels over chunks of images (one chunk, several,
// a last partial chunk, a chunk wider than the batch) give the naive
// results in float64 and float32, forward, transposed and weight gradient;
// with the chunks shared out over 2 or 3 workers they give the serial
// results to the bit.
func TestConvChunks(t *testing.T) {
	r := newRand(21)
	cases := []struct {
		g   ConvGeom
		cc  int
		b   int
		bcs []int
	}{
		{ConvGeom{C: 2, H: 8, W: 7, K: 4, S: 2, P: 1}, 3, 7, []int{1, 2, 3, 7, 9}},
		{ConvGeom{C: 3, H: 5, W: 6, K: 3, S: 1, P: 1}, 4, 5, []int{1, 2, 5}},
		{ConvGeom{C: 1, H: 4, W: 4, K: 2, S: 2, P: 0}, 2, 6, []int{1, 4, 6}},
		{ConvGeom{C: 2, H: 3, W: 3, K: 3, S: 1, P: 2}, 2, 4, []int{1, 3}},
		{ConvGeom{C: 1, H: 9, W: 5, K: 3, S: 3, P: 1}, 2, 5, []int{2, 4}},
	}
	for _, c := range cases {
		ho, wo, err := c.g.Out()
		if err != nil {
			t.Fatal(err)
		}
		p := convPlan{g: c.g, ho: ho, wo: wo, cc: c.cc}
		x := randSlice(r, c.b*p.imgSize())
		w := randSlice(r, c.cc*p.kk())
		col := randSlice(r, c.b*p.colSize())
		want := [3][]float64{naiveConv(x, w, c.b, c.g, c.cc), naiveConvT(col, w, c.b, c.g, c.cc), naiveWeightGrad(x, col, c.b, c.g, c.cc)}
		for _, bc := range c.bcs {
			for _, held := range []bool{false, true} {
				for _, dt := range []string{"float64", "float32"} {
					var got [3][]float64
					rel := 1e-12
					run := convKernels[float64]
					if dt == "float32" {
						run, rel = convKernels[float32], 1e-5
					}
					got[0], got[1], got[2] = run(p, bc, split{workers: 1}, c.b, x, w, col, held)
					for _, sp := range []split{{workers: 2}, {workers: 3}} {
						var par [3][]float64
						par[0], par[1], par[2] = run(p, bc, sp, c.b, x, w, col, held)
						for k := range par {
							if !sameBits(par[k], got[k]) {
								t.Fatalf("%+v bc=%d held=%v %s kernel %d over %d workers differs from serial", c.g, bc, held, dt, k, sp.workers)
							}
						}
					}
					for k, name := range []string{"conv", "transposed", "weight grad"} {
						if len(got[k]) != len(want[k]) {
							t.Fatalf("%+v bc=%d %s %s: %d values, want %d", c.g, bc, dt, name, len(got[k]), len(want[k]))
						}
						for i := range want[k] {
							if !closeTo(got[k][i], want[k][i], rel) {
								t.Fatalf("%+v bc=%d held=%v %s %s: elem %d got %v want %v", c.g, bc, held, dt, name, i, got[k][i], want[k][i])
							}
						}
					}
				}
			}
		}
	}
}

// TestConvFloat64PerImage: float64 keeps one product per image, so its
// results are those of bc = 1 to the bit, reached through the op.
func TestConvFloat64PerImage(t *testing.T) {
	r := newRand(22)
	g := ConvGeom{C: 2, H: 8, W: 7, K: 4, S: 2, P: 1}
	ho, wo, _ := g.Out()
	p := convPlan{g: g, ho: ho, wo: wo, cc: 3}
	const b = 5
	x := gradcheck.Tensor(r, -1, 1, b, p.imgSize())
	w := gradcheck.Tensor(r, -1, 1, p.cc, p.kk())
	got := eval(t, tensor.Float64, func(gr *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Conv2d(in[0], in[1], g) }, x, w)
	want, _, _ := convKernels[float64](p, 1, split{workers: 1}, b, x.Data().([]float64), w.Data().([]float64), make([]float64, b*p.colSize()), false)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("elem %d: op %v, per image %v", i, got[i], want[i])
		}
	}
}

// TestConvOpChunked runs the float32 ops at a batch that takes several
// chunks of the default size, the last one partial, and checks conv,
// transposed conv and both gradients against the naive results.
func TestConvOpChunked(t *testing.T) {
	r := newRand(23)
	g := ConvGeom{C: 8, H: 16, W: 16, K: 4, S: 2, P: 1}
	ho, wo, _ := g.Out()
	const cc = 2 // few output channels: a big chunk, a cheap naive reference
	p := convPlan{g: g, ho: ho, wo: wo, cc: cc}
	bc := p.chunk(1 << 20)
	b := 2*bc + bc/2
	if p.chunk(b) != bc || b%bc == 0 {
		t.Fatalf("chunk %d of batch %d: want several chunks, the last partial", bc, b)
	}
	x := gradcheck.Tensor(r, -1, 1, b, p.imgSize())
	w := gradcheck.Tensor(r, -1, 1, cc, p.kk())
	y := gradcheck.Tensor(r, -1, 1, b, p.colSize())
	xd, wd, yd := x.Data().([]float64), w.Data().([]float64), y.Data().([]float64)
	// loss <conv(x), y>: d/dx = convT(y), d/dw = Σ y_b im2col(x_b)ᵀ.
	// loss <convT(y), x>: d/dy = conv(x), d/dw the same.
	cases := []struct {
		name string
		f    func(in G.Nodes) (*G.Node, error)
		in   []*tensor.Dense
		// values, gradient of input 0, gradient of the kernel
		want [3][]float64
	}{
		{"conv", func(in G.Nodes) (*G.Node, error) { return Conv2d(in[0], in[1], g) }, []*tensor.Dense{x, w, y},
			[3][]float64{naiveConv(xd, wd, b, g, cc), naiveConvT(yd, wd, b, g, cc), naiveWeightGrad(xd, yd, b, g, cc)}},
		{"transposed", func(in G.Nodes) (*G.Node, error) {
			return ConvTranspose2d(in[0], in[1], cc, ho, wo, g.C, g.K, g.S, g.P)
		},
			[]*tensor.Dense{y, w, x},
			[3][]float64{naiveConvT(yd, wd, b, g, cc), naiveConv(xd, wd, b, g, cc), naiveWeightGrad(xd, yd, b, g, cc)}},
	}
	for _, c := range cases {
		gr := G.NewGraph()
		var nodes G.Nodes
		for i, v := range c.in {
			nodes = append(nodes, G.NewMatrix(gr, tensor.Float32, G.WithShape(v.Shape()...), G.WithValue(toF32(v)), G.WithName(fmt.Sprint("in", i))))
		}
		out, err := c.f(nodes[:2])
		if err != nil {
			t.Fatal(err)
		}
		prod, err := G.HadamardProd(out, nodes[2])
		if err != nil {
			t.Fatal(err)
		}
		loss, err := G.Sum(prod)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := G.Grad(loss, nodes[0], nodes[1])
		if err != nil {
			t.Fatal(err)
		}
		var vals [3]G.Value
		G.Read(out, &vals[0])
		G.Read(grads[0], &vals[1])
		G.Read(grads[1], &vals[2])
		m := G.NewTapeMachine(gr)
		for run := 0; run < 2; run++ { // the second run reuses the scratch
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			for k, what := range []string{"value", "input gradient", "kernel gradient"} {
				got := vals[k].Data().([]float32)
				for i, wv := range c.want[k] {
					if !closeTo(float64(got[i]), wv, 1e-4) {
						t.Fatalf("%s run %d %s: elem %d got %v want %v", c.name, run, what, i, got[i], wv)
					}
				}
			}
			m.Reset()
		}
		m.Close()
	}
}

// sameBits reports whether a and b hold the same values to the bit.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

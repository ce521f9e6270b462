package ops

import (
	"math"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// naiveConv is a direct cross-correlation of one batch.
func naiveConv(x, w []float64, b int, g ConvGeom, cout int) []float64 {
	ho, wo, _ := g.Out()
	out := make([]float64, b*cout*ho*wo)
	for n := 0; n < b; n++ {
		for o := 0; o < cout; o++ {
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					var s float64
					for c := 0; c < g.C; c++ {
						for ki := 0; ki < g.K; ki++ {
							for kj := 0; kj < g.K; kj++ {
								y, xx := i*g.S-g.P+ki, j*g.S-g.P+kj
								if y < 0 || y >= g.H || xx < 0 || xx >= g.W {
									continue
								}
								s += x[((n*g.C+c)*g.H+y)*g.W+xx] * w[((o*g.C+c)*g.K+ki)*g.K+kj]
							}
						}
					}
					out[((n*cout+o)*ho+i)*wo+j] = s
				}
			}
		}
	}
	return out
}

func TestConvValues(t *testing.T) {
	r := newRand(12)
	for _, g := range []ConvGeom{{C: 2, H: 5, W: 6, K: 3, S: 1, P: 1}, {C: 3, H: 8, W: 7, K: 4, S: 2, P: 1}, {C: 1, H: 4, W: 4, K: 2, S: 2, P: 0}} {
		ho, wo, err := g.Out()
		if err != nil {
			t.Fatal(err)
		}
		const b, cout = 2, 3
		x := gradcheck.Tensor(r, -1, 1, b, g.C*g.H*g.W)
		w := gradcheck.Tensor(r, -1, 1, cout, g.C*g.K*g.K)
		want := naiveConv(x.Data().([]float64), w.Data().([]float64), b, g, cout)
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, func(gr *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Conv2d(in[0], in[1], g) }, x, w)
			if len(got) != b*cout*ho*wo {
				t.Fatalf("%+v: got %d values", g, len(got))
			}
			for i := range want {
				if !closeTo(got[i], want[i], 1e-5) {
					t.Fatalf("%+v %v: elem %d got %v want %v", g, dt, i, got[i], want[i])
				}
			}
		}
		// adjoint: <Conv(x), y> = <x, ConvT(y)> with the same kernel matrix
		y := gradcheck.Tensor(r, -1, 1, b, cout*ho*wo)
		ct := eval(t, tensor.Float64, func(gr *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return ConvTranspose2d(in[0], in[1], cout, ho, wo, g.C, g.K, g.S, g.P)
		}, y, w)
		// ConvTranspose's output size may differ from H×W when stride does
		// not divide evenly; only compare when it matches.
		if th, tw, _ := TransposedOut(ho, wo, g.K, g.S, g.P); th == g.H && tw == g.W {
			var l, rr float64
			for i, v := range want {
				l += v * y.Data().([]float64)[i]
			}
			for i, v := range x.Data().([]float64) {
				rr += v * ct[i]
			}
			if math.Abs(l-rr) > 1e-10*math.Max(1, math.Abs(l)) {
				t.Errorf("%+v: adjoint <Conv x, y> = %v but <x, ConvT y> = %v", g, l, rr)
			}
		}
	}
	// ConvTranspose of a single pixel reproduces the kernel
	got := eval(t, tensor.Float64, func(gr *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return ConvTranspose2d(in[0], in[1], 1, 1, 1, 1, 3, 1, 0)
	}, dense([]int{1, 1}, 2), dense([]int{1, 9}, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	for i, v := range got {
		if v != 2*float64(i+1) {
			t.Fatalf("single-pixel transpose: %v", got)
		}
	}
}

func TestConvGradients(t *testing.T) {
	r := newRand(13)
	g := ConvGeom{C: 2, H: 5, W: 4, K: 3, S: 2, P: 1}
	ho, wo, _ := g.Out()
	checkGrad(t, "Conv2d", func(gr *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Conv2d(in[0], in[1], g) },
		gradcheck.Tensor(r, -1, 1, 2, 2*5*4), gradcheck.Tensor(r, -1, 1, 3, 2*9))
	checkGrad(t, "ConvTranspose2d", func(gr *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return ConvTranspose2d(in[0], in[1], 3, ho, wo, 2, 3, 2, 1)
	}, gradcheck.Tensor(r, -1, 1, 2, 3*ho*wo), gradcheck.Tensor(r, -1, 1, 3, 2*9))
}

func TestConvShapeErrors(t *testing.T) {
	gr := G.NewGraph()
	x := G.NewMatrix(gr, tensor.Float64, G.WithShape(2, 16), G.WithName("x"))
	w := G.NewMatrix(gr, tensor.Float64, G.WithShape(3, 9), G.WithName("w"))
	if _, err := Conv2d(x, w, ConvGeom{C: 1, H: 4, W: 4, K: 5, S: 1, P: 0}); err == nil {
		t.Error("accepted a 5x5 kernel on a 4x4 image")
	}
	if _, err := Conv2d(x, w, ConvGeom{C: 1, H: 4, W: 4, K: 3, S: 0, P: 0}); err == nil {
		t.Error("accepted stride 0")
	}
	if _, err := Conv2d(x, w, ConvGeom{C: 2, H: 2, W: 4, K: 3, S: 1, P: 1}); err == nil {
		t.Error("accepted a kernel with the wrong channel count")
	}
	if _, err := Conv2d(x, w, ConvGeom{C: 1, H: 4, W: 4, K: 3, S: 1, P: 0}); err != nil {
		t.Errorf("rejected a good conv: %v", err)
	}
	if _, err := ConvTranspose2d(x, w, 2, 4, 4, 1, 3, 1, 0); err == nil {
		t.Error("accepted a transposed kernel with the wrong input channels")
	}
}

// TestIm2colRuns: im2col and col2im, which find each output row's run of
// in-image positions once, copy and add exactly as a test of every
// position does, into and from rows ld > Ho·Wo apart without touching the
// gaps between them.
func TestIm2colRuns(t *testing.T) {
	r := newRand(14)
	for _, g := range []ConvGeom{
		{C: 2, H: 5, W: 6, K: 3, S: 1, P: 1}, {C: 3, H: 8, W: 7, K: 4, S: 2, P: 1}, {C: 1, H: 4, W: 4, K: 2, S: 2, P: 0},
		{C: 2, H: 3, W: 3, K: 3, S: 1, P: 2}, {C: 1, H: 9, W: 5, K: 3, S: 3, P: 1}, {C: 2, H: 4, W: 5, K: 1, S: 1, P: 0},
		{C: 1, H: 2, W: 3, K: 5, S: 2, P: 3},
	} {
		ho, wo, err := g.Out()
		if err != nil {
			t.Fatal(err)
		}
		n, rows := ho*wo, g.C*g.K*g.K
		ld := n + 3
		img := gradcheck.Tensor(r, -1, 1, 1, g.C*g.H*g.W).Data().([]float64)
		cols := make([]float64, rows*ld)
		for i := range cols {
			cols[i] = math.NaN()
		}
		im2col(g, ho, wo, img, cols, ld)
		back := gradcheck.Tensor(r, -1, 1, 1, g.C*g.H*g.W).Data().([]float64)
		want := append([]float64(nil), back...)
		for row := 0; row < rows; row++ {
			c, ki, kj := row/(g.K*g.K), row/g.K%g.K, row%g.K
			for gap := n; gap < ld; gap++ {
				if !math.IsNaN(cols[row*ld+gap]) {
					t.Fatalf("%+v: im2col wrote the gap of row %d", g, row)
				}
			}
			for oi := 0; oi < ho; oi++ {
				for oj := 0; oj < wo; oj++ {
					y, x := oi*g.S-g.P+ki, oj*g.S-g.P+kj
					v := 0.0
					in := y >= 0 && y < g.H && x >= 0 && x < g.W
					if in {
						v = img[(c*g.H+y)*g.W+x]
					}
					if got := cols[row*ld+oi*wo+oj]; got != v {
						t.Fatalf("%+v: cols[%d][%d] = %v, want %v", g, row, oi*wo+oj, got, v)
					}
					if in { // col2im's order: rows, then positions
						want[(c*g.H+y)*g.W+x] += v
					}
				}
			}
		}
		col2im(g, ho, wo, cols, ld, back)
		for i := range want {
			if back[i] != want[i] {
				t.Fatalf("%+v: col2im pixel %d = %v, want %v", g, i, back[i], want[i])
			}
		}
	}
}

package ops

import (
	"math"
	"sync"
	"testing"

	"ssdgm/compiler/internal/cputime"
	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestLikelihoodGradients(t *testing.T) {
	r := newRand(5)
	x := func(lo, hi float64) *tensor.Dense { return gradcheck.Tensor(r, lo, hi, 3, 4) }
	lap := x(-2, 2)
	lapLoc := x(-2, 2)
	// keep x - loc away from the kink at 0
	ld, ll := lap.Data().([]float64), lapLoc.Data().([]float64)
	for i := range ld {
		if math.Abs(ld[i]-ll[i]) < 0.05 {
			ld[i] += 0.2
		}
	}
	bern := x(0, 1)
	cases := []struct {
		name string
		f    gradcheck.Build
		in   []*tensor.Dense
	}{
		{"Normal", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return NormalLogProb(in[0], in[1], in[2]) }, []*tensor.Dense{x(-2, 2), x(-2, 2), x(0.3, 2)}},
		{"Laplace", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LaplaceLogProb(in[0], in[1], in[2]) }, []*tensor.Dense{lap, lapLoc, x(0.3, 2)}},
		{"BernoulliLogits", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BernoulliLogitsLogProb(in[0], in[1]) }, []*tensor.Dense{bern, x(-4, 4)}},
		{"BernoulliProbs", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BernoulliProbsLogProb(in[0], in[1], 1e-6) }, []*tensor.Dense{x(0, 1), x(0.05, 0.95)}},
		{"Affine", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Affine(in[0], -1.5, 0.25) }, []*tensor.Dense{x(-1, 1)}},
		{"LogClamped", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LogClamped(in[0], 1e-3) }, []*tensor.Dense{x(0.1, 2)}},
	}
	for _, c := range cases {
		checkGrad(t, c.name, c.f, c.in...)
	}
}

func TestLikelihoodValues(t *testing.T) {
	x := dense([]int{1, 2}, 0.3, -1)
	a := dense([]int{1, 2}, 0.5, 2)
	b := dense([]int{1, 2}, 1.5, 0.7)
	norm := func(x, m, s float64) float64 {
		return math.Log(math.Exp(-(x-m)*(x-m)/(2*s*s)) / (s * math.Sqrt(2*math.Pi)))
	}
	lapl := func(x, m, s float64) float64 { return math.Log(math.Exp(-math.Abs(x-m)/s) / (2 * s)) }
	got := eval(t, tensor.Float64, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return NormalLogProb(in[0], in[1], in[2]) }, x, a, b)
	if want := norm(0.3, 0.5, 1.5) + norm(-1, 2, 0.7); !closeTo(got[0], want, 1e-12) {
		t.Errorf("normal: got %v want %v", got[0], want)
	}
	got = eval(t, tensor.Float64, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LaplaceLogProb(in[0], in[1], in[2]) }, x, a, b)
	if want := lapl(0.3, 0.5, 1.5) + lapl(-1, 2, 0.7); !closeTo(got[0], want, 1e-12) {
		t.Errorf("laplace: got %v want %v", got[0], want)
	}
}

// TestBernoulliLogitsKernel: the fused Bernoulli-logits kernel matches the
// per-element reference bernLogitsElem, value and logit gradient, over logits from
// -100 to 100, in float64 (to rounding) and float32 (to float32 rounding).
func TestBernoulliLogitsKernel(t *testing.T) {
	const rows, d = 3, 41
	x64 := make([]float64, rows*d)
	a64 := make([]float64, rows*d)
	up64 := []float64{1, -0.5, 2}
	r := newRand(9)
	for i := range x64 {
		x64[i] = r.Float64()
		a64[i] = 200*float64(i)/float64(len(a64)-1) - 100
		if i%3 == 0 {
			a64[i] = r.Float64()*8 - 4
		}
	}
	wantV := make([]float64, rows)
	wantG := make([]float64, rows*d)
	for i := range x64 {
		lp, _, da, _ := bernLogitsElem(x64[i], a64[i], 0)
		wantV[i/d] += lp
		wantG[i] = up64[i/d] * da
	}
	gotV := make([]float64, rows)
	gotG := make([]float64, rows*d)
	bernLogitsK(gotV, [][]float64{x64, a64}, -1)
	bernLogitsK(gotG, [][]float64{x64, a64, up64}, 1)
	x32, a32, up32 := f32s(x64), f32s(a64), f32s(up64)
	gotV32 := make([]float32, rows)
	gotG32 := make([]float32, rows*d)
	bernLogitsK(gotV32, [][]float32{x32, a32}, -1)
	bernLogitsK(gotG32, [][]float32{x32, a32, up32}, 1)
	// The cached path: forward, then the gradient from the residuals.
	c := &residCache{}
	cV, cG := make([]float64, rows), make([]float64, rows*d)
	bernLogitsC(cV, [][]float64{x64, a64}, -1, c)
	bernLogitsC(cG, [][]float64{x64, a64, up64}, 1, c)
	cV32, cG32 := make([]float32, rows), make([]float32, rows*d)
	bernLogitsC(cV32, [][]float32{x32, a32}, -1, c)
	bernLogitsC(cG32, [][]float32{x32, a32, up32}, 1, c)
	if c.f64.r == nil || c.f32.r == nil {
		t.Fatal("the forward pass cached no residuals")
	}
	for i := range cV {
		if cV[i] != gotV[i] || cV32[i] != gotV32[i] {
			t.Errorf("row %d: cached value %v %v, want %v %v", i, cV[i], cV32[i], gotV[i], gotV32[i])
		}
	}
	for i := range cG {
		if cG[i] != gotG[i] || math.Abs(float64(cG32[i]-gotG32[i])) > 1e-6*math.Max(1, math.Abs(float64(gotG32[i]))) {
			t.Errorf("element %d: cached gradient %v %v, want %v %v", i, cG[i], cG32[i], gotG[i], gotG32[i])
		}
	}
	for i := range wantV {
		if !closeTo(gotV[i], wantV[i], 1e-14) || !closeTo(float64(gotV32[i]), wantV[i], 1e-6) {
			t.Errorf("row %d: value %v (float32 %v), want %v", i, gotV[i], gotV32[i], wantV[i])
		}
	}
	for i := range wantG {
		if math.Abs(gotG[i]-wantG[i]) > 1e-15 || math.Abs(float64(gotG32[i])-wantG[i]) > 1e-6 {
			t.Errorf("element %d (logit %g): gradient %v (float32 %v), want %v", i, a64[i], gotG[i], gotG32[i], wantG[i])
		}
	}
}

func f32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// TestSplitRows: a split covers every row exactly once, in as many calls
// as it has workers (at most one per row), and does not split below its
// element threshold.
func TestSplitRows(t *testing.T) {
	for _, c := range []struct {
		sp        split
		rows, d   int
		wantCalls int
	}{
		{split{workers: 1, minElems: 0}, 200, 3, 1},
		{split{workers: 2, minElems: 0}, 200, 3, 2},
		{split{workers: 7, minElems: 0}, 200, 3, 7},
		{split{workers: 7, minElems: 0}, 5, 3, 5},
		{split{workers: 7, minElems: 0}, 0, 3, 1},
		{split{workers: 7, minElems: 601}, 200, 3, 1},
		{split{workers: 7, minElems: 600}, 200, 3, 7},
	} {
		seen := make([]int32, c.rows)
		var mu sync.Mutex
		calls := 0
		c.sp.rows(c.rows, c.d, func(lo, hi int) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			for r := lo; r < hi; r++ {
				seen[r]++
			}
		})
		if calls != c.wantCalls {
			t.Errorf("%+v rows %d: %d calls, want %d", c.sp, c.rows, calls, c.wantCalls)
		}
		for r, n := range seen {
			if n != 1 {
				t.Errorf("%+v rows %d: row %d computed %d times", c.sp, c.rows, r, n)
			}
		}
	}
}

// TestBernoulliLogitsParallel: the forward kernel split over goroutines
// gives bit for bit the row-by-row serial result, with the split forced
// (7 workers, any size) so that it is tested at GOMAXPROCS=1 too, and with
// the default split.
func TestBernoulliLogitsParallel(t *testing.T) {
	for _, sp := range []split{{workers: 7, minElems: 0}, defaultSplit()} {
		testBernoulliLogitsSplit(t, sp)
	}
}

func testBernoulliLogitsSplit(t *testing.T, sp split) {
	const rows, d = 200, 784
	r := newRand(11)
	x, a := make([]float32, rows*d), make([]float32, rows*d)
	for i := range x {
		x[i] = float32(r.Float64())
		a[i] = float32(r.Float64()*20 - 10)
	}
	out, res := make([]float32, rows), make([]float32, rows*d)
	bernLogitsFwdSplit(sp, out, x, a, res)
	for i := 0; i < rows; i++ {
		o, rr := make([]float32, 1), make([]float32, d)
		bernLogitsFwd(o, x[i*d:(i+1)*d], a[i*d:(i+1)*d], rr)
		if o[0] != out[i] {
			t.Fatalf("%+v row %d: %v, serial %v", sp, i, out[i], o[0])
		}
		for j := range rr {
			if rr[j] != res[i*d+j] {
				t.Fatalf("%+v row %d residual %d: %v, serial %v", sp, i, j, res[i*d+j], rr[j])
			}
		}
	}
}

// BenchmarkBernoulliLogitsFwd times the decoder's likelihood forward pass
// with its residuals on one thread, at the MNIST step's 1280×784 pixels:
// float32 (vek's exp and log) against the float64 kernel.
func BenchmarkBernoulliLogitsFwd(b *testing.B) {
	const rows, d = 1280, 784
	r := newRand(13)
	x64, a64 := make([]float64, rows*d), make([]float64, rows*d)
	for i := range x64 {
		x64[i] = float64(r.IntN(2))
		a64[i] = r.Float64()*16 - 8
	}
	one := split{workers: 1}
	b.Run("float32", func(b *testing.B) {
		x, a := f32s(x64), f32s(a64)
		out, res := make([]float32, rows), make([]float32, rows*d)
		b.SetBytes(int64(rows * d * 4))
		cputime.PerOp(b, func() { bernLogitsFwdSplit(one, out, x, a, res) })
	})
	b.Run("float64", func(b *testing.B) {
		out, res := make([]float64, rows), make([]float64, rows*d)
		b.SetBytes(int64(rows * d * 8))
		cputime.PerOp(b, func() { bernLogitsFwdSplit(one, out, x64, a64, res) })
	})
}

// TestNormalFwd32: the float32 Normal log-density (vek's log) matches the
// float64 kernel to float32 rounding on ordinary scales, and gives the
// float64 kernel's value rounded to float32 (NaN or -Inf) where a scale
// is 0, subnormal, negative or NaN.
func TestNormalFwd32(t *testing.T) {
	const rows, d = 5, 300
	r := newRand(17)
	x, a, b := make([]float64, rows*d), make([]float64, rows*d), make([]float64, rows*d)
	for i := range x {
		x[i], a[i] = r.NormFloat64()*3, r.NormFloat64()
		b[i] = math.Exp(r.Float64()*8 - 5)
	}
	b[d+7] = 0
	b[2*d+1] = 1e-40
	b[3*d+5] = -1
	b[4*d+2] = math.NaN()
	x32, a32, b32 := f32s(x), f32s(a), f32s(b)
	got, want := make([]float32, rows), make([]float64, rows)
	normalK(got, [][]float32{x32, a32, b32}, -1)
	normalK(want, [][]float64{f64s(x32), f64s(a32), f64s(b32)}, -1)
	for i := range got {
		// The float64 sum rounded to float32 (a subnormal scale overflows).
		g, w := float64(got[i]), float64(float32(want[i]))
		switch {
		case math.IsNaN(w):
			if !math.IsNaN(g) {
				t.Errorf("row %d: %v, float64 kernel NaN", i, g)
			}
		case math.IsInf(w, 0):
			if g != w {
				t.Errorf("row %d: %v, float64 kernel %v", i, g, w)
			}
		case !closeTo(g, w, 1e-6):
			t.Errorf("row %d: %v, float64 kernel %v", i, g, w)
		}
	}
}

func f64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// BenchmarkNormalLogProbFwd times the Normal log-density's value on one
// thread at the MNIST step's 1408×50 latent rows, float32 and float64.
func BenchmarkNormalLogProbFwd(b *testing.B) {
	const rows, d = 1408, 50
	r := newRand(19)
	x, a, s := make([]float64, rows*d), make([]float64, rows*d), make([]float64, rows*d)
	for i := range x {
		x[i], a[i], s[i] = r.NormFloat64(), r.NormFloat64(), math.Exp(r.NormFloat64())
	}
	b.Run("float32", func(b *testing.B) {
		in := [][]float32{f32s(x), f32s(a), f32s(s)}
		out := make([]float32, rows)
		cputime.PerOp(b, func() { normalK(out, in, -1) })
	})
	b.Run("float64", func(b *testing.B) {
		in := [][]float64{x, a, s}
		out := make([]float64, rows)
		cputime.PerOp(b, func() { normalK(out, in, -1) })
	})
}

package ops

import (
	"math"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// klQuadrature is KL(N(mq, sq) ‖ N(mp, sp)) = ∫ q log(q/p) by Simpson's rule
// over mq ± 12 sq: a reference independent of the closed form.
func klQuadrature(mq, sq, mp, sp float64) float64 {
	lp := func(x, m, s float64) float64 {
		z := (x - m) / s
		return -0.5*z*z - math.Log(s) - 0.5*math.Log(2*math.Pi)
	}
	const n = 4000
	lo, hi := mq-12*sq, mq+12*sq
	h := (hi - lo) / n
	sum := 0.0
	for i := 0; i <= n; i++ {
		x := lo + float64(i)*h
		lq := lp(x, mq, sq)
		f := math.Exp(lq) * (lq - lp(x, mp, sp))
		switch {
		case i == 0 || i == n:
			sum += f
		case i%2 == 1:
			sum += 4 * f
		default:
			sum += 2 * f
		}
	}
	return sum * h / 3
}

// TestNormalKLValues: NormalKL's row sums match numerical integration of
// ∫ q log(q/p), in float64 and float32, and KL(q ‖ q) = 0.
func TestNormalKLValues(t *testing.T) {
	mq := []float64{0.3, -1, 2.5, 0, 0.9, -0.2}
	sq := []float64{1.5, 0.7, 2, 0.4, 1, 3}
	mp := []float64{0, 0, 1, -0.5, 0.9, 0.1}
	sp := []float64{1, 1, 0.5, 2, 1, 3}
	sh := []int{2, 3}
	want := make([]float64, 2)
	for i := range mq {
		want[i/3] += klQuadrature(mq[i], sq[i], mp[i], sp[i])
	}
	f := func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return NormalKL(in[0], in[1], in[2], in[3]) }
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		tol := 1e-9
		if dt == tensor.Float32 {
			tol = 1e-6
		}
		got := eval(t, dt, f, dense(sh, mq...), dense(sh, sq...), dense(sh, mp...), dense(sh, sp...))
		for i := range want {
			if !closeTo(got[i], want[i], tol) {
				t.Errorf("%v row %d: KL %.12g, quadrature %.12g", dt, i, got[i], want[i])
			}
		}
	}
	self := eval(t, tensor.Float64, f, dense(sh, mq...), dense(sh, sq...), dense(sh, mq...), dense(sh, sq...))
	for i, v := range self {
		if math.Abs(v) > 1e-15 {
			t.Errorf("KL(q ‖ q) row %d = %g, want 0", i, v)
		}
	}
}

// TestNormalKLGradient checks NormalKL's gradients with respect to all four
// parameters against finite differences.
func TestNormalKLGradient(t *testing.T) {
	r := newRand(13)
	x := func(lo, hi float64) *tensor.Dense { return gradcheck.Tensor(r, lo, hi, 3, 4) }
	checkGrad(t, "NormalKL", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return NormalKL(in[0], in[1], in[2], in[3])
	}, x(-2, 2), x(0.3, 2), x(-2, 2), x(0.3, 2))
}

// TestNormalKLShapes: mismatched shapes are errors, not panics.
func TestNormalKLShapes(t *testing.T) {
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("a"))
	b := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 4), G.WithName("b"))
	if _, err := NormalKL(a, a, a, b); err == nil {
		t.Error("NormalKL accepted [2 3] and [2 4]")
	}
}

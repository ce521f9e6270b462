package ops

import (
	"math"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cbIntegral integrates λ^x (1−λ)^(1−x) over x in [0, 1] (Simpson, 2000
// intervals) for λ = sigmoid(η): 1/C(η).
func cbIntegral(eta float64) float64 {
	lam := 1 / (1 + math.Exp(-eta))
	f := func(x float64) float64 { return math.Pow(lam, x) * math.Pow(1-lam, 1-x) }
	const n = 2000
	h := 1.0 / n
	s := f(0) + f(1)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(float64(i)*h)
	}
	return s * h / 3
}

// TestContBernNormaliser: the density integrates to 1 (log C against a
// numerical integral), the Taylor branch meets the closed form at its
// threshold, and the derivative matches a finite difference, on both
// sides of the threshold and far out.
func TestContBernNormaliser(t *testing.T) {
	for _, eta := range []float64{-12, -5, -1, -0.2, -0.011, -0.009, -1e-5, 0, 1e-7, 0.005, 0.0099, 0.0101, 0.3, 2, 8, 12} {
		lc, dlc := ContBernLogNorm(eta)
		if want := -math.Log(cbIntegral(eta)); math.Abs(lc-want) > 1e-8 {
			t.Errorf("log C(%g) = %.15g, numerical %.15g", eta, lc, want)
		}
		h := 1e-5
		l1, _ := ContBernLogNorm(eta + h)
		l0, _ := ContBernLogNorm(eta - h)
		if fd := (l1 - l0) / (2 * h); math.Abs(fd-dlc) > 1e-7 {
			t.Errorf("d log C(%g) = %.12g, finite difference %.12g", eta, dlc, fd)
		}
	}
	// Both branches at the threshold.
	e := contBernTaylor
	a, da := ContBernLogNorm(e * (1 - 1e-12))
	b, db := ContBernLogNorm(e * (1 + 1e-12))
	if math.Abs(a-b) > 1e-14 || math.Abs(da-db) > 1e-11 {
		t.Errorf("branches disagree at %g: %.17g vs %.17g, %.17g vs %.17g", e, a, b, da, db)
	}
	if lc, _ := ContBernLogNorm(0); lc != math.Ln2 {
		t.Errorf("log C(0) = %v, want log 2", lc)
	}
	if lc, dlc := ContBernLogNorm(1000); math.IsNaN(lc) || math.IsNaN(dlc) || math.IsInf(lc, 0) {
		t.Errorf("log C(1000) = %v, %v", lc, dlc)
	}
}

// TestContBernMean against the numerical first moment.
func TestContBernMean(t *testing.T) {
	for _, eta := range []float64{-6, -1, -0.02, -0.001, 0, 0.004, 0.5, 3} {
		lam := 1 / (1 + math.Exp(-eta))
		lc, _ := ContBernLogNorm(eta)
		const n = 2000
		var s float64
		for i := 0; i <= n; i++ {
			x := float64(i) / n
			w := 2.0
			switch {
			case i == 0 || i == n:
				w = 1
			case i%2 == 1:
				w = 4
			}
			s += w * x * math.Exp(lc) * math.Pow(lam, x) * math.Pow(1-lam, 1-x)
		}
		want := s / n / 3
		if got := ContBernMean(eta); math.Abs(got-want) > 1e-9 {
			t.Errorf("mean(%g) = %.12g, numerical %.12g", eta, got, want)
		}
	}
}

func TestContBernGradients(t *testing.T) {
	r := newRand(9)
	x := gradcheck.Tensor(r, 0, 1, 3, 4)
	// Logits across the Taylor threshold and beyond.
	l := dense([]int{3, 4}, -4, -0.5, -0.012, -0.003, 0, 0.002, 0.008, 0.011, 0.4, 1.5, 3, 6)
	checkGrad(t, "ContBernLogits", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ContBernLogitsLogProb(in[0], in[1]) }, x, l)
}

func TestContBernValues(t *testing.T) {
	x := dense([]int{1, 3}, 0.2, 0.5, 1)
	l := dense([]int{1, 3}, -1.3, 0, 2.5)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		got := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ContBernLogitsLogProb(in[0], in[1]) }, x, l)
		var want float64
		for i, xv := range []float64{0.2, 0.5, 1} {
			eta := []float64{-1.3, 0, 2.5}[i]
			lam := 1 / (1 + math.Exp(-eta))
			want += math.Log(math.Pow(lam, xv)*math.Pow(1-lam, 1-xv)) - math.Log(cbIntegral(eta))
		}
		tol := 1e-9
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		if !closeTo(got[0], want, tol) {
			t.Errorf("%v: got %v, want %v", dt, got[0], want)
		}
	}
}

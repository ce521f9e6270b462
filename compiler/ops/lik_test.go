package ops

import (
	"math"
	"testing"

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

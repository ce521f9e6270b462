package dist

import (
	"math"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestContinuousBernoulliFamily: the family's probs form equals its logits
// form at probs = sigmoid(logits), both gradients check against finite
// differences, and its mean lies strictly between 0 and 1 (1/2 at probs 1/2).
func TestContinuousBernoulliFamily(t *testing.T) {
	f, err := Lookup("ContinuousBernoulli")
	if err != nil {
		t.Fatal(err)
	}
	x := dense([]int{2, 3}, 0.1, 0.5, 0.9, 0, 1, 0.3)
	l := dense([]int{2, 3}, -2, 0, 0.004, 1.5, -0.3, 4)
	p := dense([]int{2, 3})
	for i, v := range l.Data().([]float64) {
		p.Data().([]float64)[i] = sigm(v)
	}
	byLogits := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) { return f.LogProb(in[0], Params{Logits: in[1]}) }, x, l)
	byProbs := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) { return f.LogProb(in[0], Params{Probs: in[1]}) }, x, p)
	for i := range byLogits {
		if math.Abs(byLogits[i]-byProbs[i]) > 1e-9 {
			t.Errorf("row %d: logits %v, probs %v", i, byLogits[i], byProbs[i])
		}
	}
	r := newRand(7)
	for name, b := range map[string]gradcheck.Build{
		"logits": func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return f.LogProb(in[0], Params{Logits: in[1]}) },
		"probs":  func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return f.LogProb(in[0], Params{Probs: in[1]}) },
	} {
		lo, hi := -3.0, 3.0
		if name == "probs" {
			lo, hi = 0.05, 0.95
		}
		res, err := gradcheck.Check(b, 1, gradcheck.Tensor(r, 0, 1, 3, 4), gradcheck.Tensor(r, lo, hi, 3, 4))
		if err != nil {
			t.Fatal(err)
		}
		if res.MaxRel > 1e-6 {
			t.Errorf("%s: gradient rel err %.3g at %s", name, res.MaxRel, res.Where)
		}
	}
	mean := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) {
		m, err := f.Mean(Params{Logits: in[0]})
		if err != nil {
			return nil, err
		}
		return G.Sum(m, 1)
	}, dense([]int{1, 3}, -8, 0, 8))
	// mean(-8) + mean(0) + mean(8) = 1 + 1/2 by symmetry.
	if math.Abs(mean[0]-1.5) > 1e-12 {
		t.Errorf("means sum to %v, want 1.5", mean[0])
	}
}

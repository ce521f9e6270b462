package compiler

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/compiler/internal/gradcheck"
)

// meanSoftmax returns the mean over rows of softmax(logits [R, K]).
func meanSoftmax(logits []float64, R, K int) []float64 {
	mean := make([]float64, K)
	for r := 0; r < R; r++ {
		z := 0.0
		for k := 0; k < K; k++ {
			z += math.Exp(logits[r*K+k])
		}
		for k := 0; k < K; k++ {
			mean[k] += math.Exp(logits[r*K+k]) / z / float64(R)
		}
	}
	return mean
}

// TestBalanceValue checks balanceValue against a direct computation of
// S = Σ q̄ log(K ref) (and of KL(q̄ ‖ U) when ref is the batch's own mean)
// and its gradient at fixed ref against central differences.
func TestBalanceValue(t *testing.T) {
	cases := []struct {
		name   string
		R, K   int
		logits []float64
		ref    []float64 // nil: the batch mean, S = KL(q̄ ‖ U)
	}{
		{"uniform rows", 2, 3, []float64{0, 0, 0, 1, 1, 1}, nil},
		{"piled onto one class", 3, 3, []float64{4, 0, 0, 3, 1, 0, 5, -1, 0}, nil},
		{"confident but balanced", 2, 2, []float64{6, -6, -6, 6}, nil},
		{"mixed", 4, 5, []float64{0.3, -1, 2, 0.5, 0, 1, 1, -2, 0, 0.7, -0.4, 3, 0.1, 0, -1, 2, 2, 0, -3, 1}, nil},
		{"uniform reference", 3, 3, []float64{4, 0, 0, 3, 1, 0, 5, -1, 0}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{"piled reference", 2, 3, []float64{0.5, -1, 2, 1, 0, -2}, []float64{0.6, 0.3, 0.1}},
		{"mixed reference", 4, 5, []float64{0.3, -1, 2, 0.5, 0, 1, 1, -2, 0, 0.7, -0.4, 3, 0.1, 0, -1, 2, 2, 0, -3, 1}, []float64{0.1, 0.15, 0.25, 0.2, 0.3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mean := meanSoftmax(c.logits, c.R, c.K)
			ref := c.ref
			if ref == nil {
				ref = mean
			}
			want := 0.0
			for k, q := range mean {
				want += q * math.Log(ref[k]*float64(c.K))
			}
			g := make([]float64, c.R*c.K)
			gotMean := make([]float64, c.K)
			got := balanceValue(c.logits, c.R, c.K, c.ref, gotMean, g)
			if math.Abs(got-want) > 1e-12 {
				t.Fatalf("S = %g, want %g", got, want)
			}
			for k := range mean {
				if math.Abs(gotMean[k]-mean[k]) > 1e-15 {
					t.Fatalf("batch mean %v, want %v", gotMean, mean)
				}
			}
			if c.ref == nil && want < -1e-15 {
				t.Fatalf("KL = %g is negative", want)
			}
			const h = 1e-6
			for i := range c.logits {
				l := append([]float64(nil), c.logits...)
				l[i] += h
				up := balanceValue(l, c.R, c.K, c.ref, nil, nil)
				l[i] -= 2 * h
				down := balanceValue(l, c.R, c.K, c.ref, nil, nil)
				num := (up - down) / (2 * h)
				if math.Abs(num-g[i]) > 1e-7 {
					t.Errorf("d/dlogit[%d] = %g, numeric %g", i, g[i], num)
				}
			}
		})
	}
}

// TestBalanceOpGradient checks the ops' symbolic gradient in a graph
// against finite differences, at a reference that is not uniform.
func TestBalanceOpGradient(t *testing.T) {
	const R, K = 4, 3
	st := newBalanceState(K)
	copy(st.ref, []float64{0.5, 0.3, 0.2})
	r := rand.New(rand.NewPCG(3, 4))
	v := make([]float64, R*K)
	for i := range v {
		v[i] = 2*r.Float64() - 1
	}
	in := tensor.New(tensor.WithShape(R, K), tensor.WithBacking(v))
	f := func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		s, err := G.ApplyOp(balanceOp{R: R, K: K, st: st}, in[0])
		if err != nil {
			return nil, err
		}
		// The checker weighs a tensor output: spread the scalar over
		// one row of K values.
		return G.Mul(s, G.NewConstant(tensor.New(tensor.WithShape(K), tensor.WithBacking([]float64{1, -2, 0.5}))))
	}
	res, err := gradcheck.Check(f, 7, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRel > 1e-6 {
		t.Errorf("worst relative error %.3g at %s", res.MaxRel, res.Where)
	}
}

// TestBalanceInLoss compiles a tiny noise-free M2 model with and without
// the balance term at the same weights, with y enumerated and relaxed, and
// runs two steps of each. At the first step the running mean is uniform
// and the term is 0; the step moves it by β toward the batch mean; at the
// second the loss differs by λ times the reported term, which is then not
// 0 (the labelled branch is the same).
func TestBalanceInLoss(t *testing.T) {
	const lam = 7.5
	m := checkSource(t, noiseFreeSpec)
	batch := tinyBatch(rand.New(rand.NewPCG(5, 6)), 8, 12, 16, 3)
	for _, relax := range []bool{false, true} {
		losses := map[float64][2]float64{}
		var terms [2]float64
		for _, b := range []float64{0, lam} {
			w, err := NewWeights(m, true, 1)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Labelled: 8, Unlabelled: 12, Samples: 1, Alpha: 3, SupWeight: 0.7, Balance: b,
				Default: Discrete{Relax: relax, Temperature: 0.66}}
			p, err := Compile(m, w, opts)
			if err != nil {
				t.Fatal(err)
			}
			var ls [2]float64
			for step := range 2 {
				res, err := p.Step(batch, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				ls[step] = res.Loss
				found := false
				for _, term := range res.Terms {
					if term.Name == "unlabelled:balance:y" {
						terms[step], found = term.Value, true
					}
				}
				if found != (b > 0) {
					t.Fatalf("relax %t, balance %g: balance term reported %t", relax, b, found)
				}
				if b > 0 && step == 0 {
					st := p.balanceStates()[0]
					ref := p.BalanceRef()
					for k, q := range st.last {
						if want := (1-balanceMomentum)/3 + balanceMomentum*q; math.Abs(ref[k]-want) > 1e-15 {
							t.Fatalf("relax %t: running mean %v after one step, want (1−β)/3 + β·%v", relax, ref, st.last)
						}
					}
				}
			}
			losses[b] = ls
			p.Close()
		}
		if math.Abs(terms[0]) > 1e-15 {
			t.Fatalf("relax %t: term %g at a uniform running mean, want 0", relax, terms[0])
		}
		if terms[1] == 0 {
			t.Fatalf("relax %t: term 0 at the second step, want the batch's pull", relax)
		}
		for step := range 2 {
			d := losses[lam][step] - losses[0][step]
			if math.Abs(d-lam*terms[step]) > 1e-9*math.Max(1, math.Abs(losses[0][step])) {
				t.Fatalf("relax %t, step %d: loss moved by %g, want λ·S = %g", relax, step+1, d, lam*terms[step])
			}
		}
	}
}

// TestBalanceGradient checks, in the tiny noise-free model with y
// enumerated, the program's gradient with the balance term against
// central differences of its loss for the classifier's parameters, at a
// running mean held fixed (SetBalanceRef before every step): the term's
// backward pass reads the logits the forward pass used.
func TestBalanceGradient(t *testing.T) {
	m := checkSource(t, noiseFreeSpec)
	batch := tinyBatch(rand.New(rand.NewPCG(5, 6)), 8, 12, 16, 3)
	w, err := NewWeights(m, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, w, Options{Labelled: 8, Unlabelled: 12, Samples: 1, Alpha: 3, SupWeight: 0.7, Balance: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ref := []float64{0.5, 0.3, 0.2}
	loss := func() float64 {
		if err := p.SetBalanceRef(ref); err != nil {
			t.Fatal(err)
		}
		res, err := p.Step(batch, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return res.Loss
	}
	loss() // the first step's gradient buffers start at zero
	gs, err := p.Grads()
	if err != nil {
		t.Fatal(err)
	}
	analytic := make([][]float64, gs.Len())
	for i := range gs.F64 {
		analytic[i] = append([]float64(nil), gs.F64[i]...)
	}
	checked := 0
	for i, par := range w.Params.List() {
		if len(par.Name) < 8 || par.Name[:8] != "classify" {
			continue
		}
		v := par.F64()
		for j := 0; j < len(v); j += 3 {
			const h = 1e-5
			old := v[j]
			v[j] = old + h
			up := loss()
			v[j] = old - h
			down := loss()
			v[j] = old
			num := (up - down) / (2 * h)
			if d := math.Abs(num - analytic[i][j]); d > 1e-5*math.Max(1, math.Abs(num)) {
				t.Errorf("%s[%d]: gradient %g, numeric %g", par.Name, j, analytic[i][j], num)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no classifier parameters checked")
	}
}

// TestBalanceRefErrors: SetBalanceRef rejects a state of the wrong size or
// with values that are not probabilities.
func TestBalanceRefErrors(t *testing.T) {
	m := checkSource(t, noiseFreeSpec)
	w, err := NewWeights(m, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, w, Options{Labelled: 8, Unlabelled: 12, Samples: 1, Alpha: 3, SupWeight: 0.7, Balance: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, ref := range [][]float64{{0.5, 0.5}, {0.5, 0.5, 0}, {0.5, 0.6, math.NaN()}} {
		if err := p.SetBalanceRef(ref); err == nil {
			t.Errorf("SetBalanceRef(%v): no error", ref)
		}
	}
	if err := p.SetBalanceRef([]float64{0.2, 0.3, 0.5}); err != nil {
		t.Fatal(err)
	}
	if got := p.BalanceRef(); got[2] != 0.5 {
		t.Errorf("BalanceRef = %v after setting (0.2, 0.3, 0.5)", got)
	}
}

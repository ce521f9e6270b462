package compiler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBalanceValue checks balanceValue against a direct computation of
// KL(q̄ ‖ U) and its gradient against central differences.
func TestBalanceValue(t *testing.T) {
	cases := []struct {
		name   string
		R, K   int
		logits []float64
	}{
		{"uniform rows", 2, 3, []float64{0, 0, 0, 1, 1, 1}},
		{"piled onto one class", 3, 3, []float64{4, 0, 0, 3, 1, 0, 5, -1, 0}},
		{"confident but balanced", 2, 2, []float64{6, -6, -6, 6}},
		{"mixed", 4, 5, []float64{0.3, -1, 2, 0.5, 0, 1, 1, -2, 0, 0.7, -0.4, 3, 0.1, 0, -1, 2, 2, 0, -3, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mean := make([]float64, c.K)
			for r := 0; r < c.R; r++ {
				z := 0.0
				for k := 0; k < c.K; k++ {
					z += math.Exp(c.logits[r*c.K+k])
				}
				for k := 0; k < c.K; k++ {
					mean[k] += math.Exp(c.logits[r*c.K+k]) / z / float64(c.R)
				}
			}
			want := 0.0
			for _, q := range mean {
				want += q * math.Log(q*float64(c.K))
			}
			g := make([]float64, c.R*c.K)
			got := balanceValue(c.logits, c.R, c.K, g)
			if math.Abs(got-want) > 1e-12 {
				t.Fatalf("KL = %g, want %g", got, want)
			}
			if want < -1e-15 {
				t.Fatalf("KL = %g is negative", want)
			}
			const h = 1e-6
			for i := range c.logits {
				l := append([]float64(nil), c.logits...)
				l[i] += h
				up := balanceValue(l, c.R, c.K, nil)
				l[i] -= 2 * h
				down := balanceValue(l, c.R, c.K, nil)
				num := (up - down) / (2 * h)
				if math.Abs(num-g[i]) > 1e-7 {
					t.Errorf("d/dlogit[%d] = %g, numeric %g", i, g[i], num)
				}
			}
		})
	}
}

// TestBalanceInLoss compiles a tiny noise-free M2 model with and without
// the balance term at the same weights, with y enumerated and relaxed: the
// loss differs by λ times the reported KL (the labelled branch is the same).
func TestBalanceInLoss(t *testing.T) {
	const lam = 7.5
	m := checkSource(t, noiseFreeSpec)
	batch := tinyBatch(rand.New(rand.NewPCG(5, 6)), 8, 12, 16, 3)
	for _, relax := range []bool{false, true} {
		losses := map[float64]float64{}
		var kl float64
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
			res, err := p.Step(batch, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			losses[b] = res.Loss
			found := false
			for _, term := range res.Terms {
				if term.Name == "unlabelled:balance:y" {
					kl, found = term.Value, true
				}
			}
			if found != (b > 0) {
				t.Fatalf("relax %t, balance %g: balance term reported %t", relax, b, found)
			}
			p.Close()
		}
		if kl <= 0 {
			t.Fatalf("relax %t: reported KL %g, want > 0 for random weights", relax, kl)
		}
		if d := losses[lam] - losses[0]; math.Abs(d-lam*kl) > 1e-9*math.Max(1, math.Abs(losses[0])) {
			t.Fatalf("relax %t: loss moved by %g, want λ·KL = %g", relax, d, lam*kl)
		}
	}
}

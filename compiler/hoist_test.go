package compiler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHoistExact: with shared noise, a branch that enumerates computes the
// values that do not depend on the enumerated variables once per data
// point and sample (hoist.go). The loss, every reported term and every
// parameter's gradient must equal, within float64 rounding, those of the
// same program computing every value at all R rows, for the same weights,
// batch and generator; and the latents named in hoisted must be drawn in
// the shadow branch (else the comparison proves nothing).
func TestHoistExact(t *testing.T) {
	relaxD := map[string]Discrete{"d": {Relax: true, Temperature: 0.66}}
	cases := []struct {
		name    string
		spec    string
		opts    Options
		labels  map[string][]float32
		hoisted []string // slotName of latents the unlabelled branch draws once per point
	}{
		{"count, d relaxed", "../testdata/specs/good/tiny_count.ssdgm",
			Options{Labelled: 3, Unlabelled: 2, Samples: 2, Alpha: 1.5, SupWeight: 0.37, Discrete: relaxD},
			map[string][]float32{"count": {0, 1, 2}}, []string{"d[0]", "s[0]", "d[1]", "s[1]"}},
		{"count, d enumerated", "../testdata/specs/good/tiny_count.ssdgm",
			Options{Labelled: 3, Unlabelled: 2, Samples: 2, Alpha: 1.5, SupWeight: 0.37},
			map[string][]float32{"count": {0, 1, 2}}, nil},
		{"z first", "../testdata/specs/good/tiny_zfirst.ssdgm",
			Options{Labelled: 3, Unlabelled: 2, Samples: 3, Alpha: 2.5, SupWeight: 0.5},
			map[string][]float32{"class": {2, 0, 1}}, []string{"z"}},
		{"multimnist", "../specs/multimnist.ssdgm",
			Options{Labelled: 2, Unlabelled: 3, Samples: 1, Alpha: 5, SupWeight: 0.1, Discrete: relaxD},
			map[string][]float32{"count": {3, 1}}, []string{"w[0]", "d[0]", "s[0]", "w[1]", "d[1]", "s[1]", "w[2]", "d[2]", "s[2]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := loadSpec(t, c.spec)
			size := m.Data.Shape.Size()
			r := rand.New(rand.NewPCG(11, 12))
			img := func(n int) []float32 {
				x := make([]float32, n*size)
				for i := range x {
					x[i] = float32(r.IntN(2))
				}
				return x
			}
			batch := Batch{Labelled: img(c.opts.Labelled), Unlabelled: img(c.opts.Unlabelled), Labels: c.labels}
			run := func(noHoist bool) (*Program, Result, Grads) {
				w, err := NewWeights(m, true, 3)
				if err != nil {
					t.Fatal(err)
				}
				opts := c.opts
				opts.SharedNoise, opts.noHoist = true, noHoist
				p, err := Compile(m, w, opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				res, err := p.Step(batch, rand.New(rand.NewPCG(5, 6)))
				if err != nil {
					t.Fatal(err)
				}
				g, err := p.Grads()
				if err != nil {
					t.Fatal(err)
				}
				return p, res, g
			}
			fast, got, gotG := run(false)
			_, want, wantG := run(true)
			ub := branchOf(t, fast, false)
			if ub.pt == nil {
				t.Fatal("the unlabelled branch has no per-point shadow")
			}
			for _, name := range c.hoisted {
				if !hoistedLatent(ub, name) {
					t.Errorf("latent %s is not drawn once per data point", name)
				}
			}
			if !closeTo(got.Loss, want.Loss, 1e-12) {
				t.Errorf("loss %.17g, want %.17g", got.Loss, want.Loss)
			}
			if len(got.Terms) != len(want.Terms) {
				t.Fatalf("%d terms, want %d", len(got.Terms), len(want.Terms))
			}
			for i, tm := range got.Terms {
				if tm.Name != want.Terms[i].Name || !closeTo(tm.Value, want.Terms[i].Value, 1e-11) {
					t.Errorf("term %s = %.17g, want %s = %.17g", tm.Name, tm.Value, want.Terms[i].Name, want.Terms[i].Value)
				}
			}
			if len(gotG.F64) != len(wantG.F64) || len(gotG.F64) == 0 {
				t.Fatalf("%d float64 gradients, want %d", len(gotG.F64), len(wantG.F64))
			}
			for i, a := range gotG.F64 {
				b := wantG.F64[i]
				scale := 0.0
				for _, v := range b {
					scale = math.Max(scale, math.Abs(v))
				}
				for j := range a {
					if math.Abs(a[j]-b[j]) > 1e-11*math.Max(scale, 1e-300) {
						t.Errorf("%s: gradient[%d] = %.17g, want %.17g", fast.pnodes[i].Name(), j, a[j], b[j])
						break
					}
				}
			}
		})
	}
}

// hoistedLatent reports whether branch b draws the latent called name
// (slotName form) in its per-point shadow.
func hoistedLatent(b *branch, name string) bool {
	for key := range b.pt.value {
		if slotName(key.v, key.slot) == name {
			return true
		}
	}
	return false
}

// TestHoistEvaluator: an evaluator with shared noise gives the same ELBO
// per point and the same class probabilities with and without computing
// the invariant values once per point, also for a supervised latent drawn
// in the shadow branch (the relaxed count of tiny_count, its digits
// enumerated).
func TestHoistEvaluator(t *testing.T) {
	m := loadSpec(t, "../testdata/specs/good/tiny_count.ssdgm")
	const B, S = 3, 2
	x, _ := tinyData(B, 4)
	run := func(noHoist bool) (EvalResult, *Evaluator) {
		w, err := NewWeights(m, true, 3)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{SharedNoise: true, noHoist: noHoist, Discrete: map[string]Discrete{"k": {Relax: true, Temperature: 0.5}}}
		e, err := NewEvaluator(m, w, B, S, opts, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		res, err := e.Run(x, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		return res, e
	}
	got, e := run(false)
	want, _ := run(true)
	if e.b.pt == nil || !hoistedLatent(e.b, "k") {
		t.Fatal("the relaxed count is not drawn once per data point")
	}
	for b := range want.ELBO {
		if !closeTo(got.ELBO[b], want.ELBO[b], 1e-12) {
			t.Errorf("ELBO of point %d: %.17g, want %.17g", b, got.ELBO[b], want.ELBO[b])
		}
	}
	if len(want.Probs["k"]) != B*3 {
		t.Fatalf("probabilities of k: %v", want.Probs)
	}
	for i, p := range want.Probs["k"] {
		if !closeTo(got.Probs["k"][i], p, 1e-12) {
			t.Errorf("q(k | x)[%d] = %.17g, want %.17g", i, got.Probs["k"][i], p)
		}
	}
}

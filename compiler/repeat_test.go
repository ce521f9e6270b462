package compiler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// This file checks the objective of a repeat with a latent count against a
// plain-Go evaluation of the paper's objective on the tiny repeat model
// (testdata/specs/good/tiny_repeat.ssdgm): a slot beyond the count does not
// exist, so its variables are neither enumerated nor scored, and an
// enumerated variable is summed out of both the numerator and the
// denominator of the self-normalised estimator.

// repeatModel evaluates the tiny repeat model's networks in plain Go.
type repeatModel struct{ ref }

func (r repeatModel) countLogits(x []float64) []float64 { return r.linear("counter", x, false) }

func (r repeatModel) digitLogits(x, prev []float64) []float64 {
	return r.linear("digit", cat(x, prev), false)
}

// layer is sigmoid(draw(d)) * 0.5 for a (one-hot or relaxed) digit d.
func (r repeatModel) layer(d []float64) []float64 {
	l := r.linear("draw", d, false)
	for i, v := range l {
		l[i] = 0.5 / (1 + math.Exp(-v))
	}
	return l
}

// lik is log Bernoulli(x | clamp(canvas + 0.1, 0.001, 0.999)).
func repeatLik(x, canvas []float64) float64 {
	lp := 0.0
	for i, c := range canvas {
		p := math.Min(math.Max(c+0.1, 0.001), 0.999)
		lp += x[i]*math.Log(p) + (1-x[i])*math.Log(1-p)
	}
	return lp
}

// point evaluates one data point with count k and the digits ds of its k
// active slots: log q of the count, log q of each active digit, and log p.
func (r repeatModel) point(x []float64, k int, ds []int) (lqk float64, lqd []float64, lp float64) {
	lqk = logSoftmax(r.countLogits(x))[k]
	prev := make([]float64, 2)
	canvas := make([]float64, len(x))
	lp = math.Log(1.0 / 3)
	for i := 0; i < k; i++ {
		lqd = append(lqd, logSoftmax(r.digitLogits(x, prev))[ds[i]])
		prev = onehot(ds[i], 2)
		for j, v := range r.layer(prev) {
			canvas[j] += v
		}
		lp += math.Log(0.5)
	}
	return lqk, lqd, lp + repeatLik(x, canvas)
}

// digitSets lists every assignment of binary digits to n slots.
func digitSets(n int) [][]int {
	out := [][]int{{}}
	for i := 0; i < n; i++ {
		var next [][]int
		for _, ds := range out {
			for d := 0; d < 2; d++ {
				next = append(next, append(append([]int(nil), ds...), d))
			}
		}
		out = next
	}
	return out
}

// TestRepeatEnumeratedSlots: with the count and the per-slot digits summed
// out, the unlabelled objective is the exact ELBO, a sum over the counts
// and over the digits of the active slots only. (Enumerating the digits of
// inactive slots too, with weight 1 each, made the weights of a count sum
// to 2^(inactive slots) and over-weighted low counts.)
func TestRepeatEnumeratedSlots(t *testing.T) {
	const B = 3
	p, _ := compileTiny(t, "tiny_repeat.ssdgm", Options{Unlabelled: B, Samples: 1})
	if E := p.brs[0].lay.E; E != 3*2*2 {
		t.Fatalf("expected 12 enumerations (count × two slots' digits), got %d", E)
	}
	x, _ := tinyData(B, 11)
	res, err := p.Step(Batch{Unlabelled: x}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	r := repeatModel{ref{t, p.w}}
	want := 0.0
	for b := 0; b < B; b++ {
		xb := f64(x[b*6 : b*6+6])
		total := 0.0
		for k := 0; k <= 2; k++ {
			for _, ds := range digitSets(k) {
				lqk, lqd, lp := r.point(xb, k, ds)
				lq := lqk
				for _, l := range lqd {
					lq += l
				}
				total += math.Exp(lq)
				want += math.Exp(lq) * (lp - lq) / B
			}
		}
		if !closeTo(total, 1, 1e-12) {
			t.Fatalf("reference weights sum to %g", total)
		}
	}
	if got := termValue(t, res, "unlabelled:objective"); !closeTo(got, want, 1e-10) {
		t.Errorf("unlabelled objective %.12g, want the exact ELBO %.12g", got, want)
	}
}

// TestRepeatWeightsAcrossEnumeration: with the digits clamped to their
// labels and the count summed out, log w (the clamped digits of the active
// slots) depends on the count. The self-normalised weights are then
// q(k) w_k / Σ_k' q(k') w_k', consistent with the α term's Σ_k q(k) log w_k;
// the weight of enumeration row 0 alone does not give them.
func TestRepeatWeightsAcrossEnumeration(t *testing.T) {
	const B, S, alpha = 3, 2, 4.0
	p, _ := compileTiny(t, "tiny_repeat_digits.ssdgm", Options{Labelled: B, Samples: S, Alpha: alpha, SupWeight: 1})
	if E := p.brs[0].lay.E; E != 3 {
		t.Fatalf("expected the count's 3 enumerations, got %d", E)
	}
	x, _ := tinyData(B, 12)
	r0 := rand.New(rand.NewPCG(9, 1))
	digits := make([]float32, 2*B)
	for i := range digits {
		digits[i] = float32(r0.IntN(2))
	}
	res, err := p.Step(Batch{Labelled: x, Labels: map[string][]float32{"digits": digits}}, rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	r := repeatModel{ref{t, p.w}}
	want := 0.0
	for b := 0; b < B; b++ {
		xb := f64(x[b*6 : b*6+6])
		ds := []int{int(digits[2*b]), int(digits[2*b+1])}
		var lqe, lw, d [3]float64
		m := math.Inf(-1)
		for k := 0; k <= 2; k++ {
			lqk, lqd, lp := r.point(xb, k, ds)
			lqe[k] = lqk
			for _, l := range lqd {
				lw[k] += l
			}
			d[k] = lp - (lqk + lw[k])
			m = math.Max(m, lqe[k]+lw[k])
		}
		z := 0.0
		for k := range lqe {
			z += math.Exp(lqe[k] + lw[k] - m)
		}
		// S samples with no continuous latent are S equal samples.
		L := 0.0
		for k := range lqe {
			L += math.Exp(lqe[k]+lw[k]-m) / z * d[k]
			L += (1 + alpha) * math.Exp(lqe[k]) * lw[k]
		}
		want += L / B
	}
	if got := termValue(t, res, "labelled:objective"); !closeTo(got, want, 1e-10) {
		t.Errorf("labelled objective %.12g, want %.12g", got, want)
	}
}

// TestRepeatRelaxedCount: a relaxed count switches slots on and off through
// its relaxed value, as a relaxed digit feeds its relaxed value to the
// networks, and is scored at its argmax: the canvas adds each slot's layer
// times P(slot active) under the Concrete sample, while the slots' densities
// count only the slots active at the argmax. So the likelihood's gradient
// reaches q(k | x) on unlabelled images; with masks from the argmax alone
// it did not. The gradient is checked against central differences of the
// plain-Go objective.
func TestRepeatRelaxedCount(t *testing.T) {
	const B, S, temp = 3, 2, 0.7
	relax := Discrete{Relax: true, Temperature: temp}
	p, _ := compileTiny(t, "tiny_repeat.ssdgm", Options{Unlabelled: B, Samples: S, Default: relax})
	x, _ := tinyData(B, 13)
	res, err := p.Step(Batch{Unlabelled: x}, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	live, err := p.Grads()
	if err != nil {
		t.Fatal(err)
	}
	br := p.brs[0]
	gk := noiseRows(t, br, "unlabelled.gumbel.k")
	gd := [][]float64{noiseRows(t, br, "unlabelled.gumbel.d[0]"), noiseRows(t, br, "unlabelled.gumbel.d[1]")}
	r := repeatModel{ref{t, p.w}}
	concrete := func(logits, g []float64) ([]float64, int) {
		s := make([]float64, len(logits))
		for i := range s {
			s[i] = (logits[i] + g[i]) / temp
		}
		ls := logSoftmax(s)
		best := 0
		for i := range ls {
			s[i] = math.Exp(ls[i])
			if s[i] > s[best] {
				best = i
			}
		}
		return s, best
	}
	objective := func() float64 {
		total := 0.0
		for b := 0; b < B; b++ {
			xb := f64(x[b*6 : b*6+6])
			for s := 0; s < S; s++ {
				row := s*B + b
				lck := logSoftmax(r.countLogits(xb))
				kv, k := concrete(r.countLogits(xb), gk[row*3:row*3+3])
				lq, lp := lck[k], math.Log(1.0/3)
				prev := make([]float64, 2)
				canvas := make([]float64, 6)
				for i := 0; i < 2; i++ {
					logits := r.digitLogits(xb, prev)
					dv, d := concrete(logits, gd[i][row*2:row*2+2])
					if i < k {
						lq += logSoftmax(logits)[d]
						lp += math.Log(0.5)
					}
					on := 0.0 // P(k > i) under the relaxed count
					for c := i + 1; c < 3; c++ {
						on += kv[c]
					}
					for j, v := range r.layer(dv) {
						canvas[j] += on * v
					}
					prev = dv
				}
				lp += repeatLik(xb, canvas)
				total += (lp - lq) / (S * B)
			}
		}
		return total
	}
	want := objective()
	if got := termValue(t, res, "unlabelled:objective"); !closeTo(got, want, 1e-10) {
		t.Errorf("unlabelled objective %.12g, want %.12g", got, want)
	}
	for i, prm := range p.w.Params.List() {
		if prm.Name != "counter.W" && prm.Name != "counter.b" {
			continue
		}
		data := prm.F64()
		g := live.F64[i]
		for j := range data {
			orig := data[j]
			const h = 1e-6
			data[j] = orig + h
			up := objective()
			data[j] = orig - h
			down := objective()
			data[j] = orig
			// The loss is the negated objective.
			fd := -(up - down) / (2 * h)
			if rel := math.Abs(fd-g[j]) / math.Max(1e-4, math.Abs(fd)+math.Abs(g[j])); rel > 1e-5 {
				t.Errorf("%s[%d]: gradient %.10g, finite difference of the plain-Go objective %.10g", prm.Name, j, g[j], fd)
			}
		}
	}
}

// TestRepeatObjectiveGradient checks the gradient of the repeat objectives
// (enumerated slots; weights that vary across the enumeration) against
// central finite differences of the compiled objective.
func TestRepeatObjectiveGradient(t *testing.T) {
	for _, c := range []struct {
		spec, label string
		slots       int
	}{{"tiny_repeat.ssdgm", "count", 1}, {"tiny_repeat_digits.ssdgm", "digits", 2}} {
		t.Run(c.spec, func(t *testing.T) {
			p, _ := compileTiny(t, c.spec, Options{Labelled: 3, Unlabelled: 2, Samples: 2, Alpha: 3, SupWeight: 0.4})
			xl, _ := tinyData(3, 14)
			xu, _ := tinyData(2, 15)
			r0 := rand.New(rand.NewPCG(2, 9))
			labels := make([]float32, 3*c.slots)
			for i := range labels {
				labels[i] = float32(r0.IntN(2))
			}
			if _, err := p.Step(Batch{Labelled: xl, Unlabelled: xu, Labels: map[string][]float32{c.label: labels}}, rand.New(rand.NewPCG(8, 8))); err != nil {
				t.Fatal(err)
			}
			live, err := p.Grads()
			if err != nil {
				t.Fatal(err)
			}
			grads := make([][]float64, live.Len())
			for i, g := range live.F64 {
				grads[i] = append([]float64(nil), g...)
			}
			for i, prm := range p.w.Params.List() {
				data := prm.F64()
				for j := range data {
					orig := data[j]
					const h = 1e-5
					data[j] = orig + h
					up, err := p.rerun()
					if err != nil {
						t.Fatal(err)
					}
					data[j] = orig - h
					down, err := p.rerun()
					if err != nil {
						t.Fatal(err)
					}
					data[j] = orig
					fd := (up - down) / (2 * h)
					g := grads[i][j]
					if rel := math.Abs(fd-g) / math.Max(1e-3, math.Abs(fd)+math.Abs(g)); rel > 1e-6 {
						t.Errorf("%s[%d]: gradient %.10g, finite difference %.10g (rel %.2e)", prm.Name, j, g, fd, rel)
					}
				}
			}
		})
	}
}

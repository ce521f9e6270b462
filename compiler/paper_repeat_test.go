package compiler

import (
	"math"
	"os"
	"testing"
)

// countDiff evaluates tiny_count for data point x with count kk and slot
// values d (the first kk used), slot noise eps[i]: the encoder's log
// q(d_i | ·) summed over the active slots, and log p − log q with
// only the active slots in both (log q(k) included, labelled or not).
func (r ref) countDiff(x []float64, kk int, d []int, eps [][]float64) (lqd, diff float64) {
	lqk := logSoftmax(r.linear("counter", x, false))[kk]
	lq, lp := lqk, math.Log(1.0/3)
	logits := make([]float64, len(x))
	prev := []float64{0}
	for i := 0; i < kk; i++ {
		ld := logSoftmax(r.linear("pick", cat(x, prev), false))[d[i]]
		lqd += ld
		loc := r.linear("style_loc", cat(x, onehot(d[i], 2)), false)[0]
		s := loc + 0.5*eps[i][0]
		lq += ld + normalLogPdf(s, loc, 0.5)
		lp += math.Log(0.5) + normalLogPdf(s, 0, 1)
		for j, l := range r.linear("render", cat(onehot(d[i], 2), []float64{s}), false) {
			logits[j] += l
		}
		prev = []float64{s}
	}
	lp += bernLogLik(x, logits)
	return lqd, lp - lq
}

// countExpect is E over the active slots' d values of log p − log q at
// count kk, weighted by q(d | ·) (the slots beyond kk do not exist).
func (r ref) countExpect(x []float64, kk int, eps [][]float64) float64 {
	A := 0.0
	for mask := 0; mask < 1<<kk; mask++ {
		d := []int{mask & 1, mask >> 1 & 1}
		lqd, diff := r.countDiff(x, kk, d, eps)
		A += math.Exp(lqd) * diff
	}
	return A
}

// TestRepeatLatentCount: a repeat whose count k is a latent (enumerated
// in the unlabelled branch, clamped in the labelled one) with an
// enumerated d per slot: inactive slots are absent from log p and log q
// and from the sum over d's values.
func TestRepeatLatentCount(t *testing.T) {
	const Bl, Bu, S, alpha, supWeight = 3, 2, 2, 1.5, 0.37
	pb := newPaperBatch(Bl, Bu, 24, map[string][]float32{"count": {0, 1, 2}})
	p, _ := compileTiny(t, "tiny_count.ssdgm", Options{Labelled: Bl, Unlabelled: Bu, Samples: S, Alpha: alpha, SupWeight: supWeight})
	loss := stepShared(t, p, pb.batch, 38)
	r := ref{t, p.w}
	lb, ub := branchOf(t, p, true), branchOf(t, p, false)
	if ub.lay.E != 12 || lb.lay.E != 4 {
		t.Fatalf("enumerations: unlabelled %d (want 3 counts × 2 × 2), labelled %d (want 2 × 2)", ub.lay.E, lb.lay.E)
	}
	epsOf := func(br *branch, s, b int) [][]float64 {
		return [][]float64{rowOf(t, br, br.name+".eps.s[0]", s, b), rowOf(t, br, br.name+".eps.s[1]", s, b)}
	}
	// objective is the paper's loss; with over = true, that of a defect
	// once seen, where each inactive slot's d was enumerated with weight 1
	// per value, weighing its count's terms by 2 (K = 2) per inactive slot.
	objective := func(over bool) (loss, lab, unl float64) {
		weight := func(kk int) float64 {
			if over {
				return math.Pow(2, float64(2-kk))
			}
			return 1
		}
		for b := 0; b < Bl; b++ {
			x, kk := pb.point(true, b), int(pb.labels["count"][b])
			lw, A := make([]float64, S), make([]float64, S)
			for s := 0; s < S; s++ {
				lw[s] = logSoftmax(r.linear("counter", x, false))[kk]
				A[s] = r.countExpect(x, kk, epsOf(lb, s, b))
			}
			lab += weight(kk) * importance(lw, A, alpha) / Bl
		}
		for b := 0; b < Bu; b++ {
			x := pb.point(false, b)
			lqk := logSoftmax(r.linear("counter", x, false))
			for s := 0; s < S; s++ {
				for kk := 0; kk < 3; kk++ {
					unl += weight(kk) * math.Exp(lqk[kk]) * r.countExpect(x, kk, epsOf(ub, s, b)) / S / Bu
				}
			}
		}
		return -(unl + supWeight*lab), lab, unl
	}
	want, lab, unl := objective(false)
	if !closeTo(loss, want, 1e-10) {
		over, _, _ := objective(true)
		t.Errorf("loss %.12g, want %.12g (unlabelled %.6g, labelled %.6g; with inactive slots over-weighted it would be %.12g)", loss, want, unl, lab, over)
	}
}

// TestRepeatRows: every row of tiny_count's unlabelled branch (the count
// and both slots' d enumerated, 12 values × S samples × B points) has the
// log p − log q of its own values, and the enumeration weight
// q(k) Π_active q(d_i) · (1/2 per inactive slot, whose 2 values are rows
// too and must sum to 1). (Gorgonia once merged ops on the one-hot
// constants of d[0] and d[1], which print alike when large, so rows with
// d[0] ≠ d[1] read d[0] twice.)
func TestRepeatRows(t *testing.T) {
	src, err := os.ReadFile("../testdata/specs/good/tiny_count.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	const B, S = 3, 2
	pr := newProbeS(t, string(src), B, S)
	if pr.b.lay.E != 12 {
		t.Fatalf("E = %d, want 12", pr.b.lay.E)
	}
	R, SB := pr.b.R, S*B
	eps := [2][][]float64{make([][]float64, R), make([][]float64, R)}
	for r := 0; r < R; r++ { // noise per sample and point, shared by the enumerated rows
		eps[0][r] = []float64{0.3 + 0.1*float64(r%SB)}
		eps[1][r] = []float64{-0.8 + 0.2*float64(r%SB)}
	}
	pr.set("s[0]", eps[0]...)
	pr.set("s[1]", eps[1]...)
	x, _ := tinyData(B, 5)
	copy(pr.b.small.x.t.Data().([]float64), f64(x))
	got := pr.run(pr.b.lp, pr.b.lq, pr.b.lqe)
	r := ref{t, pr.p.w}
	for row := 0; row < R; row++ {
		b, e := row%B, row/SB
		kk, d := e%3, []int{e / 3 % 2, e / 6 % 2} // k has stride 1, d[0] 3, d[1] 6
		xb := f64(x[b*6 : b*6+6])
		lqd, diff := r.countDiff(xb, kk, d, [][]float64{eps[0][row], eps[1][row]})
		lqe := lqd + logSoftmax(r.linear("counter", xb, false))[kk] - float64(2-kk)*math.Log(2)
		if !closeTo(got[0][row]-got[1][row], diff, 1e-10) || !closeTo(got[2][row], lqe, 1e-10) {
			t.Errorf("row %d (k = %d, d = %v, point %d): log p − log q %.10g, log q_e %.10g; want %.10g, %.10g",
				row, kk, d[:kk], b, got[0][row]-got[1][row], got[2][row], diff, lqe)
		}
	}
}

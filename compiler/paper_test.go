package compiler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// This file checks objective paths against the estimator of
// ../shared/design/paper.md written out in plain Go, for one data point
// x with observed values y_O and S samples s:
//
//	log w^s = Σ_{v∈O} log q(y_v | ·)^s
//	log q^s = Σ_{v∉O} log q(v^s | ·) + log w^s
//	L̂      = Σ_s softmax_s(log w)^s (log p^s − log q^s) + (1 + α)/S Σ_s log w^s
//
// An unobserved discrete variable that is enumerated is summed out: for
// each sample of the continuous latents, log p^s − log q^s is replaced by
// its expectation under the encoder's probabilities of the enumerated
// values (so that the continuous samples are shared by those values). A
// relaxed one is sampled from the Concrete relaxation, fed on relaxed, and
// scored with the pmf at its argmax. The step's loss is
// −(mean_n L̂(x_n) + γM/N · mean_m L̂(x_m, y_m)).

// bernLogLik is log Bernoulli(x | sigmoid(logits)) summed.
func bernLogLik(x, logits []float64) float64 {
	s := 0.0
	for i, l := range logits {
		s += x[i]*l - softplus(l)
	}
	return s
}

func softmaxT(l []float64, temp float64) []float64 {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v/temp)
	}
	out := make([]float64, len(l))
	z := 0.0
	for i, v := range l {
		out[i] = math.Exp(v/temp - m)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

func argmax(v []float64) int {
	k := 0
	for i := range v {
		if v[i] > v[k] {
			k = i
		}
	}
	return k
}

// importance is the paper's L̂ from per-sample lw and A = E_enum[lp − lq].
func importance(lw, A []float64, alpha float64) float64 {
	m := math.Inf(-1)
	for _, v := range lw {
		m = math.Max(m, v)
	}
	z := 0.0
	for _, v := range lw {
		z += math.Exp(v - m)
	}
	L := 0.0
	for s := range lw {
		L += math.Exp(lw[s]-m) / z * A[s]
		L += (1 + alpha) * lw[s] / float64(len(lw))
	}
	return L
}

// shareNoise makes every enumerated row reuse the noise of its sample's
// first enumeration row, as the estimator above draws it (a no-op where
// the lowering already shares it).
func shareNoise(t *testing.T, b *branch) {
	t.Helper()
	SB := b.lay.S * b.lay.B
	for _, in := range b.noise {
		d := in.t.Shape()[1]
		data := in.t.Data().([]float64)
		for r := SB; r < b.R; r++ {
			copy(data[r*d:(r+1)*d], data[(r%SB)*d:(r%SB+1)*d])
		}
	}
}

// rowOf returns row (sample s, point b) of a noise input (enumeration 0).
func rowOf(t *testing.T, br *branch, name string, s, b int) []float64 {
	t.Helper()
	data := noiseRows(t, br, name)
	d := len(data) / br.R
	r := s*br.lay.B + b
	return data[r*d : (r+1)*d]
}

// encodeZ draws z = μ + σ ε from the tiny models' q(z | x) and returns it
// with log q(z | x).
func (r ref) encodeZ(x, eps []float64) ([]float64, float64) {
	h := r.linear("encode.l0", x, true)
	mu := r.linear("z_loc", h, false)
	ls := r.linear("z_log_scale", h, false)
	z := make([]float64, len(mu))
	lq := 0.0
	for i := range mu {
		z[i] = mu[i] + math.Exp(ls[i])*eps[i]
		lq += normalLogPdf(z[i], mu[i], math.Exp(ls[i]))
	}
	return z, lq
}

func stdNormalLogPdf(z []float64) float64 {
	s := 0.0
	for _, v := range z {
		s += normalLogPdf(v, 0, 1)
	}
	return s
}

// enum2 evaluates tiny_enum2 at one sample (noise eps) for class y:
// log q(y | x), and for each value e of d the encoder's log q(d = e | x, y)
// and log p − log q, with z drawn from q(z | x, y, d = e).
func (r ref) enum2(x, eps []float64, y int) (lqy float64, lqd, diff []float64) {
	lqy = logSoftmax(r.mlp1("classify", x))[y]
	lqd = logSoftmax(r.linear("pick", cat(x, onehot(y, 3)), false))
	prior := []float64{0.3, 0.7}
	diff = make([]float64, 2)
	for e := range diff {
		z, lqz := r.encodeZ(cat(x, onehot(y, 3), onehot(e, 2)), eps)
		lp := math.Log(1.0/3) + math.Log(prior[e]) + stdNormalLogPdf(z) +
			bernLogLik(x, r.mlp1("render", cat(z, onehot(y, 3), onehot(e, 2))))
		lq := lqz + lqy + lqd[e]
		diff[e] = lp - lq
	}
	return lqy, lqd, diff
}

// enum2Labelled is L̂(x, y) of tiny_enum2: y clamped, d summed out.
func (r ref) enum2Labelled(t *testing.T, br *branch, x []float64, y, b int, alpha float64) float64 {
	S := br.lay.S
	lw, A := make([]float64, S), make([]float64, S)
	for s := 0; s < S; s++ {
		lqy, lqd, diff := r.enum2(x, rowOf(t, br, "labelled.eps.z", s, b), y)
		lw[s] = lqy
		for e := range diff {
			A[s] += math.Exp(lqd[e]) * diff[e]
		}
	}
	return importance(lw, A, alpha)
}

// enum2Unlabelled is L̂(x) of tiny_enum2: y and d summed out.
func (r ref) enum2Unlabelled(t *testing.T, br *branch, x []float64, b int) float64 {
	S := br.lay.S
	L := 0.0
	for s := 0; s < S; s++ {
		for y := 0; y < 3; y++ {
			lqy, lqd, diff := r.enum2(x, rowOf(t, br, "unlabelled.eps.z", s, b), y)
			for e := range diff {
				L += math.Exp(lqy+lqd[e]) * diff[e] / float64(S)
			}
		}
	}
	return L
}

// light evaluates tiny_light at one sample: the light is the label when
// given, else drawn with noise epsL. It returns log q(light | x, z) and
// log p − log q.
func (r ref) light(x, eps, label, epsL []float64) (lql, diff float64) {
	z, lqz := r.encodeZ(x, eps)
	in := cat(x, z)
	loc := r.linear("light_loc", in, false)
	ls := r.linear("light_log_scale", in, false)
	l := make([]float64, 3)
	for i := range l {
		if label != nil {
			l[i] = label[i]
		} else {
			l[i] = loc[i] + math.Exp(ls[i])*epsL[i]
		}
		lql += normalLogPdf(l[i], loc[i], math.Exp(ls[i]))
	}
	lp := normalLogPdf(l[0], 0, 1) + normalLogPdf(l[1], 0, 1) + normalLogPdf(l[2], 1, 1) +
		stdNormalLogPdf(z) + bernLogLik(x, r.mlp1("render", cat(z, l)))
	return lql, lp - (lqz + lql)
}

// paperBatch is a labelled and an unlabelled batch.
type paperBatch struct {
	xl, xu []float64
	labels map[string][]float32
	batch  Batch
}

func newPaperBatch(Bl, Bu int, seed uint64, labels map[string][]float32) paperBatch {
	xl, _ := tinyData(Bl, seed)
	xu, _ := tinyData(Bu, seed+100)
	return paperBatch{xl: f64(xl), xu: f64(xu), labels: labels,
		batch: Batch{Labelled: xl, Unlabelled: xu, Labels: labels}}
}

func (pb paperBatch) point(labelled bool, b int) []float64 {
	if labelled {
		return pb.xl[b*6 : b*6+6]
	}
	return pb.xu[b*6 : b*6+6]
}

// stepShared runs a step, shares the noise over enumerated rows, reruns,
// and returns the loss of the shared-noise run.
func stepShared(t *testing.T, p *Program, batch Batch, seed uint64) float64 {
	t.Helper()
	if _, err := p.Step(batch, rand.New(rand.NewPCG(seed, seed))); err != nil {
		t.Fatal(err)
	}
	for _, b := range p.brs {
		shareNoise(t, b)
	}
	loss, err := p.rerun()
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

func branchOf(t *testing.T, p *Program, labelled bool) *branch {
	t.Helper()
	for _, b := range p.brs {
		if b.labelled == labelled {
			return b
		}
	}
	t.Fatalf("no branch with labelled = %v", labelled)
	return nil
}

// TestLabelledWithEnumeratedLatent: the labelled branch clamps y and sums
// out a second discrete latent d (E = 2 rows per sample) that z depends
// on; on its own and in the combined loss with γM/N = 0.37. (Lowering
// refuses to enumerate in a labelled branch whose clamped variable depends
// on a sampled latent; tiny_light has weights that vary over samples.)
func TestLabelledWithEnumeratedLatent(t *testing.T) {
	const Bl, Bu, S, alpha, supWeight = 3, 2, 3, 2.5, 0.37
	pb := newPaperBatch(Bl, Bu, 21, map[string][]float32{"class": {2, 0, 1}})
	t.Run("labelled", func(t *testing.T) {
		p, _ := compileTiny(t, "tiny_enum2.ssdgm", Options{Labelled: Bl, Samples: S, Alpha: alpha, SupWeight: supWeight})
		loss := stepShared(t, p, pb.batch, 31)
		br := branchOf(t, p, true)
		if br.lay.E != 2 {
			t.Fatalf("labelled branch enumerates %d rows per sample, want 2 (d)", br.lay.E)
		}
		r := ref{t, p.w}
		want := 0.0
		for b := 0; b < Bl; b++ {
			want += r.enum2Labelled(t, br, pb.point(true, b), int(pb.labels["class"][b]), b, alpha) / Bl
		}
		if !closeTo(loss, -supWeight*want, 1e-10) {
			t.Errorf("loss %.12g, want −γM/N · mean L̂(x, y) = %.12g", loss, -supWeight*want)
		}
	})
	t.Run("combined", func(t *testing.T) {
		p, _ := compileTiny(t, "tiny_enum2.ssdgm", Options{Labelled: Bl, Unlabelled: Bu, Samples: S, Alpha: alpha, SupWeight: supWeight})
		loss := stepShared(t, p, pb.batch, 32)
		r := ref{t, p.w}
		lab, unl := 0.0, 0.0
		for b := 0; b < Bl; b++ {
			lab += r.enum2Labelled(t, branchOf(t, p, true), pb.point(true, b), int(pb.labels["class"][b]), b, alpha) / Bl
		}
		for b := 0; b < Bu; b++ {
			unl += r.enum2Unlabelled(t, branchOf(t, p, false), pb.point(false, b), b) / Bu
		}
		want := -(unl + supWeight*lab)
		if !closeTo(loss, want, 1e-10) {
			t.Errorf("loss %.12g, want −(mean L̂(x) + γM/N · mean L̂(x, y)) = %.12g (unlabelled %.6g, labelled %.6g)", loss, want, unl, lab)
		}
		// γM/N must matter: the same loss with weight 1 differs.
		if closeTo(loss, -(unl + lab), 1e-6) {
			t.Errorf("loss %.12g does not depend on γM/N", loss)
		}
	})
	t.Run("gradient", func(t *testing.T) {
		p, _ := compileTiny(t, "tiny_enum2.ssdgm", Options{Labelled: Bl, Unlabelled: Bu, Samples: 2, Alpha: alpha, SupWeight: supWeight})
		objectiveGradient(t, p, pb.batch, 33)
	})
}

// TestContinuousSupervised: a continuous supervised latent (the faces
// model's light) clamped to its label in the labelled branch, with weights
// q(light | x, z), and sampled in the unlabelled branch; combined with
// γM/N = 0.37.
func TestContinuousSupervised(t *testing.T) {
	const Bl, Bu, S, alpha, supWeight = 3, 2, 4, 1.5, 0.37
	lighting := []float32{0.2, -0.4, 0.9, 0, 0, 1, -0.7, 0.1, 0.7}
	pb := newPaperBatch(Bl, Bu, 22, map[string][]float32{"lighting": lighting})
	p, _ := compileTiny(t, "tiny_light.ssdgm", Options{Labelled: Bl, Unlabelled: Bu, Samples: S, Alpha: alpha, SupWeight: supWeight})
	loss := stepShared(t, p, pb.batch, 34)
	r := ref{t, p.w}
	lb, ub := branchOf(t, p, true), branchOf(t, p, false)
	lab, unl := 0.0, 0.0
	varies := false
	for b := 0; b < Bl; b++ {
		lw, A := make([]float64, S), make([]float64, S)
		for s := 0; s < S; s++ {
			lw[s], A[s] = r.light(pb.point(true, b), rowOf(t, lb, "labelled.eps.z", s, b), f64(lighting[3*b:3*b+3]), nil)
			varies = varies || lw[s] != lw[0]
		}
		lab += importance(lw, A, alpha) / Bl
	}
	if !varies {
		t.Fatal("log w does not vary over samples: the test does not exercise importance weighting")
	}
	for b := 0; b < Bu; b++ {
		for s := 0; s < S; s++ {
			_, d := r.light(pb.point(false, b), rowOf(t, ub, "unlabelled.eps.z", s, b), nil, rowOf(t, ub, "unlabelled.eps.light", s, b))
			unl += d / S / Bu
		}
	}
	want := -(unl + supWeight*lab)
	if !closeTo(loss, want, 1e-10) {
		t.Errorf("loss %.12g, want %.12g (unlabelled %.6g, labelled %.6g)", loss, want, unl, lab)
	}
	t.Run("gradient", func(t *testing.T) {
		p, _ := compileTiny(t, "tiny_light.ssdgm", Options{Labelled: Bl, Unlabelled: Bu, Samples: 2, Alpha: alpha, SupWeight: supWeight})
		objectiveGradient(t, p, pb.batch, 35)
	})
}

// TestRelaxedObjective: an unobserved y relaxed with the Concrete
// distribution at temperature τ is fed on relaxed and scored with the pmf
// at its argmax, in the encoder (q) and the decoder (p).
func TestRelaxedObjective(t *testing.T) {
	const B, S, temp = 4, 3, 0.66
	for _, spec := range []string{"tiny_m2.ssdgm", "tiny_zfirst.ssdgm"} {
		t.Run(spec, func(t *testing.T) {
			opts := Options{Unlabelled: B, Samples: S, Discrete: map[string]Discrete{"y": {Relax: true, Temperature: temp}}}
			p, _ := compileTiny(t, spec, opts)
			x, _ := tinyData(B, 23)
			res, err := p.Step(Batch{Unlabelled: x}, rand.New(rand.NewPCG(36, 36)))
			if err != nil {
				t.Fatal(err)
			}
			br := p.brs[0]
			if br.lay.E != 1 {
				t.Fatalf("a relaxed y must not be enumerated (E = %d)", br.lay.E)
			}
			r := ref{t, p.w}
			want := 0.0
			soft := false
			for b := 0; b < B; b++ {
				xb := f64(x[b*6 : b*6+6])
				for s := 0; s < S; s++ {
					eps := rowOf(t, br, "unlabelled.eps.z", s, b)
					g := rowOf(t, br, "unlabelled.gumbel.y", s, b)
					pert := func(logits []float64) ([]float64, int) {
						v := make([]float64, len(logits))
						for i := range v {
							v[i] = logits[i] + g[i]
						}
						y := softmaxT(v, temp)
						return y, argmax(y)
					}
					var y, z []float64
					var k int
					var lq float64
					if spec == "tiny_m2.ssdgm" {
						logits := r.mlp1("classify", xb)
						y, k = pert(logits)
						z, lq = r.encodeZ(cat(xb, y), eps)
						lq += logSoftmax(logits)[k]
					} else {
						z, lq = r.encodeZ(xb, eps)
						logits := r.mlp1("classify", cat(xb, z))
						y, k = pert(logits)
						lq += logSoftmax(logits)[k]
					}
					soft = soft || y[k] < 0.999
					lp := math.Log(1.0/3) + stdNormalLogPdf(z) + bernLogLik(xb, r.mlp1("render", cat(z, y)))
					want += (lp - lq) / S / B
				}
			}
			if !soft {
				t.Fatal("every relaxed sample is one-hot: the test cannot tell relaxed from hard values")
			}
			if !closeTo(res.Loss, -want, 1e-10) {
				t.Errorf("loss %.12g, want %.12g", res.Loss, -want)
			}
			t.Run("gradient", func(t *testing.T) {
				p, _ := compileTiny(t, spec, opts)
				objectiveGradient(t, p, Batch{Unlabelled: x}, 37)
			})
		})
	}
}

// objectiveGradient checks a few elements of every parameter's gradient of
// the loss against central finite differences.
func objectiveGradient(t *testing.T, p *Program, batch Batch, seed uint64) {
	t.Helper()
	// Biases start at 0, so a data point of zeros puts a ReLU exactly at
	// its kink, where finite differences are meaningless: jitter them.
	jit := rand.New(rand.NewPCG(seed, 1))
	for _, prm := range p.w.Params.List() {
		for i, d := 0, prm.F64(); i < len(d); i++ {
			d[i] += 0.1 * (jit.Float64() - 0.5)
		}
	}
	if _, err := p.Step(batch, rand.New(rand.NewPCG(seed, seed))); err != nil {
		t.Fatal(err)
	}
	live, err := p.Grads()
	if err != nil {
		t.Fatal(err)
	}
	grads := make([][]float64, live.Len()) // reruns accumulate into live
	for i, g := range live.F64 {
		grads[i] = append([]float64(nil), g...)
	}
	worst := 0.0
	for i, prm := range p.w.Params.List() {
		data := prm.F64()
		for _, j := range []int{0, len(data) / 3, len(data) - 1} {
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
			rel := math.Abs(fd-g) / math.Max(1e-3, math.Abs(fd)+math.Abs(g))
			worst = math.Max(worst, rel)
			if rel > 1e-6 {
				t.Errorf("%s[%d]: gradient %.10g, finite difference %.10g (rel %.2e)", prm.Name, j, g, fd, rel)
			}
		}
	}
	t.Logf("worst relative error %.2e", worst)
}

package compiler

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"ssdgm/lang/check"
)

// klRow evaluates one row of tiny_m2 (zfirst false) or tiny_zfirst for
// data point x, class y and noise eps with z's term in closed form:
// d = log p(y) + log p(x | y, z) − KL(q(z | ·) ‖ N(0, 1)) − log q(y | ·),
// the row's log p − log q with log p(z) − log q(z) replaced by −KL, and
// lqy = log q(y | ·).
func (r ref) klRow(x []float64, y int, eps []float64, zfirst bool) (d, lqy float64) {
	in := cat(x, onehot(y, 3))
	if zfirst {
		in = x
	}
	h := r.linear("encode.l0", in, true)
	mu := r.linear("z_loc", h, false)
	ls := r.linear("z_log_scale", h, false)
	z := make([]float64, len(mu))
	kl := 0.0
	for i := range mu {
		sigma := math.Exp(ls[i])
		z[i] = mu[i] + sigma*eps[i]
		kl += 0.5*(sigma*sigma+mu[i]*mu[i]-1) - ls[i]
	}
	if zfirst {
		lqy = logSoftmax(r.mlp1("classify", cat(x, z)))[y]
	} else {
		lqy = logSoftmax(r.mlp1("classify", x))[y]
	}
	d = math.Log(1.0/3) + bernLogLik(x, r.mlp1("render", cat(z, onehot(y, 3)))) - kl - lqy
	return d, lqy
}

// noiseAt returns the noise of row (enumeration e, sample s, point b).
func noiseAt(t *testing.T, br *branch, name string, e, s, b int) []float64 {
	t.Helper()
	data := noiseRows(t, br, name)
	d := len(data) / br.R
	r := (e*br.lay.S+s)*br.lay.B + b
	return data[r*d : (r+1)*d]
}

// compileSource builds a float64 program of spec source src.
func compileSource(t *testing.T, src string, opts Options) *Program {
	t.Helper()
	m, err := check.Source("test.ssdgm", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func choicesOf(p *Program) map[string]KLChoice {
	out := map[string]KLChoice{}
	for _, c := range p.KLChoices() {
		out[c.Branch+":"+c.Var] = c
	}
	return out
}

// TestAnalyticKLReference: with AnalyticKL the loss of tiny_m2 (both
// branches, y enumerated in the unlabelled one) and of tiny_zfirst (its
// unlabelled branch, where the enumeration weights q(y | z, x) depend on
// z, and its labelled branch at S = 1, where the importance weights are
// 1) matches the plain-Go estimator with −KL(q(z | ·) ‖ N(0, 1)) in place
// of log p(z) − log q(z), and the reported kl:z terms are the weighted
// closed-form KLs.
func TestAnalyticKLReference(t *testing.T) {
	const Bl, Bu, alpha, supWeight, K = 3, 2, 2.5, 0.37, 3
	for _, c := range []struct {
		spec   string
		zfirst bool
		S      int
	}{{"tiny_m2.ssdgm", false, 2}, {"tiny_zfirst.ssdgm", true, 1}} {
		t.Run(c.spec, func(t *testing.T) {
			S := c.S
			pb := newPaperBatch(Bl, Bu, 41, map[string][]float32{"class": {2, 0, 1}})
			p, _ := compileTiny(t, c.spec, Options{Labelled: Bl, Unlabelled: Bu, Samples: S, Alpha: alpha, SupWeight: supWeight, AnalyticKL: true})
			for _, br := range []string{"labelled:z", "unlabelled:z"} {
				if ch := choicesOf(p)[br]; !ch.Analytic {
					t.Fatalf("%s: Monte Carlo (%s), want the closed form", br, ch.Reason)
				}
			}
			res, err := p.Step(pb.batch, rand.New(rand.NewPCG(42, 42)))
			if err != nil {
				t.Fatal(err)
			}
			r := ref{t, p.w}
			lb, ub := branchOf(t, p, true), branchOf(t, p, false)
			lab, unl, klLab, klUnl := 0.0, 0.0, 0.0, 0.0
			for b := 0; b < Bl; b++ {
				x, y := pb.point(true, b), int(pb.labels["class"][b])
				for s := 0; s < S; s++ {
					d, lqy := r.klRow(x, y, noiseAt(t, lb, "labelled.eps.z", 0, s, b), c.zfirst)
					lab += (d + (1+alpha)*lqy) / float64(S) / Bl
				}
			}
			for b := 0; b < Bu; b++ {
				x := pb.point(false, b)
				for e := 0; e < K; e++ {
					for s := 0; s < S; s++ {
						d, lqy := r.klRow(x, e, noiseAt(t, ub, "unlabelled.eps.z", e, s, b), c.zfirst)
						unl += math.Exp(lqy) / float64(S) * d / Bu
					}
				}
			}
			want := -(unl + supWeight*lab)
			if !closeTo(res.Loss, want, 1e-10) {
				t.Errorf("loss %.12g, want %.12g (unlabelled %.6g, labelled %.6g)", res.Loss, want, unl, lab)
			}
			// The reported KL terms are Σ_r c_r KL_r / B, positive.
			klLab, klUnl = termValue(t, res, "labelled:kl:z"), termValue(t, res, "unlabelled:kl:z")
			if !(klLab > 0 && klUnl > 0) {
				t.Errorf("kl:z terms %g (labelled), %g (unlabelled): a KL is positive", klLab, klUnl)
			}
			// The Monte Carlo program on the same draws differs (the test
			// would pass with the option ignored otherwise).
			q, _ := compileTiny(t, c.spec, Options{Labelled: Bl, Unlabelled: Bu, Samples: S, Alpha: alpha, SupWeight: supWeight})
			mc, err := q.Step(pb.batch, rand.New(rand.NewPCG(42, 42)))
			if err != nil {
				t.Fatal(err)
			}
			if closeTo(mc.Loss, res.Loss, 1e-6) {
				t.Errorf("Monte Carlo loss %.12g equals the analytic one", mc.Loss)
			}
		})
	}
}

// TestAnalyticKLFallback: where the closed form would bias the estimate,
// or does not exist, the Monte Carlo term stays, with the reason, and the
// program is the Monte Carlo one (the same loss on the same draws).
func TestAnalyticKLFallback(t *testing.T) {
	zfirst, err := os.ReadFile("../testdata/specs/good/tiny_zfirst.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	light, err := os.ReadFile("../testdata/specs/good/tiny_light.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := os.ReadFile("../testdata/specs/good/tiny_m2.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	const zPrior = "z ~ Normal(loc: 0, scale: 1, shape: [2])"
	// A learned prior p(z | y) with y sampled after z, given z.
	priorY := strings.Replace(strings.Replace(string(zfirst), zPrior, "z ~ Normal(loc: prior_loc(y), scale: 1)", 1),
		"net render", "net prior_loc = linear(out: 2)\nnet render", 1)
	laplace := strings.Replace(string(m2), zPrior, "z ~ Laplace(loc: 0, scale: 1, shape: [2])", 1)
	cases := []struct {
		name    string
		src     string
		labels  map[string][]float32
		samples int
		want    map[string]string // branch:var → "" (analytic) or a piece of the reason
	}{
		{"zfirst S=3", string(zfirst), map[string][]float32{"class": {1, 2, 0}}, 3, map[string]string{
			"labelled:z": "importance weights of this branch depend on z through q(y | ·)", "unlabelled:z": ""}},
		{"light", string(light), map[string][]float32{"lighting": {0.2, -0.4, 0.9, 0, 0, 1, -0.7, 0.1, 0.7}}, 2, map[string]string{
			"labelled:z": "through q(light | ·)", "unlabelled:z": "", "unlabelled:light": ""}},
		{"prior reads y", priorY, map[string][]float32{"class": {1, 2, 0}}, 1, map[string]string{
			"labelled:z": "", "unlabelled:z": "p(z | ·) reads `y`, which the encoder samples given z"}},
		{"laplace prior", laplace, map[string][]float32{"class": {1, 2, 0}}, 2, map[string]string{
			"labelled:z": "q(z | ·) is Normal and p(z | ·) is Laplace", "unlabelled:z": "q(z | ·) is Normal and p(z | ·) is Laplace"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{Labelled: 3, Unlabelled: 2, Samples: c.samples, Alpha: 1.5, SupWeight: 0.4, AnalyticKL: true}
			p := compileSource(t, c.src, opts)
			got := choicesOf(p)
			if len(got) != len(c.want) {
				t.Errorf("choices %v, want %d", got, len(c.want))
			}
			allMC := true
			for k, w := range c.want {
				ch, ok := got[k]
				switch {
				case !ok:
					t.Errorf("%s: no choice", k)
				case w == "" && !ch.Analytic:
					t.Errorf("%s: Monte Carlo (%s), want the closed form", k, ch.Reason)
				case w != "" && (ch.Analytic || !strings.Contains(ch.Reason, w)):
					t.Errorf("%s: analytic %v, reason %q, want Monte Carlo because %q", k, ch.Analytic, ch.Reason, w)
				}
				allMC = allMC && !ch.Analytic
			}
			if !allMC {
				return
			}
			xl, _ := tinyData(3, 51)
			xu, _ := tinyData(2, 52)
			batch := Batch{Labelled: xl, Unlabelled: xu, Labels: c.labels}
			res, err := p.Step(batch, rand.New(rand.NewPCG(53, 53)))
			if err != nil {
				t.Fatal(err)
			}
			opts.AnalyticKL = false
			mc, err := compileSource(t, c.src, opts).Step(batch, rand.New(rand.NewPCG(53, 53)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Loss != mc.Loss {
				t.Errorf("loss %.15g with the option, %.15g without: a full fallback must be the Monte Carlo program", res.Loss, mc.Loss)
			}
		})
	}
}

// TestAnalyticKLUnbiased: at fixed weights and data, over many noise
// draws, the closed-form kl:z term and loss have the Monte Carlo
// estimates' means (within 4 standard errors of the difference), on
// tiny_m2 (the KL is then exact per enumerated row, no noise at all) and
// on tiny_zfirst's unlabelled branch (weighted by q(y | z, x)). It logs
// the variance of both losses.
func TestAnalyticKLUnbiased(t *testing.T) {
	const B, draws = 4, 500
	x, _ := tinyData(B, 61)
	for _, spec := range []string{"tiny_m2.ssdgm", "tiny_zfirst.ssdgm"} {
		t.Run(spec, func(t *testing.T) {
			type stats struct{ kl, klSq, loss, lossSq float64 }
			measure := func(analytic bool) stats {
				p, _ := compileTiny(t, spec, Options{Unlabelled: B, Samples: 1, AnalyticKL: analytic})
				var st stats
				for k := 0; k < draws; k++ {
					res, err := p.Step(Batch{Unlabelled: x}, rand.New(rand.NewPCG(uint64(k), 77)))
					if err != nil {
						t.Fatal(err)
					}
					kl := termValue(t, res, "unlabelled:kl:z")
					st.kl += kl
					st.klSq += kl * kl
					st.loss += res.Loss
					st.lossSq += res.Loss * res.Loss
				}
				return st
			}
			mv := func(s, sq float64) (float64, float64) {
				m := s / draws
				return m, math.Max(sq/draws-m*m, 0)
			}
			mc, an := measure(false), measure(true)
			mk, vk := mv(mc.kl, mc.klSq)
			ak, avk := mv(an.kl, an.klSq)
			ml, vl := mv(mc.loss, mc.lossSq)
			al, avl := mv(an.loss, an.lossSq)
			t.Logf("kl:z: Monte Carlo %.5f (var %.4g), analytic %.5f (var %.4g)", mk, vk, ak, avk)
			t.Logf("loss: Monte Carlo %.5f (var %.4g), analytic %.5f (var %.4g), variance ratio %.3f", ml, vl, al, avl, avl/vl)
			if se := math.Sqrt(vk/draws + avk/draws); math.Abs(mk-ak) > 4*se {
				t.Errorf("kl:z mean %.5f Monte Carlo, %.5f analytic: more than 4 standard errors (%.4g) apart", mk, ak, se)
			}
			if se := math.Sqrt(vl/draws + avl/draws); math.Abs(ml-al) > 4*se {
				t.Errorf("loss mean %.5f Monte Carlo, %.5f analytic: more than 4 standard errors (%.4g) apart", ml, al, se)
			}
			if spec == "tiny_m2.ssdgm" && avk > 1e-12*(1+ak*ak) {
				t.Errorf("tiny_m2's closed-form KL term varies over draws (variance %g): it depends on the noise", avk)
			}
			if !(avl < vl) {
				t.Errorf("loss variance %.4g with the closed form, %.4g without: no reduction", avl, vl)
			}
		})
	}
}

// TestAnalyticKLGradient checks the gradient of the objective with the
// closed-form KL (both branches) against finite differences.
func TestAnalyticKLGradient(t *testing.T) {
	for _, c := range []struct {
		spec    string
		samples int
		labels  map[string][]float32
	}{
		{"tiny_m2.ssdgm", 2, map[string][]float32{"class": {2, 0, 1}}},
		{"tiny_zfirst.ssdgm", 1, map[string][]float32{"class": {2, 0, 1}}},
		{"tiny_light.ssdgm", 2, map[string][]float32{"lighting": {0.2, -0.4, 0.9, 0, 0, 1, -0.7, 0.1, 0.7}}},
	} {
		t.Run(c.spec, func(t *testing.T) {
			p, _ := compileTiny(t, c.spec, Options{Labelled: 3, Unlabelled: 2, Samples: c.samples, Alpha: 3, SupWeight: 0.4, AnalyticKL: true})
			analytic := 0
			for _, ch := range p.KLChoices() {
				if ch.Analytic {
					analytic++
				}
			}
			if analytic == 0 {
				t.Fatal("no closed-form KL in the program")
			}
			pb := newPaperBatch(3, 2, 71, c.labels)
			objectiveGradient(t, p, pb.batch, 72)
		})
	}
}

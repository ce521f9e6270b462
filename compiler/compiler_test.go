package compiler

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/lang/diag"
)

// tinyData returns B random binary points of the tiny models and labels.
func tinyData(B int, seed uint64) ([]float32, []float32) {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, B*6)
	for i := range x {
		x[i] = float32(r.IntN(2))
	}
	y := make([]float32, B)
	for i := range y {
		y[i] = float32(r.IntN(3))
	}
	return x, y
}

func noiseRows(t *testing.T, b *branch, name string) []float64 {
	t.Helper()
	for _, in := range b.noise {
		if in.node.Name() == name {
			return in.t.Data().([]float64)
		}
	}
	t.Fatalf("no noise input %s", name)
	return nil
}

func termValue(t *testing.T, res Result, name string) float64 {
	t.Helper()
	for _, tm := range res.Terms {
		if tm.Name == name {
			return tm.Value
		}
	}
	t.Fatalf("no term %s in %v", name, res.Terms)
	return 0
}

func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// compileTiny builds a float64 program of a tiny spec.
func compileTiny(t *testing.T, spec string, opts Options) (*Program, *check.Model) {
	t.Helper()
	m := loadSpec(t, filepath.Join("../testdata/specs/good", spec))
	w, err := NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, m
}

// TestM2SpecialCase: with y at the encoder's root the weights are constant,
// and the labelled objective equals ELBO(x, y) + α log q(y|x) computed
// independently.
func TestM2SpecialCase(t *testing.T) {
	const B, S, alpha = 4, 3, 7.5
	p, _ := compileTiny(t, "tiny_m2.ssdgm", Options{Labelled: B, Samples: S, Alpha: alpha, SupWeight: 1})
	x, y := tinyData(B, 1)
	res, err := p.Step(Batch{Labelled: x, Labels: map[string][]float32{"class": y}}, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	r := ref{t, p.w}
	eps := noiseRows(t, p.brs[0], "labelled.eps.z")
	want := 0.0
	for b := 0; b < B; b++ {
		xb := f64(x[b*6 : b*6+6])
		elbo, lw := 0.0, 0.0
		for s := 0; s < S; s++ {
			row := r.tinyRow(xb, int(y[b]), eps[(s*B+b)*2:(s*B+b)*2+2], false, true)
			elbo += (row.lp - (row.lq - row.lw)) / S
			if s > 0 && row.lw != lw {
				t.Fatalf("log w varies over samples: %v vs %v", row.lw, lw)
			}
			lw = row.lw
		}
		want += (elbo + alpha*lw) / B
	}
	got := termValue(t, res, "labelled:objective")
	if !closeTo(got, want, 1e-10) {
		t.Errorf("labelled objective %.12g, want ELBO + α log q(y|x) = %.12g", got, want)
	}
	if !closeTo(res.Loss, -want, 1e-10) {
		t.Errorf("loss %.12g, want %.12g", res.Loss, -want)
	}
}

// TestImportanceSampledObjective: with q(z|x) q(y|z,x) the labelled
// objective matches a brute-force evaluation of the paper's estimator.
func TestImportanceSampledObjective(t *testing.T) {
	const B, S, alpha = 3, 4, 2.0
	p, _ := compileTiny(t, "tiny_zfirst.ssdgm", Options{Labelled: B, Samples: S, Alpha: alpha, SupWeight: 1})
	x, y := tinyData(B, 2)
	res, err := p.Step(Batch{Labelled: x, Labels: map[string][]float32{"class": y}}, rand.New(rand.NewPCG(6, 6)))
	if err != nil {
		t.Fatal(err)
	}
	r := ref{t, p.w}
	eps := noiseRows(t, p.brs[0], "labelled.eps.z")
	want := 0.0
	varies := false
	for b := 0; b < B; b++ {
		xb := f64(x[b*6 : b*6+6])
		rows := make([]tinyRow, S)
		m := math.Inf(-1)
		for s := range rows {
			rows[s] = r.tinyRow(xb, int(y[b]), eps[(s*B+b)*2:(s*B+b)*2+2], true, true)
			m = math.Max(m, rows[s].lw)
			varies = varies || rows[s].lw != rows[0].lw
		}
		z := 0.0
		for _, row := range rows {
			z += math.Exp(row.lw - m)
		}
		L := 0.0
		for _, row := range rows {
			L += math.Exp(row.lw-m) / z * (row.lp - row.lq)
			L += (1 + alpha) * row.lw / S
		}
		want += L / B
	}
	if !varies {
		t.Fatal("log w does not vary over samples: the test does not exercise importance weighting")
	}
	if got := termValue(t, res, "labelled:objective"); !closeTo(got, want, 1e-10) {
		t.Errorf("labelled objective %.12g, want %.12g", got, want)
	}
}

// TestEnumerationExact: an enumerated y gives the exact sum over its values,
// for y at the root and y after z in the encoder.
func TestEnumerationExact(t *testing.T) {
	for _, c := range []struct {
		spec   string
		zfirst bool
	}{{"tiny_m2.ssdgm", false}, {"tiny_zfirst.ssdgm", true}} {
		t.Run(c.spec, func(t *testing.T) {
			const B, S, K = 3, 2, 3
			p, _ := compileTiny(t, c.spec, Options{Unlabelled: B, Samples: S})
			x, _ := tinyData(B, 3)
			res, err := p.Step(Batch{Unlabelled: x}, rand.New(rand.NewPCG(7, 7)))
			if err != nil {
				t.Fatal(err)
			}
			if p.brs[0].lay.E != K {
				t.Fatalf("expected %d enumerations, got %d", K, p.brs[0].lay.E)
			}
			r := ref{t, p.w}
			eps := noiseRows(t, p.brs[0], "unlabelled.eps.z")
			want := 0.0
			for b := 0; b < B; b++ {
				xb := f64(x[b*6 : b*6+6])
				for k := 0; k < K; k++ {
					for s := 0; s < S; s++ {
						row := (k*S+s)*B + b
						v := r.tinyRow(xb, k, eps[row*2:row*2+2], c.zfirst, false)
						want += math.Exp(v.lqe) / S * (v.lp - v.lq) / B
					}
				}
			}
			if got := termValue(t, res, "unlabelled:objective"); !closeTo(got, want, 1e-10) {
				t.Errorf("unlabelled objective %.12g, want the exact sum %.12g", got, want)
			}
		})
	}
}

// TestObjectiveGradient checks the gradient of the whole objective (both
// branches, importance weighting, enumeration, and the params of
// tiny_param) against central finite differences.
func TestObjectiveGradient(t *testing.T) {
	for _, spec := range []string{"tiny_m2.ssdgm", "tiny_zfirst.ssdgm", "tiny_cb.ssdgm", "tiny_param.ssdgm", "tiny_param_init.ssdgm"} {
		t.Run(spec, func(t *testing.T) {
			p, _ := compileTiny(t, spec, Options{Labelled: 3, Unlabelled: 2, Samples: 2, Alpha: 3, SupWeight: 0.4})
			xl, y := tinyData(3, 4)
			xu, _ := tinyData(2, 5)
			if _, err := p.Step(Batch{Labelled: xl, Unlabelled: xu, Labels: map[string][]float32{"class": y}}, rand.New(rand.NewPCG(8, 8))); err != nil {
				t.Fatal(err)
			}
			live, err := p.Grads()
			if err != nil {
				t.Fatal(err)
			}
			// Reruns accumulate into the live gradients: keep a copy.
			grads := make([][]float64, live.Len())
			for i, g := range live.F64 {
				grads[i] = append([]float64(nil), g...)
			}
			worst := 0.0
			for i, prm := range p.w.Params.List() {
				data := prm.F64()
				g := grads[i]
				for _, j := range []int{0, len(data) / 2, len(data) - 1} {
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
					rel := math.Abs(fd-g[j]) / math.Max(1e-3, math.Abs(fd)+math.Abs(g[j]))
					worst = math.Max(worst, rel)
					if rel > 1e-6 {
						t.Errorf("%s[%d]: gradient %.10g, finite difference %.10g (rel %.2e)", prm.Name, j, g[j], fd, rel)
					}
				}
			}
			t.Logf("worst relative error %.2e", worst)
		})
	}
}

// TestSameSeed: the same spec, options and seed give the same initial
// parameters and the same first-step loss, bit for bit.
func TestSameSeed(t *testing.T) {
	m := loadSpec(t, "../specs/mnist.ssdgm")
	run := func(seed uint64) ([]byte, float64) {
		w, err := NewWeights(m, false, seed)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for _, p := range w.Params.List() {
			binary.Write(&buf, binary.LittleEndian, p.F32())
		}
		p, err := Compile(m, w, Options{Labelled: 8, Unlabelled: 8, Samples: 1, Alpha: 50, SupWeight: 0.002})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		xr := rand.New(rand.NewPCG(1, 1))
		x := make([]float32, 16*784)
		for i := range x {
			x[i] = xr.Float32()
		}
		labels := map[string][]float32{"digit": {0, 1, 2, 3, 4, 5, 6, 7}}
		res, err := p.Step(Batch{Labelled: x[:8*784], Unlabelled: x[8*784:], Labels: labels}, rand.New(rand.NewPCG(9, 9)))
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), res.Loss
	}
	p1, l1 := run(42)
	p2, l2 := run(42)
	p3, _ := run(43)
	if !bytes.Equal(p1, p2) || math.Float64bits(l1) != math.Float64bits(l2) {
		t.Errorf("same seed differs: params equal %v, losses %v %v", bytes.Equal(p1, p2), l1, l2)
	}
	if bytes.Equal(p1, p3) {
		t.Error("different seeds give the same parameters")
	}
}

// TestSpecsLower: every shipped spec lowers and runs a step at small batch
// sizes, float32.
func TestSpecsLower(t *testing.T) {
	files, _ := filepath.Glob("../specs/*.ssdgm")
	if len(files) < 5 {
		t.Fatalf("expected the paper's specs, found %v", files)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m := loadSpec(t, path)
			w, err := NewWeights(m, false, 1)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Labelled: 2, Unlabelled: 2, Samples: 2, Alpha: 1, SupWeight: 0.1,
				Discrete: map[string]Discrete{"d": {Relax: true, Temperature: 0.66}}}
			if len(m.Labels) == 0 {
				opts.Labelled = 0 // an unsupervised model (a VAE): no labelled branch
			}
			p, err := Compile(m, w, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			d := m.Data.Shape.Size()
			labels := map[string][]float32{}
			for _, l := range m.Labels {
				n := 2 * max(l.Slots, 1)
				if l.Kind == check.Continuous {
					n *= l.Dim
				}
				labels[l.Name] = make([]float32, n)
			}
			res, err := p.Step(Batch{Labelled: make([]float32, 2*d), Unlabelled: make([]float32, 2*d), Labels: labels}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
				t.Errorf("loss %v", res.Loss)
			}
		})
	}
}

// TestEnumerationLimit: enumerating too many values is a positioned error
// that suggests relaxing.
func TestEnumerationLimit(t *testing.T) {
	m := loadSpec(t, "../specs/multimnist.ssdgm")
	w, err := NewWeights(m, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(m, w, Options{Unlabelled: 2, Samples: 1})
	var list diag.List
	if !errors.As(err, &list) || len(list) != 1 || list[0].Pos.Line == 0 {
		t.Fatalf("want one positioned diagnostic, got %v", err)
	}
	if want := "relax it instead"; !bytes.Contains([]byte(list[0].Msg), []byte(want)) {
		t.Errorf("message %q lacks %q", list[0].Msg, want)
	}
}

// TestEvaluator: class probabilities are distributions and, for y at the
// root, equal softmax(classify(x)).
func TestEvaluator(t *testing.T) {
	m := loadSpec(t, "../testdata/specs/good/tiny_m2.ssdgm")
	w, err := NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEvaluator(m, w, 4, 2, Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	x, _ := tinyData(4, 9)
	res, err := e.Run(x, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	r := ref{t, w}
	probs := res.Probs["y"]
	for b := 0; b < 4; b++ {
		ls := logSoftmax(r.mlp1("classify", f64(x[b*6:b*6+6])))
		for k := 0; k < 3; k++ {
			if !closeTo(probs[b*3+k], math.Exp(ls[k]), 1e-10) {
				t.Errorf("point %d class %d: %v, want %v", b, k, probs[b*3+k], math.Exp(ls[k]))
			}
		}
		if math.IsNaN(res.ELBO[b]) || res.ELBO[b] >= 0 {
			t.Errorf("ELBO of point %d = %v", b, res.ELBO[b])
		}
	}
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

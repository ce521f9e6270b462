package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"ssdgm/lang/check"
)

// twoRow evaluates one row of tiny_two (testdata/specs/good/tiny_two.ssdgm)
// in plain Go for data point x with class y and direction l (l is the
// label when clamped, else lLoc + exp(lLogScale)·epsL), noise epsZ for z:
// log p of the whole decoder, log q of the whole encoder, and the encoder's
// log q(y|x) and log q(l|x).
func (r ref) twoRow(x []float64, y int, l, epsL, epsZ []float64) (lp, lq, lqy, lql float64) {
	lqy = logSoftmax(r.mlp1("classify", x))[y]
	mu := r.linear("l_loc", x, false)
	ls := r.linear("l_log_scale", x, false)
	if l == nil {
		l = make([]float64, 2)
		for i := range l {
			l[i] = mu[i] + math.Exp(ls[i])*epsL[i]
		}
	}
	for i := range l {
		lql += normalLogPdf(l[i], mu[i], math.Exp(ls[i]))
	}
	h := r.linear("encode.l0", cat(x, onehot(y, 3), l), true)
	zm := r.linear("z_loc", h, false)
	zs := r.linear("z_log_scale", h, false)
	z := make([]float64, 2)
	lqz := 0.0
	for i := range z {
		z[i] = zm[i] + math.Exp(zs[i])*epsZ[i]
		lqz += normalLogPdf(z[i], zm[i], math.Exp(zs[i]))
	}
	lq = lqy + lql + lqz
	lp = math.Log(1.0 / 3)
	for i := range l {
		lp += normalLogPdf(l[i], 0, 1) + normalLogPdf(z[i], 0, 1)
	}
	for i, lg := range r.mlp1("render", cat(z, onehot(y, 3), l)) {
		lp += x[i]*lg - softplus(lg)
	}
	return lp, lq, lqy, lql
}

// TestPartialLabelSets: a data point that carries only one of two labels
// clamps only that one; the branch objective matches the paper's formula
// with O per point, computed by hand. With only y observed, l is sampled
// and log w = log q(y|x); with only l observed, y is summed out exactly
// and log w = log q(l|x).
func TestPartialLabelSets(t *testing.T) {
	const B, S, alpha = 3, 2, 4.0
	x, y := tinyData(B, 11)
	dir := []float32{0.3, -0.8, 1.2, 0.1, -0.5, 0.7}
	cases := []struct {
		observed []string
		branch   string
	}{
		{[]string{"y"}, "labelled(y)"},
		{[]string{"l"}, "labelled(l)"},
	}
	for _, c := range cases {
		t.Run(c.branch, func(t *testing.T) {
			p, _ := compileTiny(t, "tiny_two.ssdgm", Options{Samples: S, Alpha: alpha,
				Sets: []LabelSet{{Observed: c.observed, Batch: B, Weight: 1}}})
			labels := map[string][]float32{"class": y, "dir": dir}
			res, err := p.Step(Batch{Sets: []SetBatch{{X: x, Labels: labels}}}, rand.New(rand.NewPCG(9, 9)))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.brs) != 1 || p.brs[0].name != c.branch {
				t.Fatalf("branches %v, want one named %s", p.brs, c.branch)
			}
			r := ref{t, p.w}
			b := p.brs[0]
			epsZ := noiseRows(t, b, c.branch+".eps.z")
			want := 0.0
			for i := 0; i < B; i++ {
				xi := f64(x[i*6 : i*6+6])
				li := f64(dir[i*2 : i*2+2])
				L := 0.0
				if c.observed[0] == "y" {
					epsL := noiseRows(t, b, c.branch+".eps.l")
					for s := 0; s < S; s++ {
						row := s*B + i
						lp, lq, lqy, _ := r.twoRow(xi, int(y[i]), nil, epsL[row*2:row*2+2], epsZ[row*2:row*2+2])
						L += (lp-lq)/S + (1+alpha)*lqy/S
					}
				} else {
					for e := 0; e < 3; e++ {
						for s := 0; s < S; s++ {
							row := (e*S+s)*B + i
							lp, lq, lqy, lql := r.twoRow(xi, e, li, nil, epsZ[row*2:row*2+2])
							L += math.Exp(lqy) * ((lp-lq)/S + (1+alpha)*lql/S)
						}
					}
				}
				want += L / B
			}
			if got := termValue(t, res, c.branch+":objective"); !closeTo(got, want, 1e-10) {
				t.Errorf("objective %.12g, want %.12g", got, want)
			}
			if !closeTo(res.Loss, -want, 1e-10) {
				t.Errorf("loss %.12g, want %.12g", res.Loss, -want)
			}
		})
	}
}

// TestLabelSetsCombine: a program with an unlabelled branch and two label
// sets sums the branches with their weights, and a set naming every
// supervised variable is the ordinary labelled branch.
func TestLabelSetsCombine(t *testing.T) {
	const B = 2
	x, y := tinyData(B, 12)
	dir := []float32{0.3, -0.8, 1.2, 0.1}
	labels := map[string][]float32{"class": y, "dir": dir}
	p, _ := compileTiny(t, "tiny_two.ssdgm", Options{Unlabelled: B, Samples: 1, Alpha: 1, Sets: []LabelSet{
		{Observed: []string{"l"}, Batch: B, Weight: 0.25},
		{Observed: []string{"l", "y"}, Batch: B, Weight: 0.5},
	}})
	res, err := p.Step(Batch{Unlabelled: x, Sets: []SetBatch{{X: x, Labels: labels}, {X: x, Labels: labels}}}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	want := termValue(t, res, "unlabelled:objective") + 0.25*termValue(t, res, "labelled(l):objective") + 0.5*termValue(t, res, "labelled:objective")
	if !closeTo(res.Loss, -want, 1e-12) {
		t.Errorf("loss %.12g, want −(unlabelled + 0.25·labelled(l) + 0.5·labelled) = %.12g", res.Loss, -want)
	}
}

// TestLabelSetErrors: bad label sets are refused with a message that says
// what is wrong.
func TestLabelSetErrors(t *testing.T) {
	m := loadSpec(t, "../testdata/specs/good/tiny_two.ssdgm")
	w, err := NewWeights(m, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		set  LabelSet
		want string
	}{
		{LabelSet{Observed: []string{"z"}, Batch: 2}, `names "z", which is not a supervised variable`},
		{LabelSet{Observed: []string{"y"}, Batch: 0}, "batch size 0"},
	} {
		_, err := Compile(m, w, Options{Samples: 1, Sets: []LabelSet{c.set}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("set %+v: error %v, want one containing %q", c.set, err, c.want)
		}
	}
}

// twoZFirst is tiny_two with l inferred after z: clamping l then gives a
// log w that varies with z's sample.
const twoZFirst = `model two_zfirst
data x: vector[6]
label class: categorical[3]
label dir: real[2]
supervise y with class
supervise l with dir
net classify = mlp(hidden: [5], out: 3, act: relu)
net encode = mlp(hidden: [5], act: relu)
net z_loc = linear(out: 2)
net z_log_scale = linear(out: 2)
net l_loc = linear(out: 2)
net render = mlp(hidden: [5], out: 6, act: relu)
encoder {
  y ~ Categorical(logits: classify(x))
  h = encode(x)
  z ~ Normal(loc: z_loc(h), scale: exp(z_log_scale(h)))
  l ~ Normal(loc: l_loc(concat(x, z)), scale: 0.5)
}
decoder {
  y ~ Categorical(probs: uniform(3))
  l ~ Normal(loc: 0, scale: 1, shape: [2])
  z ~ Normal(loc: 0, scale: 1, shape: [2])
  x ~ Bernoulli(logits: render(concat(z, y, l)))
}
`

// TestPartialEnumerationRefused: clamping a variable whose encoder
// distribution depends on a sampled latent while enumerating another would
// take log w from one enumerated row only; lowering refuses it and names
// the fix. Relaxing the enumerated variable, or observing it too, compiles.
func TestPartialEnumerationRefused(t *testing.T) {
	m, err := check.Source("two_zfirst.ssdgm", []byte(twoZFirst))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWeights(m, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	onlyL := []LabelSet{{Observed: []string{"l"}, Batch: 2, Weight: 1}}
	_, err = Compile(m, w, Options{Samples: 2, Sets: onlyL})
	if err == nil || !strings.Contains(err.Error(), "depends on the unobserved latent `z`") || !strings.Contains(err.Error(), "vars: {y: relax}") {
		t.Errorf("error %v, want one naming z and suggesting to relax y", err)
	}
	if !strings.Contains(fmt.Sprint(err), "two_zfirst.ssdgm:") {
		t.Errorf("error %v has no position", err)
	}
	relaxed := Options{Samples: 2, Sets: onlyL, Discrete: map[string]Discrete{"y": {Relax: true, Temperature: 0.5}}}
	if _, err := Compile(m, w, relaxed); err != nil {
		t.Errorf("y relaxed: %v", err)
	}
	if _, err := Compile(m, w, Options{Samples: 2, Sets: []LabelSet{{Observed: []string{"l", "y"}, Batch: 2, Weight: 1}}}); err != nil {
		t.Errorf("both observed: %v", err)
	}
}

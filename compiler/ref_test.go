package compiler

import (
	"math"
	"os"
	"testing"

	"ssdgm/compiler/nn"
	"ssdgm/lang/check"
)

// This file holds a plain-Go reference of the tiny test models' forward
// pass, written independently of the lowering, to check the objective.

func loadSpec(t testing.TB, path string) *check.Model {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source(path, src)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ref evaluates networks from a Weights' float64 parameters.
type ref struct {
	t *testing.T
	w *Weights
}

func (r ref) param(name string) *nn.Param {
	p := r.w.Params.Get(name)
	if p == nil {
		r.t.Fatalf("no parameter %s", name)
	}
	return p
}

// linear computes act(x W + b).
func (r ref) linear(name string, x []float64, relu bool) []float64 {
	W := r.param(name + ".W")
	b := r.param(name + ".b").F64()
	in, out := W.Shape[0], W.Shape[1]
	if len(x) != in {
		r.t.Fatalf("%s: input %d, want %d", name, len(x), in)
	}
	wd := W.F64()
	y := make([]float64, out)
	for j := 0; j < out; j++ {
		s := b[j]
		for i := 0; i < in; i++ {
			s += x[i] * wd[i*out+j]
		}
		if relu && s < 0 {
			s = 0
		}
		y[j] = s
	}
	return y
}

// mlp1 is mlp(hidden: [h], out: o, act: relu): layers NAME.l0, NAME.l1.
func (r ref) mlp1(name string, x []float64) []float64 {
	return r.linear(name+".l1", r.linear(name+".l0", x, true), false)
}

func cat(xs ...[]float64) []float64 {
	var out []float64
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

func onehot(k, n int) []float64 {
	v := make([]float64, n)
	v[k] = 1
	return v
}

func logSoftmax(l []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range l {
		s += math.Exp(v - m)
	}
	out := make([]float64, len(l))
	for i, v := range l {
		out[i] = v - m - math.Log(s)
	}
	return out
}

func normalLogPdf(x, mu, sigma float64) float64 {
	d := (x - mu) / sigma
	return -0.5*d*d - math.Log(sigma) - 0.5*math.Log(2*math.Pi)
}

func softplus(x float64) float64 { return math.Log1p(math.Exp(-math.Abs(x))) + math.Max(x, 0) }

// tinyRow is one row of a tiny model: its log p, log q, log w and the log q
// of its enumerated value.
type tinyRow struct{ lp, lq, lw, lqe float64 }

// tinyM2Row evaluates the tiny models for data point x with class y, noise
// eps: zfirst selects the q(z|x) q(y|z,x) encoder; clamped says whether y
// is observed (log w) or enumerated (log q_e).
func (r ref) tinyRow(x []float64, y int, eps []float64, zfirst, clamped bool) tinyRow {
	var row tinyRow
	var z []float64
	var lqy float64
	encodeZ := func(in []float64) {
		h := r.linear("encode.l0", in, true)
		mu := r.linear("z_loc", h, false)
		ls := r.linear("z_log_scale", h, false)
		z = make([]float64, len(mu))
		for i := range mu {
			sc := math.Exp(ls[i])
			z[i] = mu[i] + sc*eps[i]
			row.lq += normalLogPdf(z[i], mu[i], sc)
		}
	}
	if zfirst {
		encodeZ(x)
		lqy = logSoftmax(r.mlp1("classify", cat(x, z)))[y]
	} else {
		lqy = logSoftmax(r.mlp1("classify", x))[y]
		encodeZ(cat(x, onehot(y, 3)))
	}
	row.lq += lqy
	if clamped {
		row.lw = lqy
	} else {
		row.lqe = lqy
	}
	row.lp = math.Log(1.0 / 3)
	for _, zi := range z {
		row.lp += normalLogPdf(zi, 0, 1)
	}
	logits := r.mlp1("render", cat(z, onehot(y, 3)))
	for i, l := range logits {
		row.lp += x[i]*l - softplus(l)
	}
	return row
}

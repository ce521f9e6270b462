package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 11)) }

func dense(shape []int, v ...float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

func toF32(x *tensor.Dense) *tensor.Dense {
	d := x.Data().([]float64)
	f := make([]float32, len(d))
	for i, v := range d {
		f[i] = float32(v)
	}
	return tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.WithBacking(f))
}

// eval builds f over named input nodes holding in (converted to dt) and
// returns the output as float64.
func eval(t *testing.T, dt tensor.Dtype, f func(in G.Nodes) (*G.Node, error), in ...*tensor.Dense) []float64 {
	t.Helper()
	g := G.NewGraph()
	nodes := make(G.Nodes, len(in))
	for i, x := range in {
		if dt == tensor.Float32 {
			x = toF32(x)
		}
		nodes[i] = G.NewTensor(g, dt, x.Dims(), G.WithShape(x.Shape().Clone()...), G.WithValue(x), G.WithName(fmt.Sprint("in", i)))
	}
	out, err := f(nodes)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	switch d := out.Value().Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		r := make([]float64, len(d))
		for i, v := range d {
			r[i] = float64(v)
		}
		return r
	}
	t.Fatalf("unexpected output %T", out.Value().Data())
	return nil
}

func normLP(x, m, s float64) float64 {
	return -(x-m)*(x-m)/(2*s*s) - math.Log(s) - 0.5*math.Log(2*math.Pi)
}
func lapLP(x, m, s float64) float64 { return -math.Abs(x-m)/s - math.Log(2*s) }
func bernLP(x, p float64) float64   { return x*math.Log(p) + (1-x)*math.Log(1-p) }
func sigm(l float64) float64        { return 1 / (1 + math.Exp(-l)) }

func TestLogProbClosedForm(t *testing.T) {
	x := []float64{0.3, -1, 2.5, 0, 0.9, -0.2} // [2, 3]
	loc := []float64{0.5, 2, -1, 0.1, 0, 0.3}
	scale := []float64{1.5, 0.7, 2, 0.4, 1, 3}
	bx := []float64{1, 0, 1, 0.25, 0, 1}
	logits := []float64{-30, 2, 0.5, 40, -1, 0}
	sh := []int{2, 3}
	rowsum := func(f func(i int) float64) []float64 {
		return []float64{f(0) + f(1) + f(2), f(3) + f(4) + f(5)}
	}
	type tc struct {
		name string
		f    func(in G.Nodes) (*G.Node, error)
		in   []*tensor.Dense
		want []float64
	}
	cases := []tc{
		{"Normal", func(in G.Nodes) (*G.Node, error) { return NormalLogProb(in[0], in[1], in[2]) },
			[]*tensor.Dense{dense(sh, x...), dense(sh, loc...), dense(sh, scale...)},
			rowsum(func(i int) float64 { return normLP(x[i], loc[i], scale[i]) })},
		{"NormalScalarParams", func(in G.Nodes) (*G.Node, error) { return NormalLogProb(in[0], in[1], in[2]) },
			[]*tensor.Dense{dense(sh, x...), dense([]int{1}, 0), dense([]int{1, 1}, 1)},
			rowsum(func(i int) float64 { return normLP(x[i], 0, 1) })},
		{"NormalRowParams", func(in G.Nodes) (*G.Node, error) { return NormalLogProb(in[0], in[1], in[2]) },
			[]*tensor.Dense{dense(sh, x...), dense([]int{3}, loc[:3]...), dense([]int{1, 3}, scale[:3]...)},
			rowsum(func(i int) float64 { return normLP(x[i], loc[i%3], scale[i%3]) })},
		{"Laplace", func(in G.Nodes) (*G.Node, error) { return LaplaceLogProb(in[0], in[1], in[2]) },
			[]*tensor.Dense{dense(sh, x...), dense(sh, loc...), dense(sh, scale...)},
			rowsum(func(i int) float64 { return lapLP(x[i], loc[i], scale[i]) })},
		{"LaplaceColParams", func(in G.Nodes) (*G.Node, error) { return LaplaceLogProb(in[0], in[1], in[2]) },
			[]*tensor.Dense{dense(sh, x...), dense([]int{2, 1}, 0.5, -0.5), dense([]int{2, 1}, 1, 2)},
			rowsum(func(i int) float64 { return lapLP(x[i], []float64{0.5, -0.5}[i/3], []float64{1, 2}[i/3]) })},
		{"BernoulliLogits", func(in G.Nodes) (*G.Node, error) { return BernoulliLogitsLogProb(in[0], in[1]) },
			[]*tensor.Dense{dense(sh, bx...), dense(sh, logits...)},
			rowsum(func(i int) float64 {
				// log σ(l) and log(1-σ(l)) written stably for the reference
				lp := -math.Log1p(math.Exp(-logits[i]))
				lq := -math.Log1p(math.Exp(logits[i]))
				if logits[i] < -20 {
					lp = logits[i] - math.Log1p(math.Exp(logits[i]))
				}
				if logits[i] > 20 {
					lq = -logits[i] - math.Log1p(math.Exp(-logits[i]))
				}
				return bx[i]*lp + (1-bx[i])*lq
			})},
		{"BernoulliProbs", func(in G.Nodes) (*G.Node, error) { return BernoulliProbsLogProb(in[0], in[1], 0) },
			[]*tensor.Dense{dense(sh, bx...), dense(sh, 0.1, 0.5, 0.99, 0.3, 0, 1)},
			rowsum(func(i int) float64 {
				p := []float64{0.1, 0.5, 0.99, 0.3, DefaultEps, 1 - DefaultEps}[i]
				return bernLP(bx[i], p)
			})},
		{"CategoricalLogits", func(in G.Nodes) (*G.Node, error) { return CategoricalLogitsLogProb(in[0], in[1]) },
			[]*tensor.Dense{dense(sh, 0, 1, 0, 0, 0, 1), dense(sh, logits...)},
			[]float64{
				2 - math.Log(math.Exp(-30)+math.Exp(2)+math.Exp(0.5)),
				0 - (40 + math.Log(1+math.Exp(-41)+math.Exp(-40))),
			}},
		{"CategoricalLogitsRow", func(in G.Nodes) (*G.Node, error) { return CategoricalLogitsLogProb(in[0], in[1]) },
			[]*tensor.Dense{dense(sh, 1, 0, 0, 0, 0, 1), dense([]int{3}, 1, 2, 3)},
			[]float64{1 - math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)), 3 - math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3))}},
		{"CategoricalProbs", func(in G.Nodes) (*G.Node, error) { return CategoricalProbsLogProb(in[0], in[1], 0) },
			[]*tensor.Dense{dense(sh, 0, 1, 0, 0, 0, 1), dense(sh, 0.2, 0.3, 0.5, 1, 0, 0)},
			[]float64{math.Log(0.3), math.Log(DefaultEps)}},
	}
	for _, c := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, c.f, c.in...)
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			for i := range c.want {
				if math.Abs(got[i]-c.want[i]) > tol*math.Max(1, math.Abs(c.want[i])) {
					t.Errorf("%s %v row %d: got %.15g want %.15g", c.name, dt, i, got[i], c.want[i])
				}
			}
		}
	}
}

func TestLogProbGradients(t *testing.T) {
	r := newRand(3)
	m := func(lo, hi float64) *tensor.Dense { return gradcheck.Tensor(r, lo, hi, 3, 4) }
	onehot := dense([]int{3, 4}, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1)
	lx, lloc := m(-2, 2), m(-2, 2)
	for i, d := 0, lx.Data().([]float64); i < len(d); i++ {
		if math.Abs(d[i]-lloc.Data().([]float64)[i]) < 0.05 {
			d[i] += 0.2
		}
	}
	cases := []struct {
		name string
		f    gradcheck.Build
		in   []*tensor.Dense
	}{
		{"Normal", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return NormalLogProb(in[0], in[1], in[2]) }, []*tensor.Dense{m(-2, 2), m(-2, 2), m(0.3, 2)}},
		{"NormalRowParams", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return NormalLogProb(in[0], in[1], in[2]) },
			[]*tensor.Dense{m(-2, 2), gradcheck.Tensor(r, -1, 1, 4), gradcheck.Tensor(r, 0.5, 2, 1, 4)}},
		{"Laplace", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LaplaceLogProb(in[0], in[1], in[2]) }, []*tensor.Dense{lx, lloc, m(0.3, 2)}},
		{"BernoulliLogits", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BernoulliLogitsLogProb(in[0], in[1]) }, []*tensor.Dense{m(0, 1), m(-5, 5)}},
		{"BernoulliProbs", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BernoulliProbsLogProb(in[0], in[1], 0) }, []*tensor.Dense{m(0, 1), m(0.05, 0.95)}},
		{"CategoricalLogits", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			oh := G.NewTensor(g, tensor.Float64, 2, G.WithShape(3, 4), G.WithValue(onehot), G.WithName("onehot"))
			return CategoricalLogitsLogProb(oh, in[0])
		}, []*tensor.Dense{m(-3, 3)}},
		{"CategoricalProbs", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			oh := G.NewTensor(g, tensor.Float64, 2, G.WithShape(3, 4), G.WithValue(onehot), G.WithName("onehot"))
			return CategoricalProbsLogProb(oh, in[0], 0)
		}, []*tensor.Dense{m(0.05, 1)}},
		{"NormalSample", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			eps := G.NewTensor(g, tensor.Float64, 2, G.WithShape(3, 4), G.WithValue(gradcheck.Tensor(newRand(8), -2, 2, 3, 4)), G.WithName("eps"))
			return NormalSample(in[0], in[1], eps)
		}, []*tensor.Dense{m(-1, 1), m(0.2, 2)}},
		{"LaplaceSampleRowParams", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			eps := G.NewTensor(g, tensor.Float64, 2, G.WithShape(3, 4), G.WithValue(gradcheck.Tensor(newRand(8), -2, 2, 3, 4)), G.WithName("eps"))
			return LaplaceSample(in[0], in[1], eps)
		}, []*tensor.Dense{gradcheck.Tensor(r, -1, 1, 1, 4), gradcheck.Tensor(r, 0.2, 2, 4)}},
		{"NormalKL", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return NormalKL(Params{Loc: in[0], Scale: in[1]}, Params{Loc: in[2], Scale: in[3]})
		}, []*tensor.Dense{m(-1, 1), m(0.2, 2), m(-1, 1), m(0.2, 2)}},
		{"NormalKLRowPrior", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return NormalKL(Params{Loc: in[0], Scale: in[1]}, Params{Loc: in[2], Scale: in[3]})
		}, []*tensor.Dense{m(-1, 1), m(0.2, 2), gradcheck.Tensor(r, -1, 1, 1, 4), gradcheck.Tensor(r, 0.2, 2, 4)}},
		{"Concrete", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			gum := G.NewTensor(g, tensor.Float64, 2, G.WithShape(3, 4), G.WithValue(gradcheck.Tensor(newRand(9), -1, 3, 3, 4)), G.WithName("gumbel"))
			return ConcreteSample(in[0], gum, 0.66)
		}, []*tensor.Dense{m(-2, 2)}},
		{"ConcreteScoredAtArgmax", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			gum := G.NewTensor(g, tensor.Float64, 2, G.WithShape(3, 4), G.WithValue(gradcheck.Tensor(newRand(9), -1, 3, 3, 4)), G.WithName("gumbel"))
			y, err := ConcreteSample(in[0], gum, 0.66)
			if err != nil {
				return nil, err
			}
			h, err := Hard(y)
			if err != nil {
				return nil, err
			}
			return CategoricalLogitsLogProb(h, in[0])
		}, []*tensor.Dense{m(-2, 2)}},
	}
	for _, c := range cases {
		res, err := gradcheck.Check(c.f, 1, c.in...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: max rel err %.3g (%s)", c.name, res.MaxRel, res.Where)
		if res.MaxRel > 1e-6 {
			t.Errorf("%s: rel err %.3g at %s", c.name, res.MaxRel, res.Where)
		}
	}
}

func meanVar(xs []float64) (float64, float64) {
	var m, v float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, v / float64(len(xs)-1)
}

func TestNoiseMoments(t *testing.T) {
	const n = 200000
	cases := []struct {
		noise   Noise
		mean, v float64
	}{
		{StdNormal, 0, 1},
		{StdLaplace, 0, 2},
		{Gumbel, 0.5772156649015329, math.Pi * math.Pi / 6},
		{Uniform, 0.5, 1.0 / 12},
	}
	for _, c := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			buf := tensor.New(tensor.Of(dt), tensor.WithShape(n/100, 100))
			if err := Fill(c.noise, newRand(21), buf); err != nil {
				t.Fatal(err)
			}
			xs := make([]float64, n)
			switch d := buf.Data().(type) {
			case []float64:
				copy(xs, d)
			case []float32:
				for i, v := range d {
					xs[i] = float64(v)
				}
			}
			m, v := meanVar(xs)
			// 5 standard errors of the mean; 3% of the variance
			if math.Abs(m-c.mean) > 5*math.Sqrt(c.v/n) || math.Abs(v-c.v) > 0.03*c.v {
				t.Errorf("%v %v: mean %g var %g, want %g %g", c.noise, dt, m, v, c.mean, c.v)
			}
		}
	}
	a := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(4, 5))
	b := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(4, 5))
	_ = FillGumbel(newRand(5), a)
	_ = FillGumbel(newRand(5), b)
	for i, v := range a.Data().([]float64) {
		if v != b.Data().([]float64)[i] {
			t.Fatal("same seed gave different noise")
		}
	}
	if err := Fill(Noise{}, newRand(1), a); err == nil {
		t.Error("Fill accepted an unknown noise")
	}
}

// TestSamplerMoments draws many reparameterised samples through the graph
// and checks their mean and variance per column against loc and scale.
func TestSamplerMoments(t *testing.T) {
	const n = 40000
	loc := []float64{-1, 0.5, 3}
	scale := []float64{0.5, 1, 2}
	for _, c := range []struct {
		noise Noise
		vf    float64 // variance of the unit noise
	}{{StdNormal, 1}, {StdLaplace, 2}} {
		eps := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(n, 3))
		if err := Fill(c.noise, newRand(33), eps); err != nil {
			t.Fatal(err)
		}
		got := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) { return Reparam(in[0], in[1], in[2]) },
			dense([]int{3}, loc...), dense([]int{1, 3}, scale...), eps)
		for j := range loc {
			col := make([]float64, n)
			for i := range col {
				col[i] = got[i*3+j]
			}
			m, v := meanVar(col)
			wantV := scale[j] * scale[j] * c.vf
			if math.Abs(m-loc[j]) > 5*math.Sqrt(wantV/n) || math.Abs(v-wantV) > 0.04*wantV {
				t.Errorf("%v col %d: mean %g var %g want %g %g", c.noise, j, m, v, loc[j], wantV)
			}
		}
	}
	// Concrete: the argmax of the relaxed sample is a draw from
	// softmax(logits) at any temperature (the Gumbel-max trick); check its
	// frequencies (the mean of the one-hot) and their variance p(1-p).
	logits := []float64{0.5, -1, 1.5, 0}
	var z float64
	for _, l := range logits {
		z += math.Exp(l)
	}
	gum := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(n, 4))
	if err := FillGumbel(newRand(44), gum); err != nil {
		t.Fatal(err)
	}
	hard := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) {
		y, err := ConcreteSample(in[0], in[1], 0.66)
		if err != nil {
			return nil, err
		}
		return Hard(y)
	}, dense([]int{4}, logits...), gum)
	for k, l := range logits {
		col := make([]float64, n)
		for i := range col {
			col[i] = hard[i*4+k]
		}
		p := math.Exp(l) / z
		m, v := meanVar(col)
		if math.Abs(m-p) > 5*math.Sqrt(p*(1-p)/n) || math.Abs(v-p*(1-p)) > 0.05*p*(1-p) {
			t.Errorf("concrete class %d: freq %g var %g want %g %g", k, m, v, p, p*(1-p))
		}
	}
}

func TestShapeErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	bad := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 3), G.WithName("bad"))
	v := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v"))
	if _, err := NormalLogProb(x, bad, v); err == nil {
		t.Error("NormalLogProb accepted loc [3,3] for x [2,3]")
	}
	if _, err := NormalLogProb(v, v, v); err == nil {
		t.Error("NormalLogProb accepted a vector x")
	}
	if _, err := ConcreteSample(x, x, 0); err == nil {
		t.Error("ConcreteSample accepted temperature 0")
	}
	if _, err := Reparam(x, x, nil); err == nil {
		t.Error("Reparam accepted nil noise")
	}
}

// TestDiscreteSamplerMoments checks the Bernoulli and categorical samplers'
// frequencies (means) and variances p(1-p).
func TestDiscreteSamplerMoments(t *testing.T) {
	const n = 40000
	probs := []float64{0.05, 0.5, 0.8}
	u := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(n, 3))
	if err := FillUniform(newRand(55), u); err != nil {
		t.Fatal(err)
	}
	got := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) { return BernoulliSample(in[0], in[1]) }, dense([]int{3}, probs...), u)
	logits := []float64{1, 0, -1, 2}
	var z float64
	for _, l := range logits {
		z += math.Exp(l)
	}
	gum := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(n, 4))
	if err := FillGumbel(newRand(56), gum); err != nil {
		t.Fatal(err)
	}
	cat := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) { return CategoricalSample(in[0], in[1]) }, dense([]int{1, 4}, logits...), gum)
	check := func(name string, vals []float64, width, j int, p float64) {
		col := make([]float64, n)
		for i := range col {
			col[i] = vals[i*width+j]
		}
		m, v := meanVar(col)
		if math.Abs(m-p) > 5*math.Sqrt(p*(1-p)/n) || math.Abs(v-p*(1-p)) > 0.05*p*(1-p) {
			t.Errorf("%s %d: mean %g var %g want %g %g", name, j, m, v, p, p*(1-p))
		}
	}
	for j, p := range probs {
		check("bernoulli", got, 3, j, p)
	}
	for j, l := range logits {
		check("categorical", cat, 4, j, math.Exp(l)/z)
	}
}

// TestNormalKLStandardPrior: KL(N(μ, σ) ‖ N(0, 1)) with the prior's
// parameters given as scalar constants (as a spec's Normal(loc: 0, scale: 1)
// lowers) is the VAE formula ½ Σ (σ² + μ² − 1 − 2 log σ), per row.
func TestNormalKLStandardPrior(t *testing.T) {
	mu := []float64{0.3, -1, 2.5, 0, 0.9, -0.2}
	sigma := []float64{1.5, 0.7, 2, 0.4, 1, 3}
	got := eval(t, tensor.Float64, func(in G.Nodes) (*G.Node, error) {
		g := in[0].Graph()
		zero, one := g.AddNode(G.NewConstant(0.0)), g.AddNode(G.NewConstant(1.0))
		return NormalKL(Params{Loc: in[0], Scale: in[1]}, Params{Loc: zero, Scale: one})
	}, dense([]int{2, 3}, mu...), dense([]int{2, 3}, sigma...))
	for r := 0; r < 2; r++ {
		want := 0.0
		for j := 3 * r; j < 3*r+3; j++ {
			want += 0.5 * (sigma[j]*sigma[j] + mu[j]*mu[j] - 1 - 2*math.Log(sigma[j]))
		}
		if math.Abs(got[r]-want) > 1e-12 {
			t.Errorf("row %d: KL %.15g, want %.15g", r, got[r], want)
		}
	}
}

package compiler

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/lang/check"
)

// exprCase is one expression of the language lowered through a probe spec:
// its value at hand-computed points, and its gradient (at those points and
// at random ones) against central finite differences.
type exprCase struct {
	name   string
	lats   []latent
	expr   string
	points []exprPoint
	lo, hi float64 // the range of the random rows of the gradient check
}

// exprPoint is one data point: the latents' values and out's value there,
// computed by hand (normalize is exact up to its 1e-8 guard: within 1e-8).
type exprPoint struct {
	in   map[string][]float64
	want []float64
}

// Latents of the probe specs: a and b have 3 channels at 2 positions (like
// an image of normals), l and m are 3-vectors (like a light direction), c
// has a leading axis of 1, s is a 1-vector.
var (
	latA = latent{"a", "[3, 2]"}
	latB = latent{"b", "[3, 2]"}
	latL = latent{"l", "[3]"}
	latM = latent{"m", "[3]"}
	latC = latent{"c", "[1, 2]"}
	latS = latent{"s", "[1]"}
)

func pt(want []float64, kv ...any) exprPoint {
	p := exprPoint{in: map[string][]float64{}, want: want}
	for i := 0; i < len(kv); i += 2 {
		p.in[kv[i].(string)] = kv[i+1].([]float64)
	}
	return p
}

type vec = []float64

const third = 1.0 / 3

var exprCases = []exprCase{
	// normalize: unit length along the first axis, per position.
	{name: "normalize image", lats: []latent{latA}, expr: "normalize(a)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{0.6, third, 0.8, 2 * third, 0, 2 * third}, "a", vec{3, 1, 4, 2, 0, 2}),
		pt(vec{-1, 0, 0, 0, 0, 1}, "a", vec{-2, 0, 0, 0, 0, 5}),
	}},
	{name: "normalize vector", lats: []latent{latL}, expr: "normalize(l)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{third, 2 * third, 2 * third}, "l", vec{1, 2, 2}),
	}},
	// dot contracts the first axis.
	{name: "dot image vector", lats: []latent{latA, latL}, expr: "dot(a, l)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{5, 0}, "a", vec{3, 1, 4, 2, 0, 2}, "l", vec{1, 0.5, -1}),
	}},
	{name: "dot vectors", lats: []latent{latL, latM}, expr: "dot(l, m)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{12}, "l", vec{1, 2, 3}, "m", vec{4, -5, 6}),
	}},
	// Lambert's cosine law as the faces spec writes it: max against the
	// constant 0 of a dot with a normalized vector.
	{name: "lambert", lats: []latent{latA, latL}, expr: "max(0, dot(a, normalize(l)))", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{0.48, 1}, "a", vec{0.6, 0, 0.8, 0.6, 0, 0.8}, "l", vec{0, 3, 4}),
		pt(vec{0, 0}, "a", vec{0.6, 0, 0.8, 0.6, 0, 0.8}, "l", vec{0, -3, -4}),
		pt(vec{0.6, 0.8}, "a", vec{0, 0, -1, 0, 0, -1}, "l", vec{0, -3, -4}),
	}},
	// max and min, between values, against constants on either side, and
	// broadcast over a leading axis of 1.
	{name: "max", lats: []latent{latA, latB}, expr: "max(a, b)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{1, -1, 4, 0.5, -1, 2.5}, "a", vec{1, -2, 3, 0.5, -1, 2}, "b", vec{0, -1, 4, 0.25, -3, 2.5}),
	}},
	{name: "min", lats: []latent{latA, latB}, expr: "min(a, b)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{0, -2, 3, 0.25, -3, 2}, "a", vec{1, -2, 3, 0.5, -1, 2}, "b", vec{0, -1, 4, 0.25, -3, 2.5}),
	}},
	{name: "max zero first", lats: []latent{latA}, expr: "max(0, a)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{1, 0, 3, 0.4, 0, 2}, "a", vec{1, -2, 3, 0.4, -1, 2}),
	}},
	{name: "max constant second", lats: []latent{latA}, expr: "max(a, 0.5)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{1, 0.5, 3, 0.5, 0.5, 2}, "a", vec{1, -2, 3, 0.4, -1, 2}),
	}},
	{name: "min constant first", lats: []latent{latA}, expr: "min(0, a)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{0, -2, 0, 0, -1, 0}, "a", vec{1, -2, 3, 0.4, -1, 2}),
	}},
	{name: "min constant second", lats: []latent{latA}, expr: "min(a, -0.5)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{-0.5, -2, -0.5, -0.5, -1, -0.5}, "a", vec{1, -2, 3, 0.4, -1, 2}),
	}},
	{name: "max leading axis 1", lats: []latent{latA, latC}, expr: "max(a, c)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{1, 1, 3, 1, 0.5, 2}, "a", vec{1, -2, 3, 0.4, -1, 2}, "c", vec{0.5, 1}),
	}},
	{name: "clamp", lats: []latent{latA}, expr: "clamp(a, -0.5, 0.5)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{0.5, -0.5, 0.3, 0.4, -0.1, 0.5}, "a", vec{1, -2, 0.3, 0.4, -0.1, 2}),
	}},
	// Element-wise functions.
	{name: "log", lats: []latent{latA}, expr: "log(a)", lo: 0.2, hi: 2, points: []exprPoint{
		pt(vec{0, 1, 2, math.Log(0.5), math.Ln2, math.Ln10}, "a", vec{1, math.E, math.E * math.E, 0.5, 2, 10}),
	}},
	{name: "sqrt", lats: []latent{latA}, expr: "sqrt(a)", lo: 0.2, hi: 2, points: []exprPoint{
		pt(vec{2, 3, 0.5, 1, math.Sqrt2, 4}, "a", vec{4, 9, 0.25, 1, 2, 16}),
	}},
	{name: "abs", lats: []latent{latA}, expr: "abs(a)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{1, 2, 3, 0.4, 1, 2}, "a", vec{1, -2, 3, -0.4, -1, 2}),
	}},
	{name: "square", lats: []latent{latA}, expr: "square(a)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{1, 4, 9, 0.25, 0, 4}, "a", vec{1, -2, 3, -0.5, 0, 2}),
	}},
	{name: "exp", lats: []latent{latA}, expr: "exp(a)", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{1, math.E, 1 / math.E, math.Exp(0.5), math.Exp(2), math.Exp(-2)}, "a", vec{0, 1, -1, 0.5, 2, -2}),
	}},
	{name: "negation", lats: []latent{latA}, expr: "-a", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{-1, 2, -3, 0.5, 0, -2}, "a", vec{1, -2, 3, -0.5, 0, 2}),
	}},
	// Arithmetic: same shapes, a scalar constant on either side, a leading
	// axis of 1 on either side, a 1-vector against a vector.
	{name: "same shapes", lats: []latent{latA, latB}, expr: "a * b - a / b + b", lo: 0.5, hi: 2, points: []exprPoint{
		pt(vec{3.5, 1, -1, 11.5, 1, 1}, "a", vec{1, 3, 1, 2, 1, 3}, "b", vec{2, 1, 0.5, 4, 1, 1}),
	}},
	{name: "scalar constants", lats: []latent{latA}, expr: "2 * a + 1.5 - a / 4 + 3 / a - (1 - a)", lo: 0.5, hi: 2, points: []exprPoint{
		// 2a + 1.5 − a/4 + 3/a − 1 + a = 2.75a + 0.5 + 3/a
		pt(vec{6.25, 7.5, 12.25, 7.875, 9.75, 17.5}, "a", vec{1, 2, 4, 0.5, 3, 6}),
	}},
	{name: "leading axis 1", lats: []latent{latA, latC}, expr: "a * c + (c - a) / c", lo: 0.5, hi: 2, points: []exprPoint{
		// channel-major: a = [a00 a01 | a10 a11 | a20 a21], c = [c0 c1]
		pt(vec{2.5, 12.25, 4, 4.75, 7, 8.5}, "a", vec{1, 3, 2, 1, 4, 2}, "c", vec{2, 4}),
	}},
	{name: "one-vector against a vector", lats: []latent{latL, latS}, expr: "l * s + s", lo: -1, hi: 1, points: []exprPoint{
		pt(vec{4, 6, 8}, "l", vec{1, 2, 3}, "s", vec{2}),
	}},
}

// shapeSize is the number of values of a shape written "[d1, d2]".
func shapeSize(t *testing.T, s string) int {
	t.Helper()
	n := 1
	for _, f := range strings.Split(strings.Trim(s, "[]"), ",") {
		d, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("shape %s: %v", s, err)
		}
		n *= d
	}
	return n
}

// TestExprLowering checks the value of each expression at hand-computed
// points and its gradient against finite differences, in float64, through
// the lowering of a tiny spec.
func TestExprLowering(t *testing.T) {
	for _, c := range exprCases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			n := len(c.points[0].want)
			const random = 2
			R := len(c.points) + random
			pr := newProbe(t, exprSpec(c.expr, n, c.lats...), R)
			rng := rand.New(rand.NewPCG(uint64(len(c.name)), 3))
			for _, l := range c.lats {
				d := shapeSize(t, l.shape)
				rows := randRows(rng, R, d, c.lo, c.hi)
				for i, p := range c.points {
					rows[i] = p.in[l.name]
				}
				pr.set(l.name, rows...)
			}
			out := pr.let("out", -1)
			got := pr.run(out)[0]
			for i, p := range c.points {
				if row := got[i*n : (i+1)*n]; !near(row, p.want, 1e-8) {
					t.Errorf("%s at %v = %v, want %v", c.expr, p.in, row, p.want)
				}
			}
			names := make([]string, len(c.lats))
			for i, l := range c.lats {
				names[i] = l.name
			}
			res := pr.gradCheck(out, 1e-6, names...)
			t.Logf("%s: worst relative gradient error %.2e", c.expr, res.MaxRel)
		})
	}
}

// TestNormalizeNearZero: normalize of a zero vector, and of a vector of
// length 1e-7, has a finite value and a finite gradient.
func TestNormalizeNearZero(t *testing.T) {
	pr := newProbe(t, exprSpec("normalize(a)", 6, latA), 3)
	pr.set("a", vec{0, 0, 0, 0, 0, 0}, vec{1e-7, 0, 0, 0, 1e-7, 0}, vec{0, 1, 0, 0, 0, 0})
	out := pr.let("out", -1)
	got := pr.run(out)[0]
	for i, v := range got {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1 {
			t.Fatalf("normalize near zero: value %d = %v (all %v)", i, v, got)
		}
	}
	if got[0] != 0 || got[2] != 0 || got[4] != 0 {
		t.Errorf("normalize(0) = %v, want 0", got[:6])
	}
	// The gradient is finite; finite differences over a step of 1e-5 see
	// the curvature of the 1e-8 guard, so they agree only roughly.
	res := pr.gradCheck(out, 0.05, "a")
	t.Logf("worst relative error near zero %.2e (%s)", res.MaxRel, res.Where)
}

// TestUnaryTable: every unary function the checker accepts has a lowering,
// and its constant fold agrees with the lowered op at a few points.
func TestUnaryTable(t *testing.T) {
	us := unaries()
	if len(us) != len(check.UnaryFuncs()) {
		t.Errorf("compiler lowers %d unary functions, the checker accepts %d", len(us), len(check.UnaryFuncs()))
	}
	for _, name := range check.UnaryFuncs() {
		u, ok := us[name]
		if !ok {
			t.Errorf("unary function %s has no lowering", name)
			continue
		}
		xs := []float64{0.25, 1.5, 3}
		g := G.NewGraph()
		x := G.NewVector(g, tensor.Float64, G.WithShape(len(xs)), G.WithValue(tensor.New(tensor.WithBacking(append([]float64(nil), xs...)))))
		y, err := u.lower(x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := y.Value().Data().([]float64)
		for i, v := range xs {
			if want := u.fold(v); math.Abs(got[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("%s(%g): lowered %v, folded %v", name, v, got[i], want)
			}
		}
		vm.Close()
	}
}

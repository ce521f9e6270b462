package ops

import (
	"math"
	"strings"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestActivationValues(t *testing.T) {
	xs := []float64{-800, -30, -1.5, -1e-3, 0, 1e-3, 0.7, 30, 800}
	ref := map[Act]func(float64) float64{
		None:     func(x float64) float64 { return x },
		ReLU:     func(x float64) float64 { return math.Max(x, 0) },
		Softplus: func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) },
		Sigmoid:  func(x float64) float64 { return 0.5 * (1 + math.Tanh(x/2)) },
		Tanh:     math.Tanh,
		ELU: func(x float64) float64 {
			if x > 0 {
				return x
			}
			return math.Exp(x) - 1
		},
	}
	for _, a := range Acts() {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
				y, err := Activate(in[0], a)
				if err != nil || a != None {
					return y, err
				}
				return G.Add(y, in[0]) // None returns x itself; double it to get an op
			}, dense([]int{1, len(xs)}, xs...))
			for i, x := range xs {
				want := ref[a](x)
				if a == None {
					want *= 2
				}
				tolr := 1e-12
				if dt == tensor.Float32 {
					tolr = 1e-6
				}
				if math.IsInf(got[i], 0) || math.IsNaN(got[i]) || !closeTo(got[i], want, tolr) {
					t.Errorf("%s %v at %g: got %g want %g", a, dt, x, got[i], want)
				}
			}
		}
	}
	if _, err := ParseAct("gelu"); err == nil {
		t.Error("ParseAct accepted gelu")
	}
}

func TestActivationGradients(t *testing.T) {
	r := newRand(2)
	for _, a := range Acts() {
		if a == None {
			continue
		}
		// keep ReLU/ELU inputs away from the kink at 0
		x := gradcheck.Tensor(r, 0.05, 2, 3, 5)
		d := x.Data().([]float64)
		for i := range d {
			if i%2 == 0 {
				d[i] = -d[i]
			}
		}
		a := a
		checkGrad(t, "Activate/"+string(a), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Activate(in[0], a) }, x)
		for _, rep := range []int{1, 5} {
			x := gradcheck.Tensor(r, -2, 2, 3, 5*2)
			b := gradcheck.Tensor(r, -1, 1, 10/rep)
			if a == ReLU || a == ELU {
				// pre-activations away from 0
				xd, bd := x.Data().([]float64), b.Data().([]float64)
				for i := range xd {
					pre := xd[i] + bd[(i%10)/rep]
					if math.Abs(pre) < 0.05 {
						xd[i] += 0.2
					}
				}
			}
			rep := rep
			checkGrad(t, "BiasAct/"+string(a), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BiasAct(in[0], in[1], rep, a) }, x, b)
		}
	}
	checkGrad(t, "BiasAdd", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BiasAdd(in[0], in[1]) },
		gradcheck.Tensor(r, -1, 1, 4, 3), gradcheck.Tensor(r, -1, 1, 3))
}

func TestBiasActShapes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 6))
	if _, err := BiasAct(x, G.NewVector(g, tensor.Float32, G.WithShape(4)), 1, ReLU); err == nil {
		t.Error("accepted bias [4] for x [4,6]")
	}
	if _, err := BiasAct(x, G.NewVector(g, tensor.Float32, G.WithShape(2)), 3, ReLU); err != nil {
		t.Errorf("rejected bias [2] repeated 3 for x [4,6]: %v", err)
	}
	if _, err := BiasAct(x, G.NewVector(g, tensor.Float32, G.WithShape(6)), 1, "gelu"); err == nil {
		t.Error("accepted activation gelu")
	}
}

func TestExpm1(t *testing.T) {
	for _, x := range []float64{-50, -3, -0.5, -0.0100001, -0.0099999, -1e-5, -1e-12, 0, 1e-9, 0.003, 0.00999, 0.01, 0.5, 3, 40} {
		want := math.Expm1(x)
		if got := expm1(x); math.Abs(got-want) > 5e-14*math.Abs(want) {
			t.Errorf("expm1(%g) = %.17g want %.17g", x, got, want)
		}
	}
}

// TestInplaceKeepsInputs runs a graph whose in-place ops read input and
// parameter nodes directly, twice, and checks that neither the inputs nor
// the outputs change (the in-place path must never write over a node's own
// value).
func TestInplaceKeepsInputs(t *testing.T) {
	g := G.NewGraph()
	xv := dense([]int{2, 3}, -1, 0.5, 2, 3, -4, 0.25)
	bv := dense([]int{3}, 0.1, -0.2, 0.3)
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithValue(xv))
	b := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithValue(bv))
	h, err := BiasAct(x, b, 1, ReLU)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := Activate(h, Softplus)
	if err != nil {
		t.Fatal(err)
	}
	h3, err := Activate(x, Tanh)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := G.Sum(h2)
	s2, _ := G.Sum(h3)
	loss, err := G.Add(s1, s2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(loss, x, b); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(x, b))
	defer m.Close()
	var first float64
	for i := 0; i < 3; i++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		v := loss.Value().Data().(float64)
		if i == 0 {
			first = v
		} else if v != first {
			t.Fatalf("run %d: loss %v, first run %v", i, v, first)
		}
	}
	want := []float64{-1, 0.5, 2, 3, -4, 0.25}
	for i, v := range xv.Data().([]float64) {
		if v != want[i] {
			t.Fatalf("input changed: %v", xv.Data())
		}
	}
}

// TestReLUKernels: the branch-free ReLU and its gradient give, to the bit,
// Go's max(x, 0) and "g where y > 0, else 0", in both dtypes, on signed
// zeros, infinities, subnormals and ordinary values (a NaN gives a NaN).
func TestReLUKernels(t *testing.T) {
	in := []float64{0, math.Copysign(0, -1), 1, -1, 1e-310, -1e-310, 3.5e38, -3.5e38,
		math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(), math.Float64frombits(0xfff8000000000001), 2.5, -7}
	g := make([]float64, len(in))
	for i := range g {
		g[i] = float64(i) - 6.5
	}
	check := func(name string, got, want []uint64) {
		for i := range want {
			if math.IsNaN(in[i]) && strings.Contains(name, "relu") {
				// Go's max returns some NaN; reluK returns its input.
				if g := math.Float64frombits(got[i]); !math.IsNaN(g) && !math.IsNaN(float64(math.Float32frombits(uint32(got[i])))) {
					t.Errorf("%s input NaN: %v", name, g)
				}
				continue
			}
			if got[i] != want[i] {
				t.Errorf("%s input %v: bits %#x, want %#x", name, in[i], got[i], want[i])
			}
		}
	}
	out, dx := make([]float64, len(in)), make([]float64, len(in))
	reluK(out, in)
	reluGradK(dx, in, g)
	var gotF, wantF, gotG, wantG []uint64
	for i, v := range in {
		w, wg := max(v, 0), 0.0
		if v > 0 {
			wg = g[i]
		}
		gotF, wantF = append(gotF, math.Float64bits(out[i])), append(wantF, math.Float64bits(w))
		gotG, wantG = append(gotG, math.Float64bits(dx[i])), append(wantG, math.Float64bits(wg))
	}
	check("float64 relu", gotF, wantF)
	check("float64 grad", gotG, wantG)
	in32, g32 := f32s(in), f32s(g)
	out32, dx32 := make([]float32, len(in)), make([]float32, len(in))
	reluK(out32, in32)
	reluGradK(dx32, in32, g32)
	gotF, wantF, gotG, wantG = nil, nil, nil, nil
	for i, v := range in32 {
		w, wg := max(v, 0), float32(0)
		if v > 0 {
			wg = g32[i]
		}
		gotF, wantF = append(gotF, uint64(math.Float32bits(out32[i]))), append(wantF, uint64(math.Float32bits(w)))
		gotG, wantG = append(gotG, uint64(math.Float32bits(dx32[i]))), append(wantG, uint64(math.Float32bits(wg)))
	}
	check("float32 relu", gotF, wantF)
	check("float32 grad", gotG, wantG)
}

// act32Inputs are the inputs of the float32 kernel tests: a uniform grid
// over [−100, 100], magnitudes 1e-30 … 100 spaced evenly in log (so x near
// 0 and the exp(x) tail of softplus and sigmoid down to −87), and special
// values (signed zeros, subnormals, the flush edge at expFloor32, the
// float32 extremes, infinities, NaNs).
func act32Inputs() []float32 {
	var xs []float32
	for i := -100000; i <= 100000; i++ {
		xs = append(xs, float32(i)/1000)
	}
	for i := 0; i <= 40000; i++ {
		m := float32(math.Pow(10, -30+32*float64(i)/40000))
		xs = append(xs, m, -m)
	}
	nan := float32(math.NaN())
	return append(xs, 0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, -87, -86.99, -87.01, -87.5, 87, 88.7, 89,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), nan, -nan)
}

// ulp32 is |got − want| in units of the float32 spacing at want (0 when
// both are the same infinity or both NaN, +Inf when only one is NaN).
func ulp32(got float32, want float64) float64 {
	g := float64(got)
	switch {
	case math.IsNaN(want) || math.IsNaN(g):
		if math.IsNaN(want) && math.IsNaN(g) {
			return 0
		}
		return math.Inf(1)
	case g == want:
		return 0
	}
	w := float32(math.Abs(want))
	return math.Abs(g-want) / float64(math.Nextafter32(w, float32(math.Inf(1)))-w)
}

// flushed reports whether got is an acceptable stand-in for a result want
// in the flush range: 0, or a normal float32 no larger than 2e-38.
func flushed(got float32, want float64) bool {
	return math.Abs(want) < 2e-38 && (got == 0 || math.Abs(float64(got)) >= 0x1p-126 && math.Abs(float64(got)) <= 2e-38)
}

// TestAct32ULP compares the float32 activation kernels and the softplus
// gradient with the float64 activations over act32Inputs, with vek's AVX2
// exp and log (where the CPU has them) and with the float64 fallback
// (accel false; vek's arithmetic keeps its AVX2 kernels), and reports the
// largest error in ulp. It also checks that no output is subnormal (for
// normal inputs), that NaN gives NaN, and that out may be the input.
func TestAct32ULP(t *testing.T) {
	xs := act32Inputs()
	var ys []float32 // softplus outputs, for the gradient
	for _, x := range xs {
		if y := float32(actF(Softplus, float64(x))); y >= 0x1p-126 || y == 0 || y != y {
			ys = append(ys, y)
		}
	}
	ones := make([]float32, len(ys))
	for i := range ones {
		ones[i] = 1
	}
	elu := func(x float64) float64 {
		if x > 0 {
			return x
		}
		return math.Expm1(x)
	}
	cases := []struct {
		name string
		f    func(out, in []float32, accel bool)
		in   []float32
		want func(x float64) float64
		tol  float64 // ulp
	}{
		{"softplus", softplus32, xs, func(x float64) float64 { return actF(Softplus, x) }, 3},
		{"sigmoid", sigmoid32, xs, func(x float64) float64 { return actF(Sigmoid, x) }, 3},
		{"tanh", tanh32, xs, math.Tanh, 4},
		{"elu", elu32, xs, elu, 3},
		// at g = 1 the softplus gradient is sigmoid(x) = −expm1(−y)
		{"softplus'", func(o, y []float32, accel bool) { softplusGrad32(o, y, ones[:len(y)], accel) }, ys,
			func(y float64) float64 { return -math.Expm1(-y) }, 3},
	}
	for _, c := range cases {
		for _, accel := range []bool{vekAccel, false} {
			got := make([]float32, len(c.in))
			c.f(got, c.in, accel)
			worst, at := 0.0, float32(0)
			for i, x := range c.in {
				want := c.want(float64(x))
				if x != x && got[i] == got[i] {
					t.Errorf("%s(NaN) = %v", c.name, got[i])
				}
				if flushed(got[i], want) {
					continue
				}
				if g := math.Abs(float64(got[i])); g != 0 && g < 0x1p-126 && math.Abs(float64(x)) >= 0x1p-126 {
					t.Errorf("%s(%g) = %g is subnormal", c.name, x, got[i])
				}
				if u := ulp32(got[i], want); u > worst {
					worst, at = u, x
				}
			}
			t.Logf("%-9s accel %-5v: max error %.2f ulp (at %g)", c.name, accel, worst, at)
			if worst > c.tol {
				t.Errorf("%s, accel %v: max error %.2f ulp at %g, want ≤ %g", c.name, accel, worst, at, c.tol)
			}
			inplace := append([]float32(nil), c.in...)
			c.f(inplace, inplace, accel)
			for i := range inplace {
				if math.Float32bits(inplace[i]) != math.Float32bits(got[i]) {
					t.Fatalf("%s in place at %g: %g, out of place %g", c.name, c.in[i], inplace[i], got[i])
				}
			}
		}
	}
	if !vekAccel {
		t.Log("vek has no AVX2 kernels on this CPU: both runs took the fallback")
	}
}

// TestBiasActBlocks checks the fused bias add and activation, which works a
// block of rows at a time, against adding the bias and activating each
// element alone: bit for bit in float64 and in float32 (the float32
// kernels do not round an element differently by where it falls in a
// chunk), for rows that do and do not fill a block, with and without
// repeats, out of place and in place.
func TestBiasActBlocks(t *testing.T) {
	r := newRand(5)
	shapes := []struct{ rows, c, rep int }{{21, 500, 1}, {3, 5000, 1}, {9, 3, 25}, {1, 7, 1}, {40, 10, 1}}
	for _, a := range Acts() {
		for _, s := range shapes {
			d := s.c * s.rep
			x64, b64 := make([]float64, s.rows*d), make([]float64, s.c)
			for i := range x64 {
				x64[i] = 12*r.Float64() - 6
			}
			for i := range b64 {
				b64[i] = r.Float64() - 0.5
			}
			x32, b32 := f32s(x64), f32s(b64)
			want64, want32 := make([]float64, len(x64)), make([]float32, len(x32))
			for i := range x64 {
				c := i % d / s.rep
				actK(a, want64[i:i+1], []float64{x64[i] + b64[c]})
				actK(a, want32[i:i+1], []float32{x32[i] + b32[c]})
			}
			got64, got32 := make([]float64, len(x64)), make([]float32, len(x32))
			biasActK(a, got64, x64, b64, s.rep)
			biasActK(a, got32, x32, b32, s.rep)
			in32 := append([]float32(nil), x32...)
			biasActK(a, in32, in32, b32, s.rep)
			for i := range x64 {
				if math.Float64bits(got64[i]) != math.Float64bits(want64[i]) {
					t.Fatalf("%s %+v float64 elem %d: got %v want %v", a, s, i, got64[i], want64[i])
				}
				if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) || math.Float32bits(in32[i]) != math.Float32bits(want32[i]) {
					t.Fatalf("%s %+v float32 elem %d: got %v (in place %v) want %v", a, s, i, got32[i], in32[i], want32[i])
				}
			}
		}
	}
}

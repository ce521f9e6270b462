package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"ssdgm/compiler/internal/gradcheck"
	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

// buildAll registers one block of every kind in a fresh set.
func buildAll(t *testing.T, dt tensor.Dtype, seed uint64) *Params {
	t.Helper()
	ps, err := NewParams(dt)
	if err != nil {
		t.Fatal(err)
	}
	r := newRand(seed)
	if _, err := NewMLP(ps, "trunk", r, 784, []int{256}, 10, ops.ReLU, ops.None); err != nil {
		t.Fatal(err)
	}
	if _, err := NewConv2d(ps, "enc", r, []int{3, 32, 32}, []int{8, 16}, 4, 2, 1, ops.ReLU, ops.ELU); err != nil {
		t.Fatal(err)
	}
	if _, err := NewConvTranspose2d(ps, "dec", r, []int{16, 8, 8}, []int{8, 3}, 4, 2, 1, ops.ReLU, ops.Sigmoid); err != nil {
		t.Fatal(err)
	}
	if _, err := NewGRU(ps, "rnn", r, 20, 12); err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestSameSeedSameParams(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		a, b, c := buildAll(t, dt, 42), buildAll(t, dt, 42), buildAll(t, dt, 43)
		la, lb, lc := a.List(), b.List(), c.List()
		if len(la) != len(lb) || a.Count() != b.Count() {
			t.Fatalf("%v: different parameter lists", dt)
		}
		differs := false
		for i := range la {
			if la[i].Name != lb[i].Name || fmt.Sprint(la[i].Shape) != fmt.Sprint(lb[i].Shape) {
				t.Fatalf("%v: param %d: %s%v vs %s%v", dt, i, la[i].Name, la[i].Shape, lb[i].Name, lb[i].Shape)
			}
			switch da := la[i].value.Data().(type) {
			case []float64:
				db, dc := lb[i].F64(), lc[i].F64()
				for j := range da {
					if math.Float64bits(da[j]) != math.Float64bits(db[j]) {
						t.Fatalf("%v: %s[%d] differs with the same seed", dt, la[i].Name, j)
					}
					differs = differs || da[j] != dc[j]
				}
			case []float32:
				db, dc := lb[i].F32(), lc[i].F32()
				for j := range da {
					if math.Float32bits(da[j]) != math.Float32bits(db[j]) {
						t.Fatalf("%v: %s[%d] differs with the same seed", dt, la[i].Name, j)
					}
					differs = differs || da[j] != dc[j]
				}
			}
		}
		if !differs {
			t.Errorf("%v: seeds 42 and 43 gave the same parameters", dt)
		}
	}
	ps := buildAll(t, tensor.Float64, 1)
	want := []string{"trunk.l0.W", "trunk.l0.b", "trunk.l1.W", "trunk.l1.b", "enc.l0.W", "enc.l0.b"}
	for i, w := range want {
		if ps.List()[i].Name != w {
			t.Errorf("param %d is %s, want %s", i, ps.List()[i].Name, w)
		}
	}
	if got := ps.CountPrefix("trunk"); got != 784*256+256+256*10+10 {
		t.Errorf("trunk has %d scalars", got)
	}
	// He uniform bound for the ReLU layer, zero biases
	lim := math.Sqrt(6.0 / 784)
	for _, v := range ps.Get("trunk.l0.W").F64() {
		if math.Abs(v) > lim {
			t.Fatalf("trunk.l0.W value %g beyond He bound %g", v, lim)
		}
	}
	for _, v := range ps.Get("trunk.l0.b").F64() {
		if v != 0 {
			t.Fatal("bias not zero")
		}
	}
}

func TestOutShapes(t *testing.T) {
	ps, _ := NewParams(tensor.Float32)
	r := newRand(1)
	mlp, err := NewMLP(ps, "m", r, 12, []int{5, 4}, 0, ops.Tanh, ops.None)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := NewConv2d(ps, "c", r, []int{1, 28, 28}, []int{4, 8}, 4, 2, 1, ops.ReLU, ops.ReLU)
	if err != nil {
		t.Fatal(err)
	}
	convT, err := NewConvTranspose2d(ps, "t", r, []int{8, 7, 7}, []int{4, 1}, 4, 2, 1, ops.ReLU, ops.None)
	if err != nil {
		t.Fatal(err)
	}
	gru, err := NewGRU(ps, "g", r, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    func([]int) ([]int, error)
		in   []int
		want string // shape, or "error"
	}{
		{"mlp flat", mlp.OutShape, []int{12}, "[4]"},
		{"mlp image", mlp.OutShape, []int{3, 2, 2}, "[4]"},
		{"mlp wrong", mlp.OutShape, []int{13}, "error"},
		{"mlp empty", mlp.OutShape, nil, "error"},
		{"mlp zero", mlp.OutShape, []int{0, 12}, "error"},
		{"conv", conv.OutShape, []int{1, 28, 28}, "[8 7 7]"},
		{"conv wrong", conv.OutShape, []int{1, 32, 32}, "error"},
		{"convT", convT.OutShape, []int{8, 7, 7}, "[1 28 28]"},
		{"gru", gru.OutShape, []int{6}, "[3]"},
		{"gru wrong", gru.OutShape, []int{7}, "error"},
	}
	for _, c := range cases {
		got, err := c.f(c.in)
		s := fmt.Sprint(got)
		if err != nil {
			s = "error"
		}
		if s != c.want {
			t.Errorf("%s: got %s (%v) want %s", c.name, s, err, c.want)
		}
	}
	bad := []struct {
		name string
		err  error
	}{
		{"kernel too big", func() error {
			_, err := NewConv2d(ps, "c2", r, []int{1, 4, 4}, []int{2}, 7, 1, 0, ops.ReLU, ops.ReLU)
			return err
		}()},
		{"conv shrinks to nothing", func() error {
			_, err := NewConv2d(ps, "c3", r, []int{1, 8, 8}, []int{2, 2, 2, 2}, 4, 2, 0, ops.ReLU, ops.ReLU)
			return err
		}()},
		{"not CHW", func() error {
			_, err := NewConv2d(ps, "c4", r, []int{28, 28}, []int{2}, 3, 1, 1, ops.ReLU, ops.ReLU)
			return err
		}()},
		{"duplicate name", func() error { _, err := NewLinear(ps, "m.l0", r, 2, 2, ops.None); return err }()},
		{"bad act", func() error { _, err := NewLinear(ps, "x", r, 2, 2, "swish"); return err }()},
		{"no layers", func() error { _, err := NewMLP(ps, "y", r, 2, nil, 0, ops.ReLU, ops.None); return err }()},
		{"zero size", func() error { _, err := NewLinear(ps, "z", r, 0, 2, ops.None); return err }()},
		{"convT empty", func() error {
			_, err := NewConvTranspose2d(ps, "t2", r, []int{1, 1, 1}, []int{1}, 1, 1, 1, ops.ReLU, ops.ReLU)
			return err
		}()},
	}
	for _, b := range bad {
		if b.err == nil {
			t.Errorf("%s: no error", b.name)
		}
	}
	// Apply with a mismatched input is an error, not a panic.
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 13), G.WithName("x"))
	if _, err := mlp.Apply(g, x); err == nil {
		t.Error("mlp applied to [2,13]")
	}
	if _, err := mlp.Apply(G.NewGraph(), x); err == nil {
		t.Error("mlp applied to a node of another graph")
	}
	if _, err := gru.Step(g, x, x); err == nil {
		t.Error("gru stepped with wrong shapes")
	}
}

// check runs a gradient check of build over the block's parameters (set to
// float64) and the extra inputs.
func check(t *testing.T, name string, ps *Params, build func(g *G.ExprGraph, in G.Nodes) (*G.Node, error), inputs ...*tensor.Dense) {
	t.Helper()
	g := G.NewGraph()
	in := make(G.Nodes, len(inputs))
	for i, x := range inputs {
		in[i] = G.NewTensor(g, tensor.Float64, 2, G.WithShape(x.Shape().Clone()...), G.WithValue(x), G.WithName(fmt.Sprint("input", i)))
	}
	out, err := build(g, in)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	wrt := append(ps.Nodes(g), in...)
	res, err := gradcheck.CheckGraph(g, out, wrt, 5)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s: max rel err %.3g (%s)", name, res.MaxRel, res.Where)
	if res.MaxRel > 1e-6 {
		t.Errorf("%s: gradient rel err %.3g at %s", name, res.MaxRel, res.Where)
	}
}

// randomise gives every parameter (biases too) non-trivial values.
func randomise(ps *Params, r *rand.Rand) {
	for _, p := range ps.List() {
		d := p.F64()
		for i := range d {
			d[i] = 2*r.Float64() - 1
		}
	}
}

func TestBlockGradients(t *testing.T) {
	r := newRand(7)
	in := func(shape ...int) *tensor.Dense { return gradcheck.Tensor(r, -1, 1, shape...) }

	for _, act := range []ops.Act{ops.Softplus, ops.Tanh, ops.Sigmoid, ops.ELU, ops.ReLU} {
		ps, _ := NewParams(tensor.Float64)
		mlp, err := NewMLP(ps, "mlp", r, 5, []int{4, 3}, 2, act, ops.Sigmoid)
		if err != nil {
			t.Fatal(err)
		}
		randomise(ps, r)
		// applied twice to two inputs: shared parameters get both gradients
		check(t, "MLP/"+string(act), ps, func(g *G.ExprGraph, x G.Nodes) (*G.Node, error) {
			a, err := mlp.Apply(g, x[0])
			if err != nil {
				return nil, err
			}
			b, err := mlp.Apply(g, x[1])
			if err != nil {
				return nil, err
			}
			if n := len(ps.Nodes(g)); n != 6 {
				return nil, fmt.Errorf("%d parameter nodes after two applications, want 6", n)
			}
			return G.Add(a, b)
		}, in(3, 5), in(3, 5))
	}

	ps, _ := NewParams(tensor.Float64)
	conv, err := NewConv2d(ps, "conv", r, []int{2, 6, 5}, []int{3, 2}, 3, 2, 1, ops.Tanh, ops.Softplus)
	if err != nil {
		t.Fatal(err)
	}
	randomise(ps, r)
	check(t, "Conv2d", ps, func(g *G.ExprGraph, x G.Nodes) (*G.Node, error) { return conv.Apply(g, x[0]) }, in(2, 60))

	ps, _ = NewParams(tensor.Float64)
	convT, err := NewConvTranspose2d(ps, "convT", r, []int{3, 2, 3}, []int{2, 2}, 3, 2, 1, ops.Tanh, ops.Sigmoid)
	if err != nil {
		t.Fatal(err)
	}
	randomise(ps, r)
	check(t, "ConvTranspose2d", ps, func(g *G.ExprGraph, x G.Nodes) (*G.Node, error) { return convT.Apply(g, x[0]) }, in(2, 18))

	ps, _ = NewParams(tensor.Float64)
	gru, err := NewGRU(ps, "gru", r, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	randomise(ps, r)
	check(t, "GRU", ps, func(g *G.ExprGraph, x G.Nodes) (*G.Node, error) {
		h1, err := gru.Step(g, x[0], x[1])
		if err != nil {
			return nil, err
		}
		return gru.Step(g, x[0], h1) // two steps share parameters
	}, in(2, 4), in(2, 3))
}

func TestGRUValues(t *testing.T) {
	ps, _ := NewParams(tensor.Float64)
	r := newRand(3)
	gru, err := NewGRU(ps, "gru", r, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	randomise(ps, r)
	xv := []float64{0.3, -0.7}
	hv := []float64{0.5, 0.1}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 2), G.WithValue(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking(append([]float64(nil), xv...)))), G.WithName("x"))
	h := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 2), G.WithValue(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking(append([]float64(nil), hv...)))), G.WithName("h"))
	out, err := gru.Step(g, x, h)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := out.Value().Data().([]float64)
	P := func(n string) []float64 { return ps.Get("gru." + n).F64() }
	mv := func(v []float64, w []float64, j int) float64 { return v[0]*w[j] + v[1]*w[2+j] }
	sig := func(a float64) float64 { return 1 / (1 + math.Exp(-a)) }
	for j := 0; j < 2; j++ {
		rr := sig(mv(xv, P("Wxr"), j) + mv(hv, P("Whr"), j) + P("br")[j])
		z := sig(mv(xv, P("Wxz"), j) + mv(hv, P("Whz"), j) + P("bz")[j])
		n := math.Tanh(mv(xv, P("Wxn"), j) + P("bxn")[j] + rr*(mv(hv, P("Whn"), j)+P("bhn")[j]))
		want := (1-z)*n + z*hv[j]
		if math.Abs(got[j]-want) > 1e-12 {
			t.Errorf("h'[%d] = %v want %v", j, got[j], want)
		}
	}
}

// TestSharedAcrossGraphs applies one block in two graphs: both read the same
// parameter tensors, so an in-place update shows in both.
func TestSharedAcrossGraphs(t *testing.T) {
	ps, _ := NewParams(tensor.Float32)
	lin, err := NewLinear(ps, "lin", newRand(1), 3, 2, ops.None)
	if err != nil {
		t.Fatal(err)
	}
	run := func() []float32 {
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(1, 3), G.WithValue(tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float32{1, 2, 3}))), G.WithName("x"))
		y, err := lin.Apply(g, x)
		if err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		defer m.Close()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), y.Value().Data().([]float32)...)
	}
	a := run()
	lin.B.F32()[1] = 10
	b := run()
	if b[0] != a[0] || b[1] != a[1]+10 {
		t.Errorf("bias update not seen: %v then %v", a, b)
	}
}

// TestAddValues: a param given a list starts at those values, row-major,
// and a list of the wrong length is refused.
func TestAddValues(t *testing.T) {
	ps, err := NewParams(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ps.AddValues("b", []int{1, 3}, []float64{0.5, -1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.F32(); len(got) != 3 || got[0] != 0.5 || got[1] != -1 || got[2] != 2 || p.F64() != nil {
		t.Errorf("values %v (float64 %v), want [0.5 -1 2]", got, p.F64())
	}
	if _, err := ps.AddValues("c", []int{1, 2}, []float64{1}); err == nil {
		t.Error("a list of 1 value for 2 elements was accepted")
	}
}

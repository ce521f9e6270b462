package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tol is the largest relative gradient error the checks accept.
const tol = 1e-6

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// eval builds f over constant inputs and returns its value.
func eval(t *testing.T, dt tensor.Dtype, f func(g *G.ExprGraph, in G.Nodes) (*G.Node, error), in ...*tensor.Dense) []float64 {
	t.Helper()
	g := G.NewGraph()
	nodes := make(G.Nodes, len(in))
	for i, x := range in {
		if dt == tensor.Float32 {
			x = toF32(x)
		}
		nodes[i] = G.NewTensor(g, dt, x.Dims(), G.WithShape(x.Shape().Clone()...), G.WithValue(x), G.WithName(fmt.Sprint("in", i)))
	}
	out, err := f(g, nodes)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	r := floats(out.Value())
	if r == nil {
		t.Fatalf("unexpected output %T", out.Value().Data())
	}
	return r
}

func toF32(x *tensor.Dense) *tensor.Dense {
	d := x.Data().([]float64)
	f := make([]float32, len(d))
	for i, v := range d {
		f[i] = float32(v)
	}
	return tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.WithBacking(f))
}

func dense(shape []int, v ...float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

func closeTo(a, b, rel float64) bool {
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= rel*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func checkGrad(t *testing.T, name string, f gradcheck.Build, in ...*tensor.Dense) {
	t.Helper()
	res, err := gradcheck.Check(f, 1, in...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s: max rel err %.3g (%s)", name, res.MaxRel, res.Where)
	if res.MaxRel > tol {
		t.Errorf("%s: gradient rel err %.3g > %g at %s", name, res.MaxRel, tol, res.Where)
	}
}

func TestLogSumExpValues(t *testing.T) {
	cases := []struct {
		name string
		x    []float64
		axis int
		want []float64
	}{
		{"axis1", []float64{1, 2, 3, -1, 0, 1}, 1, []float64{3 + math.Log(1+math.Exp(-1)+math.Exp(-2)), 1 + math.Log(1+math.Exp(-1)+math.Exp(-2))}},
		{"axis0", []float64{1, 2, 3, -1, 0, 1}, 0, []float64{1 + math.Log(1+math.Exp(-2)), 2 + math.Log(1+math.Exp(-2)), 3 + math.Log(1+math.Exp(-2))}},
		{"large", []float64{1000, 1000, 1000, -1000, -1000, -1000}, 1, []float64{1000 + math.Log(3), -1000 + math.Log(3)}},
		{"neginf", []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1), 0, 0, 0}, 1, []float64{math.Inf(-1), math.Log(3)}},
	}
	for _, c := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LogSumExp(in[0], c.axis) }, dense([]int{2, 3}, c.x...))
			for i := range c.want {
				if !closeTo(got[i], c.want[i], 1e-6) {
					t.Errorf("%s %v: got %v want %v", c.name, dt, got, c.want)
					break
				}
			}
		}
	}
}

func TestSoftmaxValues(t *testing.T) {
	x := dense([]int{2, 3}, 1, 2, 3, 500, 500, 499)
	sm := eval(t, tensor.Float64, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Softmax(in[0]) }, x)
	lsm := eval(t, tensor.Float64, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LogSoftmax(in[0]) }, x)
	xs := x.Data().([]float64)
	for r := 0; r < 2; r++ {
		var z float64
		for j := 0; j < 3; j++ {
			z += math.Exp(xs[r*3+j] - xs[r*3+2-2*r])
		}
		for j := 0; j < 3; j++ {
			want := xs[r*3+j] - xs[r*3+2-2*r] - math.Log(z)
			if !closeTo(lsm[r*3+j], want, 1e-12) || !closeTo(sm[r*3+j], math.Exp(want), 1e-12) {
				t.Errorf("row %d col %d: got %v %v want %v", r, j, lsm[r*3+j], sm[r*3+j], want)
			}
		}
	}
}

func TestReduceGradients(t *testing.T) {
	r := newRand(1)
	x := func() *tensor.Dense { return gradcheck.Tensor(r, -2, 2, 3, 4) }
	cases := []struct {
		name string
		f    gradcheck.Build
		in   []*tensor.Dense
	}{
		{"LogSumExp1", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LogSumExp(in[0], 1) }, []*tensor.Dense{x()}},
		{"LogSumExp0", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LogSumExp(in[0], 0) }, []*tensor.Dense{x()}},
		{"Softmax", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Softmax(in[0]) }, []*tensor.Dense{x()}},
		{"LogSoftmax", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LogSoftmax(in[0]) }, []*tensor.Dense{x()}},
		{"RowDot", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RowDot(in[0], in[1]) }, []*tensor.Dense{x(), x()}},
		{"RowScale", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RowScale(in[0], in[1]) }, []*tensor.Dense{gradcheck.Tensor(r, -1, 1, 3), x()}},
		{"RowSum", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RowSum(in[0]) }, []*tensor.Dense{x()}},
		{"ColSum", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ColSum(in[0]) }, []*tensor.Dense{x()}},
		{"BroadcastRow", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BroadcastTo(in[0], 3, 4) }, []*tensor.Dense{gradcheck.Tensor(r, -1, 1, 4)}},
		{"BroadcastRow2", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BroadcastTo(in[0], 3, 4) }, []*tensor.Dense{gradcheck.Tensor(r, -1, 1, 1, 4)}},
		{"BroadcastCol", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BroadcastTo(in[0], 3, 4) }, []*tensor.Dense{gradcheck.Tensor(r, -1, 1, 3, 1)}},
		{"BroadcastOne", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BroadcastTo(in[0], 3, 4) }, []*tensor.Dense{gradcheck.Tensor(r, -1, 1, 1)}},
		{"SoftmaxOfLSE", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			// the self-normalised weights of the objective: softmax over S samples [B,S]
			s, err := Softmax(in[0])
			if err != nil {
				return nil, err
			}
			return RowDot(s, in[1])
		}, []*tensor.Dense{x(), x()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c.name, c.f, c.in...) })
	}
}

func TestArgmaxOneHotStopsGradient(t *testing.T) {
	x := dense([]int{2, 3}, 1, 3, 2, 5, 5, 0)
	got := eval(t, tensor.Float32, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ArgmaxOneHot(in[0]) }, x)
	want := []float64{0, 1, 0, 1, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
	// The gradient through RowDot(onehot(x), x) is the one-hot itself.
	res, err := gradcheck.Check(func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		h, err := ArgmaxOneHot(in[0])
		if err != nil {
			return nil, err
		}
		return RowDot(h, in[0])
	}, 3, gradcheck.Tensor(newRand(4), -1, 1, 4, 5))
	if err != nil || res.MaxRel > tol {
		t.Fatalf("stop-gradient check: %v %+v", err, res)
	}
}

func TestShapeErrors(t *testing.T) {
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3))
	b := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2))
	v := G.NewVector(g, tensor.Float64, G.WithShape(5))
	if _, err := RowDot(a, b); err == nil {
		t.Error("RowDot accepted mismatched shapes")
	}
	if _, err := LogSumExp(a, 2); err == nil {
		t.Error("LogSumExp accepted axis 2")
	}
	if _, err := LogSumExp(v, 0); err == nil {
		t.Error("LogSumExp accepted a vector")
	}
	if _, err := BroadcastTo(v, 2, 3); err == nil {
		t.Error("BroadcastTo accepted [5] -> [2,3]")
	}
	if _, err := RowScale(v, a); err == nil {
		t.Error("RowScale accepted mismatched rows")
	}
}

// TestSoftmaxGradFlush: the log-softmax gradient of a confident row leaves
// no subnormal float32 (they become exact zeros), keeps its other entries,
// and leaves float64 values as computed.
func TestSoftmaxGradFlush(t *testing.T) {
	y := []float64{-1e-30, -95, -120, -300} // log-probabilities of one row
	g := []float64{-0.01, 0, 0, 0}
	d64 := make([]float64, 4)
	softmaxGradK(d64, y, g, 4, true)
	y32, g32 := make([]float32, 4), make([]float32, 4)
	for i := range y {
		y32[i], g32[i] = float32(y[i]), float32(g[i])
	}
	d32 := make([]float32, 4)
	softmaxGradK(d32, y32, g32, 4, true)
	for i := range d64 {
		want := g[i] - math.Exp(y[i])*(-0.01)
		if d64[i] != want {
			t.Errorf("float64 entry %d = %g, want %g exactly", i, d64[i], want)
		}
		if a := math.Abs(float64(d32[i])); a != 0 && a < 0x1p-126 {
			t.Errorf("float32 entry %d is subnormal: %g", i, d32[i])
		}
	}
	if d64[1] == 0 || d32[1] != 0 {
		t.Errorf("entry 1: float64 %g (want nonzero), float32 %g (want 0)", d64[1], d32[1])
	}
}

package ops

import (
	"fmt"
	"strings"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// plainConcat joins row-major [rows, w_i] blocks side by side.
func plainConcat(rows int, widths []int, parts [][]float64) []float64 {
	var out []float64
	for r := 0; r < rows; r++ {
		for i, w := range widths {
			out = append(out, parts[i][r*w:(r+1)*w]...)
		}
	}
	return out
}

// concatCases are the part widths the tests join: several part counts,
// width-1 parts at either end and in the middle, and MNIST's widths.
var concatCases = []struct {
	rows   int
	widths []int
}{
	{3, []int{2, 3}},
	{1, []int{1, 1}},
	{4, []int{1, 5}},
	{4, []int{5, 1}},
	{2, []int{3, 1, 4}},
	{5, []int{2, 2, 2, 2}},
	{3, []int{7, 1, 1, 3, 2}},
	{2, []int{784, 10}},
	{3, []int{50, 10}},
}

func concatInputs(r interface{ Float64() float64 }, rows int, widths []int) ([]*tensor.Dense, [][]float64) {
	ins := make([]*tensor.Dense, len(widths))
	raw := make([][]float64, len(widths))
	for i, w := range widths {
		d := make([]float64, rows*w)
		for j := range d {
			d[j] = 2*r.Float64() - 1
		}
		raw[i] = d
		ins[i] = dense([]int{rows, w}, d...)
	}
	return ins, raw
}

func TestConcatValues(t *testing.T) {
	r := newRand(41)
	for _, c := range concatCases {
		ins, raw := concatInputs(r, c.rows, c.widths)
		want := plainConcat(c.rows, c.widths, raw)
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Concat(in...) }, ins...)
			if len(got) != len(want) {
				t.Fatalf("%v %v: got %d values, want %d", c.widths, dt, len(got), len(want))
			}
			for i := range want {
				w := want[i]
				if dt == tensor.Float32 {
					w = float64(float32(w))
				}
				if got[i] != w {
					t.Fatalf("%v %v: elem %d got %v want %v", c.widths, dt, i, got[i], w)
				}
			}
		}
	}
}

func TestConcatGradients(t *testing.T) {
	r := newRand(42)
	for _, c := range concatCases[:7] {
		ins, _ := concatInputs(r, c.rows, c.widths)
		checkGrad(t, fmt.Sprint("Concat", c.widths), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Concat(in...) }, ins...)
	}
	// one node used as several parts (how a value is widened over
	// channels): its gradient sums the matching column blocks.
	x := gradcheck.Tensor(r, -1, 1, 3, 2)
	checkGrad(t, "ConcatRepeated", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Concat(in[0], in[0], in[0]) }, x)
	// parts of 128 columns that are element-wise results sharing an
	// input: the shape at which Gorgonia's own Concat(1, …) gets the
	// shared input's gradient wrong (127 columns is right).
	m := func() *tensor.Dense { return gradcheck.Tensor(r, 0.5, 1, 2, 128) }
	checkGrad(t, "ConcatShared128", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		parts := make(G.Nodes, 3)
		for i := range parts {
			var err error
			if parts[i], err = G.HadamardDiv(in[i], in[3]); err != nil {
				return nil, err
			}
		}
		return Concat(parts...)
	}, m(), m(), m(), m())
}

// runConcat builds loss = Σ w ⊙ join(parts) with w a constant [rows, Σn]
// and returns the value of join and each part's gradient, over two runs of
// one TapeMachine (the second reuses the op's output buffer).
func runConcat(t *testing.T, dt tensor.Dtype, join func(G.Nodes) (*G.Node, error), w *tensor.Dense, ins []*tensor.Dense) ([]float64, [][]float64) {
	t.Helper()
	g := G.NewGraph()
	nodes := make(G.Nodes, len(ins))
	for i, x := range ins {
		if dt == tensor.Float32 {
			x = toF32(x)
		}
		nodes[i] = G.NewMatrix(g, dt, G.WithShape(x.Shape().Clone()...), G.WithValue(x), G.WithName(fmt.Sprint("in", i)))
	}
	if dt == tensor.Float32 {
		w = toF32(w)
	}
	wn := G.NewMatrix(g, dt, G.WithShape(w.Shape().Clone()...), G.WithValue(w), G.WithName("w"))
	out, err := join(nodes)
	if err != nil {
		t.Fatal(err)
	}
	var val G.Value
	G.Read(out, &val)
	prod, err := G.HadamardProd(out, wn)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(loss, nodes...); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(nodes...))
	defer m.Close()
	for run := 0; run < 2; run++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	flat := func(v G.Value) []float64 {
		switch d := v.Data().(type) {
		case []float64:
			return append([]float64(nil), d...)
		case []float32:
			r := make([]float64, len(d))
			for i, x := range d {
				r[i] = float64(x)
			}
			return r
		}
		t.Fatalf("unexpected value %T", v.Data())
		return nil
	}
	grads := make([][]float64, len(nodes))
	for i, n := range nodes {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads[i] = flat(gv)
	}
	return flat(val), grads
}

// TestConcatMatchesGorgonia: values and gradients are bit for bit those of
// Gorgonia's Concat(1, …), in both dtypes, with a repeated part.
func TestConcatMatchesGorgonia(t *testing.T) {
	r := newRand(43)
	for _, c := range concatCases {
		ins, _ := concatInputs(r, c.rows, c.widths)
		total := 0
		for _, w := range c.widths {
			total += w
		}
		w := gradcheck.Tensor(r, -1, 1, c.rows, total)
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			ours, og := runConcat(t, dt, func(n G.Nodes) (*G.Node, error) { return Concat(n...) }, w, ins)
			theirs, tg := runConcat(t, dt, func(n G.Nodes) (*G.Node, error) { return G.Concat(1, n...) }, w, ins)
			if fmt.Sprint(ours) != fmt.Sprint(theirs) {
				t.Fatalf("%v %v: value %v, Gorgonia's %v", c.widths, dt, ours, theirs)
			}
			if fmt.Sprint(og) != fmt.Sprint(tg) {
				t.Fatalf("%v %v: gradients %v, Gorgonia's %v", c.widths, dt, og, tg)
			}
		}
	}
	x := gradcheck.Tensor(r, -1, 1, 2, 3)
	w := gradcheck.Tensor(r, -1, 1, 2, 6)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		_, og := runConcat(t, dt, func(n G.Nodes) (*G.Node, error) { return Concat(n[0], n[0]) }, w, []*tensor.Dense{x})
		_, tg := runConcat(t, dt, func(n G.Nodes) (*G.Node, error) { return G.Concat(1, n[0], n[0]) }, w, []*tensor.Dense{x})
		if fmt.Sprint(og) != fmt.Sprint(tg) {
			t.Fatalf("repeated %v: gradient %v, Gorgonia's %v", dt, og, tg)
		}
	}
}

func TestConcatErrors(t *testing.T) {
	g := G.NewGraph()
	m := func(name string, s ...int) *G.Node {
		return G.NewTensor(g, tensor.Float64, len(s), G.WithShape(s...), G.WithName(name))
	}
	a, b, short, vec, other := m("a", 4, 2), m("b", 4, 3), m("short", 3, 3), m("vec", 4), G.NewMatrix(g, tensor.Float32, G.WithShape(4, 1), G.WithName("f32"))
	cases := []struct {
		name  string
		parts G.Nodes
		want  string // "" when it must succeed
	}{
		{"none", nil, "no parts"},
		{"nil", G.Nodes{a, nil}, "part 1 is nil"},
		{"vector", G.Nodes{a, vec}, "part 1 must be a matrix"},
		{"rows", G.Nodes{a, short}, "part 1 has 3 rows, part 0 has 4"},
		{"dtype", G.Nodes{a, other}, "Concat[2 1]"},
		{"ok", G.Nodes{a, b, a}, ""},
	}
	for _, c := range cases {
		n, err := Concat(c.parts...)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && !sameShape(n.Shape(), tensor.Shape{4, 7}):
			t.Errorf("%s: shape %v, want (4, 7)", c.name, n.Shape())
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if n, err := Concat(a); err != nil || n != a {
		t.Errorf("one part: got %v, %v; want the part itself", n, err)
	}
}

package ops

import (
	"fmt"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// matMulShapes are the [M, K]·[K, N] products the tests form: a row, a
// column, square and tall, and a 7168-wide faces layer in miniature.
var matMulShapes = [][3]int{{1, 3, 4}, {4, 3, 1}, {3, 3, 3}, {5, 7, 2}, {2, 70, 9}}

// runMul builds loss = Σ w ⊙ mul(a, b) and returns the product and the
// gradients of a and b after two runs of one TapeMachine (the second
// reuses MatMul's buffers).
func runMul(t *testing.T, dt tensor.Dtype, mul func(a, b *G.Node) (*G.Node, error), a, b, w *tensor.Dense) [3][]float64 {
	t.Helper()
	g := G.NewGraph()
	conv := func(x *tensor.Dense) *tensor.Dense {
		if dt == tensor.Float32 {
			return toF32(x)
		}
		return x.Clone().(*tensor.Dense)
	}
	an := G.NewMatrix(g, dt, G.WithShape(a.Shape().Clone()...), G.WithValue(conv(a)), G.WithName("a"))
	bn := G.NewMatrix(g, dt, G.WithShape(b.Shape().Clone()...), G.WithValue(conv(b)), G.WithName("b"))
	wn := G.NewMatrix(g, dt, G.WithShape(w.Shape().Clone()...), G.WithValue(conv(w)), G.WithName("w"))
	c, err := mul(an, bn)
	if err != nil {
		t.Fatal(err)
	}
	var cv G.Value
	G.Read(c, &cv)
	prod, err := G.HadamardProd(c, wn)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(loss, an, bn); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	var out [3][]float64
	for run := 0; run < 2; run++ {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		ga, _ := an.Grad()
		gb, _ := bn.Grad()
		out = [3][]float64{floats(cv), floats(ga), floats(gb)}
		vm.Reset()
	}
	return out
}

// floats copies a float32 or float64 value's data as float64s (nil for
// anything else).
func floats(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

// TestMatMulSameAsGorgonia: the product and both gradients are Gorgonia's
// to the bit, in float32 and float64, also on a second run over the kept
// buffers.
func TestMatMulSameAsGorgonia(t *testing.T) {
	r := newRand(71)
	for _, s := range matMulShapes {
		a := gradcheck.Tensor(r, -1, 1, s[0], s[1])
		b := gradcheck.Tensor(r, -1, 1, s[1], s[2])
		w := gradcheck.Tensor(r, -1, 1, s[0], s[2])
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := runMul(t, dt, MatMul, a, b, w)
			want := runMul(t, dt, G.Mul, a, b, w)
			for i := range want {
				if len(got[i]) != len(want[i]) {
					t.Fatalf("%v %v part %d: %d values, want %d", s, dt, i, len(got[i]), len(want[i]))
				}
				for j := range want[i] {
					if got[i][j] != want[i][j] {
						t.Fatalf("%v %v part %d elem %d: %v, Gorgonia %v", s, dt, i, j, got[i][j], want[i][j])
					}
				}
			}
		}
	}
}

func TestMatMulGradients(t *testing.T) {
	r := newRand(72)
	for _, s := range matMulShapes {
		a := gradcheck.Tensor(r, -1, 1, s[0], s[1])
		b := gradcheck.Tensor(r, -1, 1, s[1], s[2])
		checkGrad(t, fmt.Sprint("MatMul", s), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return MatMul(in[0], in[1]) }, a, b)
	}
}

func TestMatMulErrors(t *testing.T) {
	g := G.NewGraph()
	m := func(r, c int) *G.Node { return G.NewMatrix(g, tensor.Float64, G.WithShape(r, c)) }
	if _, err := MatMul(m(2, 3), m(4, 5)); err == nil {
		t.Error("[2,3]·[4,5]: no error")
	}
	if _, err := MatMul(m(2, 3), nil); err == nil {
		t.Error("nil operand: no error")
	}
	if _, err := MatMul(G.NewVector(g, tensor.Float64, G.WithShape(3)), m(3, 2)); err == nil {
		t.Error("vector operand: no error")
	}
}

package compiler

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFrozenGradients: with Options.Frozen the loss and the gradients of
// the trained parameters are bit for bit those of the program without it,
// the frozen parameters' gradients are zero, and the graph is smaller (the
// backward passes that fed only the frozen networks are gone), on the MNIST
// M2 spec in float32 and float64 with each of its networks frozen in turn.
func TestFrozenGradients(t *testing.T) {
	m := loadSpec(t, "../specs/mnist.ssdgm")
	cases := []struct {
		nets []string
		f64  bool
	}{
		{[]string{"classify"}, false},
		{[]string{"render"}, false},
		{[]string{"encode", "z_loc", "z_log_scale"}, false},
		{[]string{"classify", "render"}, true},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.nets, "+"), func(t *testing.T) {
			build := func(frozen []bool) (*Program, Grads, float64, int) {
				w, err := NewWeights(m, c.f64, 1)
				if err != nil {
					t.Fatal(err)
				}
				p, err := Compile(m, w, Options{Labelled: 6, Unlabelled: 5, Samples: 2, Alpha: 3, SupWeight: 0.5, Frozen: frozen})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				r := rand.New(rand.NewPCG(1, 2))
				img := func(n int) []float32 {
					x := make([]float32, n*784)
					for i := range x {
						x[i] = r.Float32()
					}
					return x
				}
				b := Batch{Labelled: img(6), Unlabelled: img(5), Labels: map[string][]float32{"digit": {0, 3, 9, 1, 1, 7}}}
				res, err := p.Step(b, rand.New(rand.NewPCG(5, 6)))
				if err != nil {
					t.Fatal(err)
				}
				g, err := p.Grads()
				if err != nil {
					t.Fatal(err)
				}
				return p, g, res.Loss, len(p.g.AllNodes())
			}
			p0, g0, l0, n0 := build(nil)
			frozen := make([]bool, len(p0.pnodes))
			for i, prm := range p0.w.Params.List() {
				name, _, _ := strings.Cut(prm.Name, ".")
				for _, n := range c.nets {
					frozen[i] = frozen[i] || name == n
				}
			}
			_, g1, l1, n1 := build(frozen)
			if l1 != l0 {
				t.Errorf("loss %v with frozen networks, %v without", l1, l0)
			}
			if n1 >= n0 {
				t.Errorf("graph has %d nodes with frozen networks, %d without: nothing pruned", n1, n0)
			}
			for i, f := range frozen {
				a, b := gradSlice(g0, i), gradSlice(g1, i)
				if len(a) != len(b) {
					t.Fatalf("param %d: %d gradient values, want %d", i, len(b), len(a))
				}
				for j := range a {
					if f && b[j] != 0 {
						t.Fatalf("frozen param %d: gradient[%d] = %v, want 0", i, j, b[j])
					}
					if !f && a[j] != b[j] {
						t.Fatalf("param %d: gradient[%d] = %v with frozen networks, %v without", i, j, b[j], a[j])
					}
				}
			}
		})
	}
}

// gradSlice returns parameter i's gradient as float64 values.
func gradSlice(g Grads, i int) []float64 {
	if g.F64 != nil {
		return g.F64[i]
	}
	out := make([]float64, len(g.F32[i]))
	for j, v := range g.F32[i] {
		out[j] = float64(v)
	}
	return out
}

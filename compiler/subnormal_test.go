package compiler

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	G "gorgonia.org/gorgonia"
)

// subnormal32 counts the nonzero float32 values below the smallest normal.
func subnormal32(d []float32) int {
	n := 0
	for _, v := range d {
		if a := math.Abs(float64(v)); a != 0 && a < 0x1p-126 {
			n++
		}
	}
	return n
}

// confidentRows returns the objective's inputs for B points, E = 10
// enumerated classes and S = 1 where the encoder puts log q(y = e | x) of
// every wrong class in [−200, −40]: weights from 1e-87 to 4e-18, many of
// them subnormal as float32.
func confidentRows(B, E int) (lp, lq, lw, lqe []float64) {
	r := rand.New(rand.NewPCG(5, 6))
	R := B * E
	lp, lq, lw, lqe = make([]float64, R), make([]float64, R), make([]float64, R), make([]float64, R)
	for b := 0; b < B; b++ {
		right := r.IntN(E)
		for e := 0; e < E; e++ {
			i := e*B + b
			lp[i] = -100 - 50*r.Float64()
			lq[i] = -20 * r.Float64()
			lqe[i] = -40 - 160*r.Float64()
			if e == right {
				lqe[i] = -1e-6
			}
		}
	}
	return
}

// TestGradFloor: a confident encoder's rows of negligible weight get an
// exactly zero gradient (no subnormal reaches the decoder's backward
// products), the value is unchanged to the bit, and the other rows'
// gradients are those computed without the floor, to the bit.
func TestGradFloor(t *testing.T) {
	const B, E = 16, 10
	lp, lq, lw, lqe := confidentRows(B, E)
	for _, labelled := range []bool{false, true} {
		plain := layout{B: B, S: 1, E: E, labelled: labelled, alpha: 3}
		floored := plain
		floored.floor = gradFloor(G.Float32)
		var n atomicCount
		floored.skipped = &n.Int64
		var g0, g1 [4][]float64
		for i := range g0 {
			g0[i], g1[i] = make([]float64, B*E), make([]float64, B*E)
		}
		v0 := plain.value(lp, lq, lw, lqe, g0)
		v1 := floored.value(lp, lq, lw, lqe, g1)
		if v0 != v1 {
			t.Errorf("labelled=%t: value %v with the floor, %v without", labelled, v1, v0)
		}
		c := make([]float64, B*E)
		plain.weights(lw, lqe, c)
		skip := 0
		for r := range c {
			for k := 0; k < 4; k++ {
				switch {
				case c[r] < floored.floor && k != 2 && g1[k][r] != 0:
					t.Errorf("labelled=%t: row %d (weight %g) has gradient %g for input %d", labelled, r, c[r], g1[k][r], k)
				case c[r] >= floored.floor && g1[k][r] != g0[k][r]:
					t.Errorf("labelled=%t: row %d input %d: gradient %v, want %v", labelled, r, k, g1[k][r], g0[k][r])
				}
				if f := float32(g1[k][r]); f != 0 && math.Abs(float64(f)) < 0x1p-126 {
					t.Errorf("labelled=%t: row %d input %d: subnormal gradient %g", labelled, r, k, f)
				}
			}
			if c[r] < floored.floor {
				skip++
			}
		}
		if skip < B*(E-1)/2 || int(n.Load()) != skip {
			t.Errorf("labelled=%t: %d rows skipped, counter says %d; want most of the %d wrong-class rows", labelled, skip, n.Load(), B*(E-1))
		}
	}
}

// TestConfidentStepHasNoSubnormals builds a float32 MNIST M2 step whose
// classifier is confident (its last layer scaled up, so the wrong classes
// get log-probabilities far below −87, the float32 normal range), runs it
// forward and backward, and checks that the enumerated rows of negligible
// weight were left out and that no subnormal float is left anywhere in the
// graph's values: the step stays on the CPU's fast path.
func TestConfidentStepHasNoSubnormals(t *testing.T) {
	const lab, unl = 16, 16
	m := loadSpec(t, "../specs/mnist.ssdgm")
	w, err := NewWeights(m, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range w.Params.List() {
		if strings.HasPrefix(p.Name, "classify.l1.") {
			d := p.F32()
			for i := range d {
				d[i] *= 60
			}
		}
	}
	p, err := Compile(m, w, Options{Labelled: lab, Unlabelled: unl, Samples: 1, Alpha: 50, SupWeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := rand.New(rand.NewPCG(1, 2))
	img := func(n int) []float32 {
		x := make([]float32, n*784)
		for i := range x {
			x[i] = float32(r.IntN(2))
		}
		return x
	}
	y := make([]float32, lab)
	for i := range y {
		y[i] = float32(r.IntN(10))
	}
	if _, err := p.Step(Batch{Labelled: img(lab), Unlabelled: img(unl), Labels: map[string][]float32{"digit": y}}, r); err != nil {
		t.Fatal(err)
	}
	if n := p.SkippedRows(); n < unl*9/2 {
		t.Errorf("%d enumerated rows left out, want most of the %d wrong-class rows", n, unl*9)
	}
	for _, n := range p.g.AllNodes() {
		if v := n.Value(); v != nil {
			if d, ok := v.Data().([]float32); ok {
				if k := subnormal32(d); k > 0 {
					t.Errorf("%s holds %d subnormal values", n.Name(), k)
				}
			}
		}
	}
	gs, err := p.Grads()
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range gs.F32 {
		if k := subnormal32(g); k > 0 {
			t.Errorf("gradient %d holds %d subnormal values", i, k)
		}
	}
}

type atomicCount struct{ atomic.Int64 }

package compiler

import (
	"math/rand/v2"
	"testing"
)

// mnistStep builds the float32 training program of specs/mnist.ssdgm with
// lab labelled and unl unlabelled points (S = 1, y enumerated) and a fixed
// random batch.
func mnistStep(tb testing.TB, lab, unl int) (*Program, Batch) {
	tb.Helper()
	m := loadSpec(tb, "../specs/mnist.ssdgm")
	w, err := NewWeights(m, false, 1)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Compile(m, w, Options{Labelled: lab, Unlabelled: unl, Samples: 1, Alpha: 0.1 * 60000 / 100, SupWeight: 1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	r := rand.New(rand.NewPCG(1, 2))
	img := func(n int) []float32 { return randImages(r, n, 784) }
	y := make([]float32, lab)
	for i := range y {
		y[i] = float32(r.IntN(10))
	}
	return p, Batch{Labelled: img(lab), Unlabelled: img(unl), Labels: map[string][]float32{"digit": y}}
}

// BenchmarkStepMNIST is one full training step (Step and Grads) of the MNIST
// M2 spec in float32: 128 labelled and 128 unlabelled points, S = 1, the
// digit enumerated over its 10 values in the unlabelled branch.
func BenchmarkStepMNIST(b *testing.B) {
	const lab, unl = 128, 128
	p, batch := mnistStep(b, lab, unl)
	benchSteps(b, p, batch)
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64((lab+unl)*b.N)/s, "examples/s")
	b.ReportMetric(float64(lab*b.N)/s, "labelled/s")
	b.ReportMetric(float64(unl*b.N)/s, "unlabelled/s")
}

// benchSteps times full training steps (Step and Grads) of p over batch,
// after one untimed step that makes the first run's allocations.
func benchSteps(b *testing.B, p *Program, batch Batch) {
	rng := rand.New(rand.NewPCG(3, 4))
	step := func() {
		if _, err := p.Step(batch, rng); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Grads(); err != nil {
			b.Fatal(err)
		}
	}
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
}

// benchProgram compiles spec (float32 weights, seed 1) with opts for a
// benchmark, closed when it ends.
func benchProgram(b *testing.B, spec string, opts Options) *Program {
	m := loadSpec(b, spec)
	w, err := NewWeights(m, false, 1)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Compile(m, w, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// randImages returns n random images of size pixels each, in [0, 1).
func randImages(r *rand.Rand, n, size int) []float32 {
	x := make([]float32, n*size)
	for i := range x {
		x[i] = r.Float32()
	}
	return x
}

// TestStepRepeatable: a second step over the same batch and noise gives
// bit for bit the first step's loss and gradients (ops reuse their output
// tensors from run to run, and the Bernoulli kernel keeps residuals between
// its forward and backward passes), on the MNIST program in float32.
func TestStepRepeatable(t *testing.T) {
	p, batch := mnistStep(t, 16, 8)
	run := func() (float64, [][]float32) {
		res, err := p.Step(batch, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		gs, err := p.Grads()
		if err != nil {
			t.Fatal(err)
		}
		out := make([][]float32, len(gs.F32))
		for i, d := range gs.F32 {
			out[i] = append([]float32(nil), d...)
			clear(d)
		}
		return res.Loss, out
	}
	loss1, g1 := run()
	for k := 0; k < 2; k++ {
		loss2, g2 := run()
		if loss1 != loss2 {
			t.Fatalf("run %d: loss %v, first run %v", k+2, loss2, loss1)
		}
		for i := range g1 {
			for j := range g1[i] {
				if g1[i][j] != g2[i][j] {
					t.Fatalf("run %d: gradient %d[%d] = %v, first run %v", k+2, i, j, g2[i][j], g1[i][j])
				}
			}
		}
	}
}

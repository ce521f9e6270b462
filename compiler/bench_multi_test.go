package compiler

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStepMultiMNIST is one full training step (Step and Grads) of
// specs/multimnist.ssdgm in float32 with its shipped discrete handling (the
// count enumerated over its 4 values, the per-slot digits relaxed, the
// noise shared across the enumerated counts, so that the slots are
// computed once per canvas): 32 labelled and 32 unlabelled random 50×50
// canvases, S = 1.
func BenchmarkStepMultiMNIST(b *testing.B) {
	const lab, unl = 32, 32
	m := loadSpec(b, "../specs/multimnist.ssdgm")
	w, err := NewWeights(m, false, 1)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Compile(m, w, Options{Labelled: lab, Unlabelled: unl, Samples: 1, Alpha: 1, SupWeight: 1, SharedNoise: true,
		Discrete: map[string]Discrete{"d": {Relax: true, Temperature: 0.66}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	r := rand.New(rand.NewPCG(1, 2))
	img := func(n int) []float32 {
		x := make([]float32, n*2500)
		for i := range x {
			x[i] = r.Float32()
		}
		return x
	}
	k := make([]float32, lab)
	for i := range k {
		k[i] = float32(r.IntN(4))
	}
	batch := Batch{Labelled: img(lab), Unlabelled: img(unl), Labels: map[string][]float32{"count": k}}
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

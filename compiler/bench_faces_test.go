package compiler

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStepFaces is one full training step (Step and Grads) of
// specs/faces.ssdgm in float32 with the identity relaxed (Concrete at
// temperature 0.66), as `ssdgm bench specs/faces.ssdgm --set
// discrete.default=relax --set batch.labelled=32 --set batch.unlabelled=32`
// times it: 32 labelled and 32 unlabelled random 64×56 images, S = 1. Its
// profile (-cpuprofile) says where the convolution-bound step spends its
// time.
func BenchmarkStepFaces(b *testing.B) {
	const lab, unl = 32, 32
	m := loadSpec(b, "../specs/faces.ssdgm")
	w, err := NewWeights(m, false, 1)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Compile(m, w, Options{Labelled: lab, Unlabelled: unl, Samples: 1, Alpha: 1, SupWeight: 1,
		Default: Discrete{Relax: true, Temperature: 0.66}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	r := rand.New(rand.NewPCG(1, 2))
	img := func(n int) []float32 {
		x := make([]float32, n*64*56)
		for i := range x {
			x[i] = r.Float32()
		}
		return x
	}
	id := make([]float32, lab)
	light := make([]float32, 3*lab)
	for i := range id {
		id[i] = float32(r.IntN(38))
		light[3*i+2] = 1
	}
	batch := Batch{Labelled: img(lab), Unlabelled: img(unl), Labels: map[string][]float32{"identity": id, "lighting": light}}
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

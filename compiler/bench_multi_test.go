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
	p := benchProgram(b, "../specs/multimnist.ssdgm", Options{Labelled: lab, Unlabelled: unl, Samples: 1, Alpha: 1, SupWeight: 1, SharedNoise: true,
		Discrete: map[string]Discrete{"d": {Relax: true, Temperature: 0.66}}})
	r := rand.New(rand.NewPCG(1, 2))
	k := make([]float32, lab)
	for i := range k {
		k[i] = float32(r.IntN(4))
	}
	batch := Batch{Labelled: randImages(r, lab, 2500), Unlabelled: randImages(r, unl, 2500), Labels: map[string][]float32{"count": k}}
	benchSteps(b, p, batch)
}

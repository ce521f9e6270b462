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
	p := benchProgram(b, "../specs/faces.ssdgm", Options{Labelled: lab, Unlabelled: unl, Samples: 1, Alpha: 1, SupWeight: 1,
		Default: Discrete{Relax: true, Temperature: 0.66}})
	r := rand.New(rand.NewPCG(1, 2))
	id := make([]float32, lab)
	light := make([]float32, 3*lab)
	for i := range id {
		id[i] = float32(r.IntN(38))
		light[3*i+2] = 1
	}
	batch := Batch{Labelled: randImages(r, lab, 64*56), Unlabelled: randImages(r, unl, 64*56),
		Labels: map[string][]float32{"identity": id, "lighting": light}}
	benchSteps(b, p, batch)
}

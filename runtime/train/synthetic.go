package train

import (
	"math/rand/v2"

	"ssdgm/compiler"
	"ssdgm/lang/check"
)

// SyntheticBatch returns a batch of random binary images of m's data shape
// at the batch sizes of o, with random labels for every supervised
// variable (a class index, or standard normal values), drawn from rng. It
// feeds benchmarks and tests that must not read a dataset. With o.Sets it
// fills Batch.Sets instead of Labelled.
func SyntheticBatch(m *check.Model, o compiler.Options, rng *rand.Rand) compiler.Batch {
	d := m.Data.Shape.Size()
	b := compiler.Batch{Unlabelled: binaryImages(o.Unlabelled*d, rng), Labels: map[string][]float32{}}
	if o.Labelled == 0 {
		return b
	}
	if len(o.Sets) > 0 {
		for _, s := range o.Sets {
			sb := SyntheticBatch(m, compiler.Options{Labelled: s.Batch}, rng)
			b.Sets = append(b.Sets, compiler.SetBatch{X: sb.Labelled, Labels: sb.Labels})
		}
		return b
	}
	b.Labelled = binaryImages(o.Labelled*d, rng)
	for _, v := range m.Vars {
		if v.Role != check.Supervised || v.Label == nil {
			continue
		}
		slots := max(v.Slots, 1)
		if v.Kind == check.Discrete {
			vals := make([]float32, o.Labelled*slots)
			for i := range vals {
				vals[i] = float32(rng.IntN(v.Classes))
			}
			b.Labels[v.Label.Name] = vals
			continue
		}
		vals := make([]float32, o.Labelled*slots*v.Shape.Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64())
		}
		b.Labels[v.Label.Name] = vals
	}
	return b
}

func binaryImages(n int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	for i := range x {
		if rng.Uint64()&1 == 1 {
			x[i] = 1
		}
	}
	return x
}

package compiler

import (
	"math/rand/v2"
	"testing"
)

// TestNormalizeLargeChannels: the gradient through normalize() and dot()
// matches finite differences when a channel has many positions. Joined with
// Gorgonia's Concat(1, …), it was right at [3, 65] but wrong at [3, 128]
// (up to three times too large, or of the wrong sign), which is how the
// faces model's normal map got wrong gradients.
func TestNormalizeLargeChannels(t *testing.T) {
	for _, shape := range []string{"[3, 65]", "[3, 128]"} {
		t.Run(shape, func(t *testing.T) {
			a := latent{"a", shape}
			n := shapeSize(t, shape) / 3
			const R = 2
			pr := newProbe(t, exprSpec("dot(normalize(a), l)", n, a, latL), R)
			rng := rand.New(rand.NewPCG(9, 3))
			for _, l := range []latent{a, latL} {
				pr.set(l.name, randRows(rng, R, shapeSize(t, l.shape), 0.1, 1)...)
			}
			res := pr.gradCheck(pr.let("out", -1), 1e-6, "a", "l")
			t.Logf("worst relative gradient error %.2e (%s)", res.MaxRel, res.Where)
		})
	}
}

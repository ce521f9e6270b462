// Package dist builds the distributions of the semi-supervised models as
// Gorgonia graph pieces: per-example log-densities summed over the event
// dimensions, and reparameterised samplers whose noise enters as input nodes
// that the caller fills from a seeded *rand.Rand (see FillNormal and the
// other fill functions).
//
// Values are matrices [B, D]. Every LogProb returns a vector [B]: the
// log-density of each example, summed over its D event dimensions.
// Parameters (loc, scale, logits, probs) may be given at any shape that
// ops.BroadcastTo accepts: a scalar node, a one-element tensor, a row [D] or
// [1, D], a column [B, 1], or the full [B, D].
package dist

import (
	"fmt"

	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// DefaultEps is the clamp applied to probabilities before taking logs.
const DefaultEps = 1e-6

// like broadcasts each parameter to the shape of ref, a matrix [B, D].
func like(what string, ref *G.Node, ps ...*G.Node) ([]*G.Node, error) {
	if ref == nil || ref.Shape().Dims() != 2 {
		var s any = "nil"
		if ref != nil {
			s = ref.Shape()
		}
		return nil, fmt.Errorf("%s: want a matrix [B, D], got %v", what, s)
	}
	b, d := ref.Shape()[0], ref.Shape()[1]
	out := make([]*G.Node, len(ps))
	for i, p := range ps {
		q, err := ops.BroadcastTo(p, b, d)
		if err != nil {
			return nil, fmt.Errorf("%s: parameter %d: %w", what, i, err)
		}
		out[i] = q
	}
	return out, nil
}

// Reparam returns the reparameterised sample loc + scale ⊙ eps, [B, D], of
// a location-scale family, where eps [B, D] is a noise input node filled
// with the family's standard noise (Family.Noise). Gradients flow to loc
// and scale.
func Reparam(loc, scale, eps *G.Node) (*G.Node, error) {
	p, err := like("Reparam", eps, loc, scale)
	if err != nil {
		return nil, err
	}
	return ops.Safe("Reparam", func() (*G.Node, error) {
		se, err := G.HadamardProd(p[1], eps)
		if err != nil {
			return nil, err
		}
		return G.Add(p[0], se)
	})
}

// ConcreteSample returns the Concrete (Gumbel-softmax) relaxed sample
// softmax((logits + gumbel) / temperature), [B, K], where gumbel [B, K] is a
// noise input filled by FillGumbel. Gradients flow to the logits.
func ConcreteSample(logits, gumbel *G.Node, temperature float64) (*G.Node, error) {
	if !(temperature > 0) {
		return nil, fmt.Errorf("Concrete: temperature %g must be positive", temperature)
	}
	p, err := like("Concrete", gumbel, logits)
	if err != nil {
		return nil, err
	}
	s, err := ops.Safe("Concrete", func() (*G.Node, error) { return G.Add(p[0], gumbel) })
	if err != nil {
		return nil, err
	}
	if s, err = ops.Affine(s, 1/temperature, 0); err != nil {
		return nil, err
	}
	return ops.Softmax(s)
}

// Hard returns the one-hot argmax [B, K] of a relaxed sample [B, K], with no
// gradient: score it with CategoricalLogitsLogProb(Hard(y), logits) to get
// the discrete pmf at the argmax, as the paper's code did.
func Hard(relaxed *G.Node) (*G.Node, error) { return ops.ArgmaxOneHot(relaxed) }

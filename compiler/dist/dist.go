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

// NormalLogProb returns Σ_d log N(x[b,d] | loc, scale) as [B] for x [B, D].
func NormalLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	p, err := like("Normal", x, loc, scale)
	if err != nil {
		return nil, err
	}
	return ops.NormalLogProb(x, p[0], p[1])
}

// LaplaceLogProb returns Σ_d log Laplace(x[b,d] | loc, scale) as [B] for x
// [B, D]. The derivative of |x - loc| at 0 is taken as 0.
func LaplaceLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	p, err := like("Laplace", x, loc, scale)
	if err != nil {
		return nil, err
	}
	return ops.LaplaceLogProb(x, p[0], p[1])
}

// Reparam returns the reparameterised sample loc + scale ⊙ eps, [B, D],
// where eps [B, D] is a noise input node: standard normal noise (FillNormal)
// gives a Normal sample and standard Laplace noise (FillLaplace) a Laplace
// sample. Gradients flow to loc and scale.
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

// NormalSample returns loc + scale ⊙ eps for standard normal noise eps.
func NormalSample(loc, scale, eps *G.Node) (*G.Node, error) { return Reparam(loc, scale, eps) }

// LaplaceSample returns loc + scale ⊙ eps for standard Laplace noise eps.
func LaplaceSample(loc, scale, eps *G.Node) (*G.Node, error) { return Reparam(loc, scale, eps) }

// BernoulliLogitsLogProb returns Σ_d x·l − softplus(l) as [B] for x [B, D]
// and logits l; stable for any logits. x may be binary or continuous in
// [0, 1] (the usual continuous-pixel likelihood).
func BernoulliLogitsLogProb(x, logits *G.Node) (*G.Node, error) {
	p, err := like("Bernoulli", x, logits)
	if err != nil {
		return nil, err
	}
	return ops.BernoulliLogitsLogProb(x, p[0])
}

// BernoulliProbsLogProb returns Σ_d x log p + (1−x) log(1−p) as [B] for x
// [B, D], with p clamped to [eps, 1−eps] (eps ≤ 0 means DefaultEps); no
// gradient flows where the clamp is active.
func BernoulliProbsLogProb(x, probs *G.Node, eps float64) (*G.Node, error) {
	if eps <= 0 {
		eps = DefaultEps
	}
	p, err := like("Bernoulli", x, probs)
	if err != nil {
		return nil, err
	}
	return ops.BernoulliProbsLogProb(x, p[0], eps)
}

// CategoricalLogitsLogProb returns log softmax(logits)[k] for each row of a
// one-hot value onehot [B, K] (selecting k), as [B]: RowDot(onehot,
// LogSoftmax(logits)). A relaxed (non-one-hot) value gives the
// corresponding weighted sum. logits: [B, K] or a row [K]/[1, K].
func CategoricalLogitsLogProb(onehot, logits *G.Node) (*G.Node, error) {
	p, err := like("Categorical", onehot, logits)
	if err != nil {
		return nil, err
	}
	ls, err := ops.LogSoftmax(p[0])
	if err != nil {
		return nil, err
	}
	return ops.RowDot(onehot, ls)
}

// CategoricalProbsLogProb returns log probs[k] (clamped below at eps; eps ≤
// 0 means DefaultEps) for each row of a one-hot onehot [B, K], as [B]. The
// probabilities are used as given (not renormalised).
func CategoricalProbsLogProb(onehot, probs *G.Node, eps float64) (*G.Node, error) {
	if eps <= 0 {
		eps = DefaultEps
	}
	p, err := like("Categorical", onehot, probs)
	if err != nil {
		return nil, err
	}
	lp, err := ops.LogClamped(p[0], eps)
	if err != nil {
		return nil, err
	}
	return ops.RowDot(onehot, lp)
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

// BernoulliSample returns a draw [B, D] from Bernoulli(probs): 1 where
// uniform < probs, for uniform [B, D] filled by FillUniform. No gradient.
func BernoulliSample(probs, uniform *G.Node) (*G.Node, error) {
	p, err := like("BernoulliSample", uniform, probs)
	if err != nil {
		return nil, err
	}
	return ops.LessThan(uniform, p[0])
}

// CategoricalSample returns a one-hot draw [B, K] from Categorical(softmax(
// logits)) by the Gumbel-max trick: the argmax of logits + gumbel, for
// gumbel [B, K] filled by FillGumbel. No gradient.
func CategoricalSample(logits, gumbel *G.Node) (*G.Node, error) {
	p, err := like("CategoricalSample", gumbel, logits)
	if err != nil {
		return nil, err
	}
	s, err := ops.Safe("CategoricalSample", func() (*G.Node, error) { return G.Add(p[0], gumbel) })
	if err != nil {
		return nil, err
	}
	return ops.ArgmaxOneHot(s)
}

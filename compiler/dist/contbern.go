package dist

import (
	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// contBern is the continuous-Bernoulli family of data in [0, 1]:
// p(x | λ) = C(λ) λ^x (1−λ)^(1−x), log-density by the fused kernel
// ops.ContBernLogitsLogProb (probs are turned into logits first), mean
// ops.ContBernMean; no reparameterised sampler.
func contBern() *Family {
	return &Family{Name: "ContinuousBernoulli", Kernel: "ops.ContBernLogitsLogProb",
		LogProb: func(x *G.Node, p Params) (*G.Node, error) {
			l, err := contBernLogits(p)
			if err != nil {
				return nil, err
			}
			return ContBernLogProb(x, l)
		},
		Mean: func(p Params) (*G.Node, error) {
			l, err := contBernLogits(p)
			if err != nil {
				return nil, err
			}
			return ops.ContBernMeanOf(l)
		},
	}
}

// ContBernLogProb returns Σ_d log CB(x[b,d] | logits) as [B] for x [B, D]
// in [0, 1]; stable at logits 0 (probs 0.5), where the normaliser is 2.
func ContBernLogProb(x, logits *G.Node) (*G.Node, error) {
	p, err := like("ContinuousBernoulli", x, logits)
	if err != nil {
		return nil, err
	}
	return ops.ContBernLogitsLogProb(x, p[0])
}

// contBernLogits returns the logits of p: as given, or log p − log(1−p)
// with p clamped to [DefaultEps, 1−DefaultEps].
func contBernLogits(p Params) (*G.Node, error) {
	if p.Logits != nil {
		return p.Logits, nil
	}
	lp, err := ops.LogClamped(p.Probs, DefaultEps)
	if err != nil {
		return nil, err
	}
	q, err := ops.Affine(p.Probs, -1, 1)
	if err != nil {
		return nil, err
	}
	lq, err := ops.LogClamped(q, DefaultEps)
	if err != nil {
		return nil, err
	}
	return ops.Safe("ContinuousBernoulli", func() (*G.Node, error) { return G.Sub(lp, lq) })
}

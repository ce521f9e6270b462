package dist

import (
	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// bernoulli is the Bernoulli family of binary data: log-density by the
// fused kernels ops.BernoulliLogitsLogProb or ops.BernoulliProbsLogProb,
// mean sigmoid(logits) or probs; no reparameterised sampler.
func bernoulli() *Family {
	return &Family{Name: "Bernoulli", Kernel: "ops.BernoulliLogitsLogProb, ops.BernoulliProbsLogProb",
		LogProb: func(x *G.Node, p Params) (*G.Node, error) {
			if p.Logits != nil {
				return BernoulliLogitsLogProb(x, p.Logits)
			}
			return BernoulliProbsLogProb(x, p.Probs, DefaultEps)
		},
		Mean: meanSigmoid,
	}
}

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

// BernoulliSample returns a draw [B, D] from Bernoulli(probs): 1 where
// uniform < probs, for uniform [B, D] filled by FillUniform. No gradient.
func BernoulliSample(probs, uniform *G.Node) (*G.Node, error) {
	p, err := like("BernoulliSample", uniform, probs)
	if err != nil {
		return nil, err
	}
	return ops.LessThan(uniform, p[0])
}

package check

// contBernFamily: ContinuousBernoulli(logits | probs), the normalised
// likelihood of data in [0, 1] (Loaiza-Ganem & Cunningham 2019), where
// Bernoulli on grey values is not a density; no reparameterised sampler.
func contBernFamily() Family {
	return Family{Name: "ContinuousBernoulli", Params: LogitsOrProbs, Value: Continuous,
		DataOnly: "use ContinuousBernoulli for observed data in [0, 1], or Normal for a continuous latent"}
}

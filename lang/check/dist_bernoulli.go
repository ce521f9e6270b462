package check

// bernoulliFamily: Bernoulli(logits | probs), the likelihood of binary data
// (no reparameterised sampler).
func bernoulliFamily() Family {
	return Family{Name: "Bernoulli", Params: LogitsOrProbs, Value: Continuous,
		DataOnly: "use Bernoulli for observed data, or Categorical(logits: ...) with 2 classes for a binary latent"}
}

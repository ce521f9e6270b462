package check

// categoricalFamily: Categorical(logits | probs) over K ≥ 2 classes, a
// one-hot value, enumerated or relaxed when unobserved.
func categoricalFamily() Family {
	return Family{Name: "Categorical", Params: LogitsOrProbs, Value: Discrete, Classes: true}
}

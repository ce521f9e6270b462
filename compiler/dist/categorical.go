package dist

import (
	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// categorical is the Categorical family over K classes (one-hot values):
// log-pmf log softmax(logits)[k] (probs are lowered to log-probs first);
// enumerated, relaxed (ConcreteSample) or drawn (CategoricalSample).
func categorical() *Family {
	return &Family{Name: "Categorical", Discrete: true,
		LogProb: func(x *G.Node, p Params) (*G.Node, error) { return CategoricalLogitsLogProb(x, p.Logits) }}
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

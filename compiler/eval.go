package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"

	"ssdgm/lang/check"
)

// Evaluator runs the encoder and decoder forward on unlabelled data: the
// ELBO of each data point, and the encoder's class probabilities of each
// discrete supervised variable, q(y | x). Where y is not at the encoder's
// root, q(y | x) = E_{q(z|x)} q(y | z, x) is estimated by averaging over the
// S samples (an importance-sampling estimate with q(z | x) as proposal).
type Evaluator struct {
	p *Program
	b *branch
}

// NewEvaluator builds an evaluation program for batches of size batch with
// samples samples per point, sharing the parameters of w. Discrete
// handling and MaxEnumeration come from opts; its batch sizes are ignored.
// Without elbo only the encoder is built (class probabilities only, every
// unobserved discrete variable relaxed): much cheaper when a discrete
// variable would be enumerated.
func NewEvaluator(m *check.Model, w *Weights, batch, samples int, opts Options, elbo bool) (*Evaluator, error) {
	opts.Labelled, opts.Unlabelled, opts.Samples = 0, batch, samples
	e := &Evaluator{}
	p, err := build(m, w, forEval, opts, func(p *Program) error {
		var err error
		e.b, err = p.lowerBranch(plan{name: "eval", eval: true, encoderOnly: !elbo}, batch)
		return err
	})
	if err != nil {
		return nil, err
	}
	e.p = p
	return e, nil
}

// Close releases the machine.
func (e *Evaluator) Close() error { return e.p.Close() }

// Batch is the evaluator's batch size.
func (e *Evaluator) Batch() int { return e.b.lay.B }

// EvalResult holds per-point results of one evaluation batch.
type EvalResult struct {
	ELBO  []float64            // per point (nil for an encoder-only evaluator)
	Probs map[string][]float64 // per supervised discrete variable (NAME[SLOT] in a repeat): B × K, rows sum to 1
	// Means holds, per continuous supervised variable, the mean of its
	// encoder distribution (its loc), B × D, averaged over samples with the
	// weights that average Probs.
	Means map[string][]float64
}

// Run evaluates one batch x (B × per-example size).
func (e *Evaluator) Run(x []float32, rng *rand.Rand) (EvalResult, error) {
	b := e.b
	if err := b.bind(x, nil, rng); err != nil {
		return EvalResult{}, err
	}
	defer e.p.vm.Reset()
	if err := e.p.vm.RunAll(); err != nil {
		return EvalResult{}, fmt.Errorf("evaluating %s: %w", e.p.Model.Name, err)
	}
	B, R := b.lay.B, b.R
	c := make([]float64, R)
	res := EvalResult{Probs: map[string][]float64{}, Means: map[string][]float64{}}
	if b.encoderOnly {
		for r := range c {
			c[r] = 1 / float64(b.lay.S)
		}
	} else {
		b.lay.weights(floats(b.lwVal), floats(b.lqeVal), c)
		lp, lq := floats(b.lpVal), floats(b.lqVal)
		res.ELBO = make([]float64, B)
		for r := 0; r < R; r++ {
			res.ELBO[r%B] += c[r] * (lp[r] - lq[r])
		}
	}
	for name, pr := range b.probs {
		k := pr.k
		vals := floats(pr.val)
		out := make([]float64, B*k)
		for r := 0; r < R; r++ {
			for j := 0; j < k; j++ {
				out[(r%B)*k+j] += c[r] * vals[r*k+j]
			}
		}
		for i := 0; i < B; i++ {
			s := 0.0
			for j := 0; j < k; j++ {
				s += out[i*k+j]
			}
			for j := 0; j < k && s > 0 && !math.IsNaN(s); j++ {
				out[i*k+j] /= s
			}
		}
		res.Probs[name] = out
	}
	for v, mr := range b.means {
		k := v.Shape.Size()
		vals := floats(mr.val)
		out := make([]float64, B*k)
		wsum := make([]float64, B)
		for r := 0; r < R; r++ {
			wsum[r%B] += c[r]
			for j := 0; j < k; j++ {
				out[(r%B)*k+j] += c[r] * vals[r*k+j]
			}
		}
		for i := 0; i < B; i++ {
			for j := 0; j < k && wsum[i] > 0; j++ {
				out[i*k+j] /= wsum[i]
			}
		}
		res.Means[v.Name] = out
	}
	return res, nil
}

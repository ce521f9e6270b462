package train

import (
	"fmt"
	"math/rand/v2"

	"ssdgm/compiler"
	"ssdgm/lang/check"
)

// Classifier computes q(y | x) for every discrete supervised variable the
// way evaluation does: the same encoder-only program, batch size, number
// of samples (one where y is at the encoder's root, so q(y | x) is exact;
// ten otherwise) and noise seeding. Predictions from it are the argmax
// that err_test_<y> counts.
type Classifier struct {
	ev   *compiler.Evaluator
	vars []*check.Var
	seed int64
	buf  []float32
}

// NewClassifier builds the classifier of m over w; opts are the run's
// CompileOptions and seed its seed. A model without a discrete supervised
// variable has nothing to classify: Vars is empty and Probs returns an
// empty map.
func NewClassifier(m *check.Model, w *compiler.Weights, opts compiler.Options, seed int64) (*Classifier, error) {
	c := &Classifier{seed: seed}
	for _, v := range m.Vars {
		if v.Role == check.Supervised && v.Kind == check.Discrete && v.Slots == 0 {
			c.vars = append(c.vars, v)
		}
	}
	if len(c.vars) == 0 {
		return c, nil
	}
	var err error
	c.ev, err = compiler.NewEvaluator(m, w, evalBatchFor(m, opts), samplesFor(m, c.vars), opts, false)
	return c, err
}

// Close releases the program.
func (c *Classifier) Close() {
	if c.ev != nil {
		c.ev.Close()
	}
}

// Vars returns the classified variables, in model order.
func (c *Classifier) Vars() []*check.Var { return c.vars }

// Batch is the number of data points per run of the program.
func (c *Classifier) Batch() int {
	if c.ev == nil {
		return evalBatch
	}
	return c.ev.Batch()
}

// Noise returns the generator an evaluation starts from: pass it to every
// Probs call of one pass over a data set, in order.
func (c *Classifier) Noise() *rand.Rand {
	return rand.New(rand.NewPCG(uint64(c.seed), evalNoise))
}

// Probs returns, for the n data points in x (n × data size, n at most
// Batch), each variable's class probabilities (n × classes, by name). The
// batch is padded by repeating its last point, as evaluation does.
func (c *Classifier) Probs(x []float32, n int, rng *rand.Rand) (map[string][]float64, error) {
	out := map[string][]float64{}
	if c.ev == nil || n == 0 {
		return out, nil
	}
	B := c.ev.Batch()
	if n > B || len(x)%n != 0 {
		return nil, fmt.Errorf("classify: %d values for %d points (at most %d)", len(x), n, B)
	}
	d := len(x) / n
	c.buf = c.buf[:0]
	for i := 0; i < B; i++ {
		j := min(i, n-1)
		c.buf = append(c.buf, x[j*d:(j+1)*d]...)
	}
	res, err := c.ev.Run(c.buf, rng)
	if err != nil {
		return nil, err
	}
	for _, v := range c.vars {
		out[v.Name] = res.Probs[v.Name][:n*v.Classes]
	}
	return out, nil
}

// evalNoise is the stream of the generator every evaluation starts from.
const evalNoise = 0x6576616c

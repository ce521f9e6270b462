package train

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/optim"
)

// TestContinuousBernoulliTrains: a spec whose likelihood is
// ContinuousBernoulli trains on grey values in [0, 1]: the losses stay
// finite and fall over a few Adam steps on a fixed batch.
func TestContinuousBernoulliTrains(t *testing.T) {
	src, err := os.ReadFile("../../testdata/specs/good/tiny_cb.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source("tiny_cb.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	for k, v := range map[string]string{"batch.labelled": "4", "batch.unlabelled": "8", "labelled.count": "10", "optimizer.lr": "0.01"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	opts := CompileOptions(m, cfg, 100)
	w, err := compiler.NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := compiler.Compile(m, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	opt, err := NewOptimizer(w, optim.Config{LR: cfg.Optimizer.LR, Beta1: cfg.Optimizer.Beta1, Beta2: cfg.Optimizer.Beta2, Eps: cfg.Optimizer.Eps})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	batch := SyntheticBatch(m, opts, rng)
	for _, x := range [][]float32{batch.Labelled, batch.Unlabelled} {
		for i := range x {
			x[i] = float32(rng.Float64()) // grey values
		}
	}
	var losses []float64
	for k := 0; k < 30; k++ {
		res, err := prog.Step(batch, rng)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
			t.Fatalf("step %d: loss %v", k, res.Loss)
		}
		losses = append(losses, res.Loss)
		gs, err := prog.Grads()
		if err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(gs); err != nil {
			t.Fatal(err)
		}
	}
	first, last := mean(losses[:5]), mean(losses[len(losses)-5:])
	t.Logf("mean loss of the first 5 steps %.4f, of the last 5 %.4f", first, last)
	if !(last < first) {
		t.Errorf("loss did not fall: %.4f → %.4f", first, last)
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

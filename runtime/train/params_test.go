package train

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
	"ssdgm/runtime/optim"
)

// TestParamSpecTrains: a spec with `param` declarations and a
// ContinuousBernoulli likelihood trains a few Adam steps on grey values:
// the losses stay finite and fall, every param moves away from its initial
// value, and a checkpoint written after training restores the params'
// values into freshly built weights.
func TestParamSpecTrains(t *testing.T) {
	src, err := os.ReadFile("../../testdata/specs/good/tiny_param.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source("tiny_param.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Params) != 2 {
		t.Fatalf("want 2 params, got %d", len(m.Params))
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
	ocfg := optim.Config{LR: cfg.Optimizer.LR, Beta1: cfg.Optimizer.Beta1, Beta2: cfg.Optimizer.Beta2, Eps: cfg.Optimizer.Eps}
	opt, err := newOptimizer(w, ocfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	batch := SyntheticBatch(m, opts, rng)
	for _, x := range [][]float32{batch.Labelled, batch.Unlabelled} {
		for i := range x {
			x[i] = float32(rng.Float64())
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
	for _, p := range m.Params {
		np := w.Params.Get(p.Name)
		if np == nil {
			t.Fatalf("param %s is not among the weights", p.Name)
		}
		if np.Size() != p.Shape.Size() {
			t.Errorf("param %s has %d values, want %d", p.Name, np.Size(), p.Shape.Size())
		}
		for i, v := range np.F64() {
			if v == p.Init {
				t.Errorf("param %s[%d] is still at its initial value %g after training", p.Name, i, v)
			}
		}
	}

	c := &ckpt.Checkpoint{Positions: map[string]ckpt.Position{}, RNG: map[string][]byte{}, Meta: map[string]string{}}
	opt.save(c)
	path, err := ckpt.Save(t.TempDir(), c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ckpt.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := compiler.NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	opt2, err := newOptimizer(w2, ocfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := opt2.load(back); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params {
		got, want := w2.Params.Get(p.Name).F64(), w.Params.Get(p.Name).F64()
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("param %s[%d] restored as %g, saved %g", p.Name, i, got[i], want[i])
			}
		}
	}
}

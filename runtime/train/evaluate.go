package train

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
	"ssdgm/runtime/pictures"
)

// EvalOptions say what Evaluate measures.
type EvalOptions struct {
	Dir    string         // the run folder (its checkpoints are in Dir/checkpoints)
	Model  *check.Model   // the run's checked spec
	Config *config.Config // the run's resolved config
	// Split is "test" (the default) or "val"; max_eval of the config
	// limits it to its first examples, as in training.
	Split string
	// Checkpoint is "best" (the default: the best validation epoch's, see
	// checkpoint.best_metric; the last when the run keeps none), "last"
	// (the newest readable one) or "prev" (the one before it).
	Checkpoint string
	Data       data.Options
}

// EvalReport is what Evaluate measured.
type EvalReport struct {
	Split      string
	Examples   int
	Checkpoint string           // the path of the checkpoint evaluated
	Step       int64            // its training step
	Errors     []Error          // per discrete supervised variable, in model order
	Directions []DirectionError // per continuous supervised direction, in model order
	// Accuracies are the acc_<split>_<label> metrics (count accuracy,
	// per-slot digit accuracy), sorted by name, rates in [0, 1].
	Accuracies []Accuracy
	ELBO       float64 // mean ELBO per example, in nats
	Skipped    []error // newer checkpoints that could not be read
	Note       string  // why "best" evaluated the last checkpoint instead
}

// Error is the classification error of one supervised variable: the
// fraction of examples where argmax q(y | x) differs from the label.
type Error struct {
	Var  string
	Rate float64
}

// DirectionError is the error of a continuous supervised direction (a
// light): the mean angle in degrees between the encoder's mean and the
// label, and the mean cosine distance 1 − cos θ (a fraction).
type DirectionError struct {
	Var      string
	AngleDeg float64
	CosDist  float64
}

// Accuracy is one accuracy metric: Name is acc_<split>_<label>.
type Accuracy struct {
	Name string
	Rate float64
}

// Evaluate loads a run's checkpoint into freshly built networks and
// measures, on the chosen split, the classification error of every
// discrete supervised variable (argmax q(y|x), importance-weighted where y
// is not at the encoder's root) and the mean ELBO, with the noise seeded
// as in training's evaluations.
func Evaluate(opt EvalOptions) (*EvalReport, error) {
	if opt.Model == nil || opt.Config == nil {
		return nil, errors.New("evaluate: no model or config")
	}
	cfg, m := opt.Config, opt.Model
	split := opt.Split
	if split == "" {
		split = "test"
	}
	if split != "test" && split != "val" {
		return nil, fmt.Errorf("evaluate: unknown split %q (want test or val)", split)
	}
	which := opt.Checkpoint
	if which == "" {
		which = "best"
	}
	if which != "best" && which != "last" && which != "prev" {
		return nil, fmt.Errorf("evaluate: unknown checkpoint %q (want best, last or prev)", which)
	}
	rep := &EvalReport{Split: split}
	var c *ckpt.Checkpoint
	var err error
	if which == "best" {
		c, rep.Checkpoint, err = ReadBest(opt.Dir)
		if errors.Is(err, ckpt.ErrNone) {
			rep.Note, which = "the run keeps no best checkpoint; evaluating the last", "last"
		} else if err != nil {
			return nil, fmt.Errorf("reading the best checkpoint: %w", err)
		} else {
			rep.Step = c.Step
		}
	}
	if which != "best" {
		if c, err = readCheckpoint(filepath.Join(opt.Dir, checkpointDir), which, rep); err != nil {
			return nil, err
		}
	}
	dopts := opt.Data
	if cfg.DataDir != "" {
		dopts.DataDir = cfg.DataDir
	}
	ds, err := data.Open(cfg.Dataset, dopts)
	if err != nil {
		return nil, err
	}
	if err := CheckSchema(m, ds.Name, ds.Schema, ds.Shape); err != nil {
		return nil, err
	}
	s := ds.Test
	if split == "val" {
		s = ds.Val
	}
	if s == nil || s.N == 0 {
		return nil, fmt.Errorf("evaluate: dataset %s has no %s examples", ds.Name, split)
	}
	if n := cfg.MaxEval; n > 0 && n < s.N {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		if s, err = s.Subset(idx); err != nil {
			return nil, err
		}
	}
	s = EvalImages(cfg, s)
	rep.Examples = s.N
	w, err := compiler.NewWeights(m, cfg.Dtype == "float64", uint64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	if err := pictures.LoadCheckpoint(w, c); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", rep.Checkpoint, err)
	}
	trainN := ds.Train.N
	if cfg.MaxTrain > 0 {
		trainN = min(trainN, cfg.MaxTrain)
	}
	ev, err := newEvaluatorFor(m, w, CompileOptions(m, cfg, trainN), cfg.Seed)
	if err != nil {
		return nil, err
	}
	metrics, err := ev.split(s, split, true)
	if err != nil {
		return nil, err
	}
	for _, v := range ev.vars {
		rep.Errors = append(rep.Errors, Error{Var: v.Name, Rate: metrics[fmt.Sprintf("err_%s_%s", split, v.Name)]})
	}
	for _, v := range ev.dirs {
		rep.Directions = append(rep.Directions, DirectionError{Var: v.Name,
			AngleDeg: metrics[fmt.Sprintf("angle_%s_%s", split, v.Name)], CosDist: metrics[fmt.Sprintf("cos_%s_%s", split, v.Name)]})
	}
	for k, v := range metrics {
		if strings.HasPrefix(k, "acc_") {
			rep.Accuracies = append(rep.Accuracies, Accuracy{Name: k, Rate: v})
		}
	}
	sort.Slice(rep.Accuracies, func(i, j int) bool { return rep.Accuracies[i].Name < rep.Accuracies[j].Name })
	rep.ELBO = metrics["elbo_"+split]
	return rep, nil
}

// readCheckpoint reads the newest readable checkpoint of dir ("last") or
// the one before the newest ("prev"), recording which in rep.
func readCheckpoint(dir, which string, rep *EvalReport) (*ckpt.Checkpoint, error) {
	if which == "last" {
		c, path, skipped, err := ckpt.LoadLatest(dir)
		if err != nil {
			return nil, fmt.Errorf("reading the checkpoint: %w", err)
		}
		rep.Checkpoint, rep.Step, rep.Skipped = path, c.Step, skipped
		return c, nil
	}
	paths, err := ckpt.List(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoints: %w", err)
	}
	if len(paths) < 2 {
		return nil, fmt.Errorf("%s holds %d checkpoint(s), so there is no previous one", dir, len(paths))
	}
	path := paths[len(paths)-2]
	c, err := ckpt.Read(path)
	if err != nil {
		return nil, fmt.Errorf("reading the previous checkpoint: %w", err)
	}
	rep.Checkpoint, rep.Step = path, c.Step
	return c, nil
}

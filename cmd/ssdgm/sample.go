package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
	"ssdgm/runtime/pictures"
	"ssdgm/runtime/runs"
	"ssdgm/runtime/train"
)

const sampleUsage = `usage: ssdgm sample [flags] RUN -o FILE.png

Draws one picture from a checkpoint of the run folder RUN (the pictures
training writes to RUN/pictures, on demand):

  prior        N×N samples from the prior; --set var=value fixes latents,
               e.g. --set y=7 (a class index) or --set light=0,0,1 (a vector)
  recon        test inputs over their reconstructions
  values       rows: test images; columns: input, reconstruction and the
               decoder's named values (--show albedo,shading,normals; default
               every value shaped like the image), normals as RGB
  analogy      rows: test images; columns: every value of a discrete
               supervised variable (--var), decoded with the row's style
  conditional  row k: samples with the discrete supervised variable = k
  sweep        a continuous supervised variable swept, one row per component
  relight      a test image with a supervised direction (a 3-vector, --var)
               moved in azimuth and in elevation over the range of its labels
  traverse     the most active unsupervised latent dimensions over [-3, 3]
  latent       the unsupervised latents of test points, PCA to 2-D
  slots        test inputs with each active slot's glimpse boxed, their
               reconstructions, and each slot decoded alone (multi-MNIST)
  curves       the learning curves of RUN/metrics.csv

--checkpoint best (the default) is the best validation epoch's checkpoint,
which training keeps in RUN/checkpoints/best (see checkpoint.best_metric);
for a run without one, the epoch with the lowest validation error of the
first discrete supervised variable in metrics.csv (the highest validation
ELBO without one) if its checkpoint is still among the last two kept, else
the last; last is the newest readable
checkpoint; a number is the training step of a kept checkpoint
(RUN/checkpoints/ckpt-<step>.safetensors). --npy writes the picture's
values beside it as FILE.npy (NumPy float32).`

func runSample(e *env, args []string) int {
	fs := newFlags(e, "sample", sampleUsage)
	kind := fs.String("kind", pictures.Prior, "picture `kind`: "+strings.Join(pictures.Kinds(), ", "))
	which := fs.String("checkpoint", "best", "checkpoint: best, last or a training step")
	out := fs.String("o", "", "output `FILE.png`")
	n := fs.Int("n", 10, "test images (rows) or samples per row")
	v := fs.String("var", "", "variable of an analogy, conditional or sweep (default: the first that applies)")
	split := fs.String("split", "test", "split the test images come from: test or val")
	seed := fs.Uint64("seed", 1, "seed of the prior samples")
	npy := fs.Bool("npy", false, "also write the values as a .npy file beside the picture")
	show := fs.String("show", "", "decoder values of a values picture, `a,b,c` (default: every value shaped like the image)")
	var sets setFlags
	fs.Var(&sets, "set", "fix a latent of the prior samples, `var=value` (repeatable)")
	source := fs.Bool("source", e.tty, "show the source line under each spec problem")
	dirs, ok := parseFlags(e, fs, sampleUsage, args)
	if !ok {
		return exitUsage
	}
	if len(dirs) != 1 || *out == "" {
		fmt.Fprintln(e.stderr, sampleUsage)
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssdgm sample: "+format+"\n", a...)
		return exitUsage
	}
	known := false
	for _, k := range pictures.Kinds() {
		known = known || k == *kind
	}
	if !known {
		return usageErr("unknown --kind %q (want one of %s)", *kind, strings.Join(pictures.Kinds(), ", "))
	}
	if *n < 1 || *n > 100 {
		return usageErr("--n must be between 1 and 100, got %d", *n)
	}
	if *split != "test" && *split != "val" {
		return usageErr("--split must be test or val, got %q", *split)
	}
	if *show != "" && *kind != pictures.Values {
		return usageErr("--show names the decoder values of --kind values")
	}
	if len(sets) > 0 && *kind != pictures.Prior {
		return usageErr("--set fixes latents of prior samples: use it with --kind prior")
	}
	if _, err := parseCheckpointFlag(*which); err != nil {
		return usageErr("%v", err)
	}
	if !strings.EqualFold(filepath.Ext(*out), ".png") {
		return usageErr("-o %s: the picture is a PNG; name it FILE.png", *out)
	}
	dir := dirs[0]
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		fmt.Fprintf(e.stderr, "ssdgm sample: no run folder %s\n", dir)
		return exitFail
	}
	m, src, cfg, ok := runSpecAndConfig(e, dir, *source)
	if !ok {
		return exitFail
	}
	fixed := map[string][]float32{}
	for _, s := range sets {
		name, val, err := pictures.ParseSet(m, s)
		if err != nil {
			fmt.Fprintf(e.stderr, "ssdgm sample: --set %s: %v\n", s, err)
			return exitFail
		}
		fixed[name] = val
	}
	fail := func(err error) int {
		fmt.Fprint(e.stderr, "ssdgm sample: ")
		printDiags(e, err, src, *source)
		return exitFail
	}
	if *kind == pictures.Curves {
		if err := pictures.WriteCurves(filepath.Join(dir, runs.MetricsFile), *out, ""); err != nil {
			return fail(err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", *out)
		return exitOK
	}
	c, path, note, err := pickCheckpoint(dir, m, *which)
	if err != nil {
		return fail(err)
	}
	if note != "" {
		fmt.Fprintf(e.stderr, "ssdgm sample: %s\n", note)
	}
	w, err := compiler.NewWeights(m, cfg.Dtype == "float64", uint64(cfg.Seed))
	if err != nil {
		return fail(err)
	}
	if err := pictures.LoadCheckpoint(w, c); err != nil {
		return fail(fmt.Errorf("checkpoint %s: %w", path, err))
	}
	opt := pictures.Options{Model: m, Weights: w, N: *n, Seed: *seed, NPY: *npy, Note: fmt.Sprintf("step %d", c.Step)}
	if *show != "" {
		opt.Show = strings.Split(*show, ",")
	}
	trainN := max(cfg.MaxTrain, 1)
	if *kind != pictures.Prior && *kind != pictures.Conditional {
		s, tn, err := sampleSplit(m, cfg, *split)
		if err != nil {
			return fail(err)
		}
		opt.Split = s
		if cfg.MaxTrain == 0 || tn < cfg.MaxTrain {
			trainN = tn
		}
	}
	opt.Compile = train.CompileOptions(m, cfg, trainN)
	d, err := pictures.New(opt)
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	if err := d.Draw(*kind, *v, fixed, *out); err != nil {
		return fail(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (checkpoint step %d)\n", *out, c.Step)
	return exitOK
}

// parseCheckpointFlag returns the step of --checkpoint N, or -1 for best
// and -2 for last.
func parseCheckpointFlag(s string) (int64, error) {
	switch s {
	case "best":
		return -1, nil
	case "last":
		return -2, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--checkpoint must be best, last or a training step, got %q", s)
	}
	return n, nil
}

// pickCheckpoint reads the checkpoint --checkpoint names (see sampleUsage).
// note says when best fell back to the last one.
func pickCheckpoint(dir string, m *check.Model, which string) (*ckpt.Checkpoint, string, string, error) {
	cdir := filepath.Join(dir, "checkpoints")
	step, _ := parseCheckpointFlag(which)
	note := ""
	if step == -1 {
		c, path, err := train.ReadBest(dir)
		if err == nil {
			return c, path, fmt.Sprintf("best checkpoint: step %d", c.Step), nil
		}
		if !errors.Is(err, ckpt.ErrNone) {
			return nil, "", "", fmt.Errorf("reading the best checkpoint: %w", err)
		}
		// A run from before best checkpoints were kept: the best epoch of
		// metrics.csv, if its checkpoint is among the last two.
		best, ok := bestStep(filepath.Join(dir, runs.MetricsFile), m)
		if ok {
			path := filepath.Join(cdir, ckpt.FileName(best))
			if c, err := ckpt.Read(path); err == nil {
				return c, path, fmt.Sprintf("best checkpoint: step %d", best), nil
			}
			note = fmt.Sprintf("the best epoch's checkpoint (step %d) is no longer kept; using the last", best)
		} else {
			note = "metrics.csv has no validation results; using the last checkpoint"
		}
		step = -2
	}
	if step == -2 {
		c, path, _, err := ckpt.LoadLatest(cdir)
		if err != nil {
			return nil, "", "", fmt.Errorf("reading the checkpoint: %w", err)
		}
		return c, path, note, nil
	}
	path := filepath.Join(cdir, ckpt.FileName(step))
	c, err := ckpt.Read(path)
	if err != nil {
		var steps []string
		paths, _ := ckpt.List(cdir)
		for _, p := range paths {
			s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "ckpt-"), ".safetensors")
			steps = append(steps, strings.TrimLeft(s, "0"))
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", "", fmt.Errorf("run %s keeps no checkpoint of step %d (it keeps steps %s)", dir, step, strings.Join(steps, ", "))
		}
		return nil, "", "", fmt.Errorf("reading the checkpoint of step %d: %w", step, err)
	}
	return c, path, "", nil
}

// bestStep returns the step of the metrics.csv row with the lowest
// validation error of the first discrete supervised variable, or the
// highest validation ELBO when the model has none.
func bestStep(path string, m *check.Model) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return 0, false
	}
	head := strings.Split(lines[0], ",")
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		return -1
	}
	key, sign := col("elbo_val"), -1.0
	for _, v := range m.Vars {
		if v.Role == check.Supervised && v.Kind == check.Discrete && v.Slots == 0 {
			if i := col("err_val_" + v.Name); i >= 0 {
				key, sign = i, 1
			}
			break
		}
	}
	stepCol := col("step")
	if key < 0 || stepCol < 0 {
		return 0, false
	}
	best, bestV, found := int64(0), math.Inf(1), false
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) <= max(key, stepCol) {
			continue
		}
		x, err1 := strconv.ParseFloat(f[key], 64)
		s, err2 := strconv.ParseInt(f[stepCol], 10, 64)
		if err1 != nil || err2 != nil || math.IsNaN(x) {
			continue
		}
		if sign*x < bestV { // ties: the earlier epoch, as training's best checkpoint
			best, bestV, found = s, sign*x, true
		}
	}
	return best, found
}

// sampleSplit opens the run's dataset and returns the split of test images
// and the number of training examples.
func sampleSplit(m *check.Model, cfg *config.Config, split string) (*data.Split, int, error) {
	ds, err := data.Open(cfg.Dataset, data.Options{DataDir: cfg.DataDir})
	if err != nil {
		return nil, 0, err
	}
	if err := train.CheckSchema(m, ds.Name, ds.Schema, ds.Shape); err != nil {
		return nil, 0, err
	}
	s := ds.Test
	if split == "val" {
		s = ds.Val
	}
	if s == nil || s.N == 0 {
		return nil, 0, fmt.Errorf("dataset %s has no %s examples", ds.Name, split)
	}
	return train.EvalImages(cfg, s), ds.Train.N, nil
}

// Package train runs training: it opens the dataset, holds the spec's
// labels against the dataset's schema, draws the fixed labelled subset,
// compiles the model, steps the fused Adam over labelled and unlabelled
// batches, evaluates, writes the run folder (metrics, step log,
// checkpoints) and resumes a stopped run to the same numbers.
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
	"ssdgm/runtime/labelled"
	"ssdgm/runtime/optim"
	"ssdgm/runtime/pictures"
	"ssdgm/runtime/runs"
)

// Version is the tool version recorded in run metadata.
const Version = "0.1.0"

// Options configure a training run.
type Options struct {
	Spec   []byte       // the spec source, copied into the run folder
	Model  *check.Model // the checked spec
	Config *config.Config
	Resume string // a run folder to continue; Spec and Config must match it
	// Extend, with Resume, is the run's config with more epochs and/or
	// another learning-rate schedule (ExtendKeys), which the run is
	// extended to (nil: the run's own). The schedule depends on the step
	// only and every random stream on the seed and the step, so the
	// extended run's steps are those of a run started with Extend; only
	// its metrics.csv has test columns at the old last epoch too.
	Extend   *config.Config
	Observer Observer
	Command  []string // recorded in meta.json
	Data     data.Options
}

// Summary is what a finished run reports.
type Summary struct {
	Dir     string
	Epochs  int
	Steps   int64
	Metrics map[string]float64 // the final (test) evaluation
}

// ErrInterrupted is returned when the context is cancelled: a checkpoint
// was written and the run can be resumed.
var ErrInterrupted = errors.New("training interrupted; checkpoint saved")

// DivergedError reports a NaN or Inf in the loss.
type DivergedError struct {
	Step int64
	Term string
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("training diverged at step %d: %s is not finite; the last good checkpoint is kept (try a smaller optimizer.lr)", e.Step, e.Term)
}

// trainer holds one run's state.
type trainer struct {
	opt      Options
	cfg      *config.Config
	m        *check.Model
	ds       *data.Dataset
	train    *data.Split
	val      *data.Split   // validation examples evaluated (max_eval of them)
	test     *data.Split   // test examples evaluated (max_eval of them)
	chosen   []int         // labelled subset, indices into train
	groups   []*labelGroup // with labelled.counts: points by the labels they carry
	classVar *check.Var
	frozen   []bool // parameters kept fixed (init.freeze), in w.Params order
	w        *compiler.Weights
	prog     compiler.Stepper
	optim    optimizer
	unl, lab *labelled.Sampler
	rng      *rand.Rand
	pcg      *rand.PCG
	run      *runs.Run
	step     int64   // steps done
	epoch    int     // epochs completed
	inEpoch  int     // steps done within the epoch in progress
	lossSum  float64 // sum of the losses of the epoch in progress
	batch    compiler.Batch
	eval     *evaluator
	best     best // the best validation epoch so far
	// clippedInEpoch counts the steps of the epoch in progress whose
	// gradients were clipped.
	clippedInEpoch int
	// saved is the step of the newest checkpoint in the run folder (-1:
	// none yet), which a run stopped by a failed write names.
	saved int64
}

// Train trains the model of opt until its configured epochs are done, the
// context is cancelled (ErrInterrupted, after a checkpoint) or the loss
// diverges (*DivergedError).
func Train(ctx context.Context, opt Options) (*Summary, error) {
	t := &trainer{opt: opt, cfg: opt.Config, m: opt.Model, saved: -1}
	if t.opt.Observer == nil {
		t.opt.Observer = ObserverFunc(func(Event) {})
	}
	if err := t.setup(); err != nil {
		return nil, err
	}
	return t.loop(ctx)
}

func (t *trainer) setup() error {
	cfg := t.cfg
	dopts := t.opt.Data
	if cfg.DataDir != "" {
		dopts.DataDir = cfg.DataDir
	}
	ds, err := data.Open(cfg.Dataset, dopts)
	if err != nil {
		return err
	}
	t.ds = ds
	if err := CheckSchema(t.m, ds.Name, ds.Schema, ds.Shape); err != nil {
		return err
	}
	t.train = ds.Train
	if t.train, err = firstN(t.train, cfg.MaxTrain); err != nil {
		return err
	}
	if t.val, err = firstN(ds.Val, cfg.MaxEval); err != nil {
		return err
	}
	if t.test, err = firstN(ds.Test, cfg.MaxEval); err != nil {
		return err
	}
	t.val, t.test = EvalImages(cfg, t.val), EvalImages(cfg, t.test)
	if cfg.Binarize == config.BinarizeFixed {
		t.train = t.train.Binarized(cfg.Seed, data.StreamFixed)
	}
	N := t.train.N
	cfg.Resolve(N, t.m.Name)
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := t.chooseLabelled(); err != nil {
		return err
	}
	if t.best.metric, t.best.lower, err = bestMetric(t.m, cfg, metricColumns(t.m, false)); err != nil {
		return err
	}
	specHash, cfgHash := runs.Hash(t.opt.Spec), cfg.Hash()
	if t.opt.Resume != "" {
		if cfgHash, err = t.extend(specHash, cfgHash); err != nil {
			return err
		}
		if t.run, err = runs.Open(t.opt.Resume, specHash, cfgHash); err != nil {
			return err
		}
	} else {
		t.run, err = runs.Create(cfg.Out, cfg.RunName(t.m.Name), runs.Options{
			Spec: t.opt.Spec, Config: cfg.Marshal(),
			Meta:    runs.Meta{ConfigHash: cfgHash, Tool: "ssdgm " + Version, GoVersion: runtime.Version(), Seed: cfg.Seed, Command: t.opt.Command},
			Columns: metricColumns(t.m, t.best.metric != ""),
		})
		if err != nil {
			return err
		}
	}
	if t.w, err = compiler.NewWeights(t.m, cfg.Dtype == "float64", uint64(cfg.Seed)); err != nil {
		return err
	}
	if err := t.initNets(); err != nil {
		return err
	}
	copts := CompileOptions(t.m, cfg, N)
	if len(t.chosen) == 0 {
		copts.Labelled = 0
		copts.Sets = nil
	}
	if len(t.groups) > 0 {
		var vars [][]string
		var sizes []int
		for _, g := range t.groups {
			vars = append(vars, g.vars)
			sizes = append(sizes, len(g.idx))
		}
		copts.Sets = labelSets(cfg, vars, sizes, N)
		copts.Labelled = 0
		for i, g := range t.groups {
			g.batch = copts.Sets[i].Batch
			copts.Labelled += g.batch
		}
	}
	copts.Frozen = t.frozen
	if t.prog, err = compiler.CompileStep(t.m, t.w, copts); err != nil {
		return err
	}
	if t.optim, err = newOptimizer(t.w, optim.Config{LR: cfg.Optimizer.LR, Beta1: cfg.Optimizer.Beta1, Beta2: cfg.Optimizer.Beta2, Eps: cfg.Optimizer.Eps}); err != nil {
		return err
	}
	all := make([]int, N)
	for i := range all {
		all[i] = i
	}
	t.unl = labelled.NewSampler(all, cfg.Seed*7919+1)
	t.lab = labelled.NewSampler(t.chosen, cfg.Seed*7919+2)
	for i, g := range t.groups {
		g.sampler = labelled.NewSampler(g.idx, cfg.Seed*7919+2+int64(i+1)*104729)
		g.name = "labelled." + strings.Join(g.vars, ",")
	}
	t.pcg = rand.NewPCG(uint64(cfg.Seed), 0x6e6f697365)
	t.rng = rand.New(t.pcg)
	t.batch = compiler.Batch{Labels: map[string][]float32{}}
	if t.eval, err = newEvaluator(t); err != nil {
		return err
	}
	if t.opt.Resume != "" {
		return t.restore()
	}
	return nil
}

// firstN returns the first n examples of s (all of them when n is 0 or
// at least s.N).
func firstN(s *data.Split, n int) (*data.Split, error) {
	if s == nil || n <= 0 || n >= s.N {
		return s, nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return s.Subset(idx)
}

// metricColumns returns the columns of metrics.csv for m; with best, also
// those of the test evaluation of the best validation epoch's checkpoint
// (best_epoch, then each test column with BestSuffix),
// which only the last row fills.
func metricColumns(m *check.Model, best bool) []string {
	cols := []string{"epoch", "step", "loss", "seconds", "examples_per_s", "elbo_val"}
	counts := repeatCounts(m)
	for _, v := range m.Vars {
		if v.Role != check.Supervised || v.Kind != check.Discrete {
			continue
		}
		if v.Slots == 0 {
			cols = append(cols, "err_val_"+v.Name, "err_test_"+v.Name)
		}
		if v.Slots > 0 || counts[v] {
			cols = append(cols, "acc_val_"+v.Label.Name, "acc_test_"+v.Label.Name)
		}
	}
	for _, v := range directionVars(m) {
		cols = append(cols, "angle_val_"+v.Name, "angle_test_"+v.Name, "cos_val_"+v.Name, "cos_test_"+v.Name)
	}
	cols = append(cols, "elbo_test")
	if best {
		cols = append(cols, "best_epoch")
		for _, c := range cols {
			if isTestMetric(c) {
				cols = append(cols, c+BestSuffix)
			}
		}
	}
	return cols
}

// classVarClasses returns the number of classes of the balancing variable
// (1 without one).
func (t *trainer) classVarClasses() int {
	if t.classVar == nil {
		return 1
	}
	return t.classVar.Classes
}

// gather copies the images of idx into *dst and, when labels is not nil,
// the labels of every supervised variable into labels. With data.binarize
// dynamic, each image is a fresh Bernoulli draw keyed by the seed, the
// stream (which batch of the step), the step and its position in the
// batch, so a resumed run draws the same images.
func (t *trainer) gather(idx []int, dst *[]float32, labels map[string][]float32, stream uint64) {
	s := t.train
	d := s.ImageSize()
	buf := (*dst)[:0]
	dynamic := t.cfg.Binarize == config.BinarizeDynamic
	for j, i := range idx {
		img := s.Images[i*d : (i+1)*d]
		if !dynamic {
			buf = append(buf, img...)
			continue
		}
		n := len(buf)
		buf = append(buf, img...)
		k1, k2 := data.BinarizeKey(t.cfg.Seed, stream, uint64(t.step), uint64(j))
		data.Binarize(buf[n:], img, k1, k2)
	}
	*dst = buf
	if labels == nil {
		return
	}
	for _, v := range t.m.Vars {
		if v.Role != check.Supervised {
			continue
		}
		ld := s.Labels[v.Label.Name]
		per := ld.Label.PerExample()
		out := labels[v.Label.Name][:0]
		for _, i := range idx {
			out = append(out, ld.Values[i*per:(i+1)*per]...)
		}
		labels[v.Label.Name] = out
	}
}

func (t *trainer) loop(ctx context.Context) (*Summary, error) {
	cfg := t.cfg
	N := t.train.N
	steps := cfg.Steps(N)
	obs := t.opt.Observer
	obs.Observe(Event{Kind: RunStart, Message: t.run.Dir(), Epochs: cfg.Epochs, Steps: steps})
	start := time.Now()
	first := true // no step of this process done yet
	for t.epoch < cfg.Epochs {
		ep := t.epoch + 1
		obs.Observe(Event{Kind: EpochStart, Epoch: ep, Epochs: cfg.Epochs, Steps: steps})
		epochStart := time.Now()
		examples := 0
		for t.inEpoch < steps {
			if ctx.Err() != nil {
				if err := t.checkpoint(); err != nil {
					return nil, t.writeFailed("the checkpoint of the interruption", err)
				}
				t.run.Logf("interrupted at step %d (epoch %d, step %d of %d); checkpoint saved", t.step, ep, t.inEpoch, steps)
				t.run.Finish(runs.StatusStopped, "interrupted")
				return nil, ErrInterrupted
			}
			res, err := t.trainStep()
			var se *stepLogError
			if errors.As(err, &se) {
				return nil, t.writeFailed(runs.StepsFile, se.err)
			}
			if err != nil {
				t.run.Logf("%v", err)
				t.run.Finish(runs.StatusFailed, err.Error())
				return nil, err
			}
			t.lossSum += res.Loss
			if rss, ok := peakRSS(); ok && first {
				// What starting a run costs: data, programs, one step.
				t.run.Logf("step %d, the first of this process: peak_rss %d MB", t.step, rss>>20)
			}
			first = false
			examples += cfg.Batch.Unlabelled
			examples += t.labelledPerStep()
			t.inEpoch++
			if n := int64(cfg.Checkpoint.EverySteps); n > 0 && t.step%n == 0 && t.inEpoch < steps {
				// Mid-epoch; the epoch's end writes its own checkpoint.
				if err := t.checkpoint(); err != nil {
					return nil, t.writeFailed(fmt.Sprintf("the checkpoint of step %d", t.step), err)
				}
			}
			if t.inEpoch%5 == 0 || t.inEpoch == steps {
				el := time.Since(epochStart)
				obs.Observe(Event{Kind: StepDone, Epoch: ep, Epochs: cfg.Epochs, Step: t.inEpoch, Steps: steps, TotalStep: t.step,
					Loss: t.lossSum / float64(t.inEpoch), ExamplesPerSec: float64(examples) / el.Seconds(), Elapsed: el})
			}
		}
		el := time.Since(epochStart)
		metrics := map[string]float64{"epoch": float64(ep), "step": float64(t.step), "loss": t.lossSum / float64(max(steps, 1)),
			"seconds": el.Seconds(), "examples_per_s": float64(examples) / el.Seconds()}
		t.epoch++
		t.inEpoch = 0
		t.lossSum = 0
		t.clippedInEpoch = 0
		final := t.epoch == cfg.Epochs
		evaluated := t.epoch%cfg.EvalEvery == 0 || final
		if evaluated {
			// The validation ELBO needs the full (enumerated) model, so it
			// is computed once, at the end; the error every evaluation.
			ev, err := t.eval.split(t.val, "val", final)
			if err != nil {
				return nil, err
			}
			for k, v := range ev {
				metrics[k] = v
			}
		}
		if evaluated && t.best.update(metrics, t.epoch, t.step) {
			// Before the regular checkpoint, which records it as the best:
			// a run killed in between redoes this epoch and writes it again.
			if err := t.saveBest(); err != nil {
				return nil, t.writeFailed(fmt.Sprintf("the best checkpoint (epoch %d)", t.epoch), err)
			}
		}
		if final {
			ev, err := t.eval.split(t.test, "test", true)
			if err != nil {
				return nil, err
			}
			for k, v := range ev {
				metrics[k] = v
			}
			bv, err := t.evalBest(ev)
			if err != nil {
				return nil, err
			}
			for k, v := range bv {
				metrics[k] = v
			}
		}
		if err := t.checkpoint(); err != nil {
			return nil, t.writeFailed(fmt.Sprintf("the checkpoint of epoch %d", t.epoch), err)
		}
		if err := t.run.Metrics(toRow(metrics, t.run.Columns())); err != nil {
			return nil, t.writeFailed(runs.MetricsFile, err)
		}
		mem := ""
		if rss, ok := peakRSS(); ok {
			mem = fmt.Sprintf("  peak_rss %d MB", rss>>20)
		}
		t.run.Logf("epoch %d/%d %s%s", ep, cfg.Epochs, formatMetrics(metrics), mem)
		if evaluated {
			t.pictures(ep)
		}
		obs.Observe(Event{Kind: EpochDone, Epoch: ep, Epochs: cfg.Epochs, Steps: steps, TotalStep: t.step, Loss: metrics["loss"],
			ExamplesPerSec: metrics["examples_per_s"], Elapsed: el, Metrics: metrics})
		if final {
			obs.Observe(Event{Kind: RunDone, Epoch: ep, Epochs: cfg.Epochs, TotalStep: t.step, Elapsed: time.Since(start), Metrics: metrics, Message: t.run.Dir()})
			if err := t.run.Finish(runs.StatusDone, ""); err != nil {
				return nil, err
			}
			return &Summary{Dir: t.run.Dir(), Epochs: t.epoch, Steps: t.step, Metrics: metrics}, nil
		}
	}
	// Nothing left to do (a finished run resumed).
	t.run.Finish(runs.StatusDone, "")
	return &Summary{Dir: t.run.Dir(), Epochs: t.epoch, Steps: t.step}, nil
}

// pictures refreshes RUN/pictures (see runtime/pictures) from the current
// weights, the first test examples and metrics.csv. A failure is logged
// and never stops training.
func (t *trainer) pictures(ep int) {
	opt := pictures.Options{Model: t.m, Weights: t.w, Compile: CompileOptions(t.m, t.cfg, t.train.N), Split: t.test,
		Seed: uint64(t.cfg.Seed), Note: fmt.Sprintf("epoch %d", ep)}
	if err := pictures.WriteAll(opt, t.run.Path("pictures"), t.run.Path(runs.MetricsFile)); err != nil {
		t.run.Logf("pictures: %v", err)
	}
}

// trainStep runs one step: batches, forward and backward, a finite-loss
// check, the optimizer, the step log.
func (t *trainer) trainStep() (compiler.Result, error) {
	cfg := t.cfg
	t.gather(t.unl.Next(cfg.Batch.Unlabelled), &t.batch.Unlabelled, nil, data.StreamUnlabelled)
	switch {
	case len(t.groups) > 0:
		t.batch.Sets = t.batch.Sets[:0]
		for i, g := range t.groups {
			t.gather(g.sampler.Next(g.batch), &g.x, g.labels, streamGroup+uint64(i))
			t.batch.Sets = append(t.batch.Sets, compiler.SetBatch{X: g.x, Labels: g.labels})
		}
	case len(t.chosen) > 0:
		t.gather(t.lab.Next(cfg.Batch.Labelled), &t.batch.Labelled, t.batch.Labels, data.StreamLabelled)
	}
	res, err := t.prog.Step(t.batch, t.rng)
	if err != nil {
		return res, err
	}
	t.step++
	if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
		term := "the loss"
		for _, tm := range res.Terms {
			if math.IsNaN(tm.Value) || math.IsInf(tm.Value, 0) {
				term = "term " + tm.Name
				break
			}
		}
		return res, &DivergedError{Step: t.step, Term: term}
	}
	grads, err := t.prog.Grads()
	if err != nil {
		return res, err
	}
	zeroFrozen(grads, t.frozen)
	rec := map[string]any{"step": t.step, "epoch": t.epoch + 1, "loss": res.Loss}
	if scheduled(cfg.Optimizer) {
		lr := learningRate(cfg.Optimizer, cfg.Steps(t.train.N), t.step-1)
		if err := t.optim.setLR(lr); err != nil {
			return res, err
		}
		rec["lr"] = lr
	}
	if o := cfg.Optimizer; clipping(o.ClipNorm, o.ClipValue) {
		norm, clipped := clipGrads(grads, o.ClipNorm, o.ClipValue)
		c := 0
		if clipped {
			c = 1
		}
		t.clippedInEpoch += c
		rec["grad_norm"], rec["clipped"] = norm, c
		rec["clipped_frac"] = float64(t.clippedInEpoch) / float64(t.inEpoch+1)
	}
	if err := t.optim.Step(grads); err != nil {
		return res, err
	}
	for _, tm := range res.Terms {
		rec[tm.Name] = tm.Value
	}
	if err := t.run.Step(rec); err != nil {
		return res, &stepLogError{err}
	}
	return res, nil
}

// stepLogError is a failed write of steps.jsonl: the step itself is done.
type stepLogError struct{ err error }

func (e *stepLogError) Error() string { return e.err.Error() }
func (e *stepLogError) Unwrap() error { return e.err }

// labelledPerStep returns the labelled examples of one step.
func (t *trainer) labelledPerStep() int {
	if len(t.groups) > 0 {
		n := 0
		for _, g := range t.groups {
			n += g.batch
		}
		return n
	}
	if len(t.chosen) > 0 {
		return t.cfg.Batch.Labelled
	}
	return 0
}

// toRow returns the metrics that are columns of metrics.csv (a run
// resumed from an older version has fewer columns).
func toRow(m map[string]float64, cols []string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if slices.Contains(cols, k) {
			out[k] = v
		}
	}
	return out
}

package config

import (
	"fmt"
	"strings"

	"ssdgm/lang/check"
)

// kind is the YAML type a key accepts.
type kind int

const (
	kindInt kind = iota
	kindFloat
	kindBool
	kindString
	kindEnum
	kindVarMap   // discrete.vars: variable name → enum value
	kindCountMap // labelled.counts: label name → integer
)

func (k kind) String() string {
	switch k {
	case kindInt:
		return "integer"
	case kindFloat:
		return "number"
	case kindBool:
		return "boolean"
	case kindString:
		return "string"
	case kindEnum:
		return "string"
	case kindVarMap, kindCountMap:
		return "mapping"
	}
	return "?"
}

// bound is an optional numeric range: lo ≤ v (or lo < v), v ≤ hi (or v < hi).
type bound struct {
	hasLo, hasHi   bool
	lo, hi         float64
	loOpen, hiOpen bool
}

func atLeast(lo float64) bound { return bound{hasLo: true, lo: lo} }
func above(lo float64) bound   { return bound{hasLo: true, lo: lo, loOpen: true} }

// halfOpen is [lo, hi).
func halfOpen(lo, hi float64) bound {
	return bound{hasLo: true, lo: lo, hasHi: true, hi: hi, hiOpen: true}
}

func (b bound) check(v float64) bool {
	if b.hasLo && (v < b.lo || b.loOpen && v == b.lo) {
		return false
	}
	if b.hasHi && (v > b.hi || b.hiOpen && v == b.hi) {
		return false
	}
	return true
}

// String renders the range for messages and docs, e.g. ">= 1", "> 0", "[0, 1)".
func (b bound) String() string {
	switch {
	case b.hasLo && b.hasHi:
		l, r := "[", "]"
		if b.loOpen {
			l = "("
		}
		if b.hiOpen {
			r = ")"
		}
		return fmt.Sprintf("%s%g, %g%s", l, b.lo, b.hi, r)
	case b.hasLo && b.loOpen:
		return fmt.Sprintf("> %g", b.lo)
	case b.hasLo:
		return fmt.Sprintf(">= %g", b.lo)
	case b.hasHi && b.hiOpen:
		return fmt.Sprintf("< %g", b.hi)
	case b.hasHi:
		return fmt.Sprintf("<= %g", b.hi)
	}
	return ""
}

// key describes one config key: its dotted path, type, default (as YAML
// text, decoded by the same code as user input), range and documentation.
// The table returned by keys is the single place where defaults live.
type key struct {
	path     string
	kind     kind
	nullable bool // null is accepted and means nullDoc
	nullDoc  string
	def      string // default, as YAML scalar text
	enum     []string
	rng      bound
	doc      string
	// late marks a key added after runs were already being made: while it
	// is at its default it is left out of Hash, so a run folder written
	// before the key existed still resumes.
	late bool
	// field returns a pointer to the Go field: *int, *int64, *float64,
	// *bool, *string, **int64, **float64 or *map[string]string.
	field func(c *Config) any
}

// Discrete-variable handling methods.
const (
	Enumerate = "enumerate" // sum the variable out exactly
	Relax     = "relax"     // Concrete (Gumbel-softmax) relaxation
)

// Binarisation of pixel data (data.binarize).
const (
	BinarizeNone    = "none"    // grey values as they are
	BinarizeDynamic = "dynamic" // a fresh draw each time an image is used
	BinarizeFixed   = "fixed"   // one draw per image, at load time
)

// Learning-rate schedules (optimizer.schedule).
const (
	ScheduleConstant    = "constant"
	ScheduleExponential = "exponential"
	ScheduleStep        = "step"
)

// keys returns the key table, in the order Marshal and Docs print it.
func keys() []key {
	methods := []string{Enumerate, Relax}
	return []key{
		{path: "name", kind: kindString, def: `""`, nullDoc: "the spec's model name",
			doc:   "Run name: the run folder is OUT/NAME (then NAME_1, NAME_2, ... if taken). Empty: the spec's model name.",
			field: func(c *Config) any { return &c.Name }},
		{path: "dataset", kind: kindString, def: "mnist",
			doc:   "Dataset to train on.",
			field: func(c *Config) any { return &c.Dataset }},
		{path: "data_dir", kind: kindString, def: `""`,
			doc:   "Folder holding the dataset files. Empty: found automatically.",
			field: func(c *Config) any { return &c.DataDir }},
		{path: "data.binarize", kind: kindEnum, def: BinarizeNone, enum: []string{BinarizeNone, BinarizeDynamic, BinarizeFixed}, late: true,
			doc:   "Binarise pixel data for a Bernoulli likelihood. none: grey values as they are; dynamic: a fresh Bernoulli draw of each training image each time a step uses it (seeded by seed, step and batch position, so resume is exact); fixed: one draw per training image, made at load time from the seed. With dynamic or fixed, validation and test images are binarised once with a fixed seed, the same for every run (see Binarisation in docs/config.md).",
			field: func(c *Config) any { return &c.Binarize }},
		{path: "max_train", kind: kindInt, def: "0", rng: atLeast(0),
			doc:   "Use only the first max_train training examples (0: all). For quick runs and tests.",
			field: func(c *Config) any { return &c.MaxTrain }},
		{path: "max_eval", kind: kindInt, def: "0", rng: atLeast(0),
			doc:   "Evaluate on only the first max_eval validation and test examples (0: all). For quick runs and tests; reported errors are then on that subset.",
			field: func(c *Config) any { return &c.MaxEval }},
		{path: "labelled.count", kind: kindInt, def: "100", rng: atLeast(0),
			doc:   "M, the number of labelled training examples (0: unsupervised). Drawn once, fixed for the whole run.",
			field: func(c *Config) any { return &c.Labelled.Count }},
		{path: "labelled.counts", kind: kindCountMap, def: "{}", rng: atLeast(0), late: true,
			doc:   "Per-label counts, e.g. `{identity: 848, lighting: 848}`: each named label is given to that many training examples, drawn independently for each label (so the sets overlap by chance, seeded), and each example is trained with exactly the labels it carries. Labels not named are never given. Empty: every supervised label on the same labelled.count examples.",
			field: func(c *Config) any { return &c.Labelled.Counts }},
		{path: "labelled.balanced", kind: kindBool, def: "true",
			doc:   "Draw the same number of labelled examples from every class (remainder spread over classes chosen by the seed).",
			field: func(c *Config) any { return &c.Labelled.Balanced }},
		{path: "labelled.seed", kind: kindInt, nullable: true, def: "null", nullDoc: "the run seed",
			doc:   "Seed of the labelled-subset draw. null: the run seed.",
			field: func(c *Config) any { return &c.Labelled.Seed }},
		{path: "alpha", kind: kindFloat, nullable: true, def: "null", rng: atLeast(0), nullDoc: "0.1/ρ",
			doc:   "α, weight of the extra supervised term (1+α)·log w. null: the paper's rule α = 0.1/ρ with ρ = γM/(N+γM).",
			field: func(c *Config) any { return &c.Alpha }},
		{path: "gamma", kind: kindFloat, def: "1", rng: above(0),
			doc:   "γ, weight of the supervised objective relative to the unsupervised one.",
			field: func(c *Config) any { return &c.Gamma }},
		{path: "samples", kind: kindInt, def: "1", rng: atLeast(1),
			doc:   "S, encoder samples per data point.",
			field: func(c *Config) any { return &c.Samples }},
		{path: "objective.analytic_kl", kind: kindBool, def: "false", late: true,
			doc:   "Replace the Monte Carlo term log p(z | ·) − log q(z | ·) of a continuous latent z whose encoder and decoder distributions are both Normal by −KL(q ‖ p) in closed form, per row (per enumerated value where q's parameters depend on it), wherever that keeps the estimate unbiased; elsewhere (importance weights that depend on z, a prior that reads a latent sampled given z) the Monte Carlo term stays. `ssdgm compile` lists what each branch does. See Analytic KL in docs/config.md.",
			field: func(c *Config) any { return &c.Objective.AnalyticKL }},
		{path: "objective.balance", kind: kindFloat, def: "0", rng: atLeast(0), late: true,
			doc:   "λ, weight of a class-balance term outside the paper's objective: it penalises λ·KL(m ‖ U) for every supervised discrete variable y, where m is a running mean (momentum 0.01, saved in checkpoints) of the unlabelled batches' mean q(y | ·) and U the uniform distribution over y's classes, so that the unlabelled predictions cannot pile onto one class. Evaluations and the reported ELBO leave it out; steps.jsonl logs the step's term as unlabelled:balance:y. 0: off, the paper's objective. See Class balance in docs/config.md.",
			field: func(c *Config) any { return &c.Objective.Balance }},
		{path: "discrete.default", kind: kindEnum, def: Enumerate, enum: methods,
			doc:   "How unobserved discrete latents are handled: enumerate (summed out exactly) or relax (Concrete relaxation).",
			field: func(c *Config) any { return &c.Discrete.Default }},
		{path: "discrete.temperature", kind: kindFloat, def: "0.66", rng: above(0),
			doc:   "Temperature of the Concrete relaxation.",
			field: func(c *Config) any { return &c.Discrete.Temperature }},
		{path: "discrete.vars", kind: kindVarMap, def: "{}", enum: methods,
			doc:   "Per-variable override of discrete.default, e.g. `{y: relax}`.",
			field: func(c *Config) any { return &c.Discrete.Vars }},
		{path: "discrete.shared_noise", kind: kindBool, def: "false", late: true,
			doc:   "Draw the noise of every sampled latent (the ε of " + strings.Join(check.ReparamNames(), " and ") + " latents, the Gumbel noise of relaxed ones) once per data point and sample, and reuse it across the enumerated values of the discrete latents (common random numbers), instead of a fresh draw for each enumerated value. See Shared noise in docs/config.md for what it does to the variance.",
			field: func(c *Config) any { return &c.Discrete.SharedNoise }},
		{path: "batch.labelled", kind: kindInt, def: "100", rng: atLeast(1),
			doc:   "Labelled examples per step.",
			field: func(c *Config) any { return &c.Batch.Labelled }},
		{path: "batch.unlabelled", kind: kindInt, def: "128", rng: atLeast(1),
			doc:   "Unlabelled examples per step.",
			field: func(c *Config) any { return &c.Batch.Unlabelled }},
		{path: "batch.shards", kind: kindInt, def: "1", rng: atLeast(1), late: true,
			doc:   "Split every step's batches into this many equal parts, each compiled as its own program over the same networks and run on its own goroutine, and average their objectives and gradients (data parallelism on the cores of one machine). The objective is the same mean over the batch; the numbers change within float rounding and by the noise draws (each part draws from its own seeded stream), and they depend on shards, not on GOMAXPROCS (beyond the OpenBLAS build's usual rounding). Every batch size must be a multiple of it. 1: one program (the graph executor then runs one op at a time, and only the large products and split kernels use a second core). See Shards in docs/config.md.",
			field: func(c *Config) any { return &c.Batch.Shards }},
		{path: "optimizer.name", kind: kindEnum, def: "adam", enum: []string{"adam"},
			doc:   "Optimizer (only adam).",
			field: func(c *Config) any { return &c.Optimizer.Name }},
		{path: "optimizer.lr", kind: kindFloat, def: "0.001", rng: above(0),
			doc:   "Learning rate.",
			field: func(c *Config) any { return &c.Optimizer.LR }},
		{path: "optimizer.beta1", kind: kindFloat, def: "0.9", rng: halfOpen(0, 1),
			doc:   "Adam β1, decay of the first-moment estimate.",
			field: func(c *Config) any { return &c.Optimizer.Beta1 }},
		{path: "optimizer.beta2", kind: kindFloat, def: "0.999", rng: halfOpen(0, 1),
			doc:   "Adam β2, decay of the second-moment estimate.",
			field: func(c *Config) any { return &c.Optimizer.Beta2 }},
		{path: "optimizer.eps", kind: kindFloat, def: "1e-08", rng: above(0),
			doc:   "Adam ε, added to the denominator.",
			field: func(c *Config) any { return &c.Optimizer.Eps }},
		{path: "optimizer.schedule", kind: kindEnum, def: ScheduleConstant, enum: []string{ScheduleConstant, ScheduleExponential, ScheduleStep}, late: true,
			doc:   "Learning-rate schedule over training steps t (counted from 0): constant (lr); exponential (lr·decay^(t/decay_steps)); step (lr·decay^⌊t/decay_steps⌋). A function of the step only, so a resumed run follows it exactly.",
			field: func(c *Config) any { return &c.Optimizer.Schedule }},
		{path: "optimizer.decay", kind: kindFloat, def: "0.5", rng: bound{hasLo: true, lo: 0, loOpen: true, hasHi: true, hi: 1}, late: true,
			doc:   "Factor the exponential or step schedule multiplies the learning rate by every decay_steps steps.",
			field: func(c *Config) any { return &c.Optimizer.Decay }},
		{path: "optimizer.decay_steps", kind: kindInt, def: "0", rng: atLeast(0), late: true,
			doc:   "Steps per decay of the exponential or step schedule (0: one epoch's steps).",
			field: func(c *Config) any { return &c.Optimizer.DecaySteps }},
		{path: "optimizer.warmup_steps", kind: kindInt, def: "0", rng: atLeast(0), late: true,
			doc:   "Linear warm-up: the learning rate of step t (from 0) is multiplied by min(1, (t+1)/warmup_steps), on top of the schedule (0: none).",
			field: func(c *Config) any { return &c.Optimizer.WarmupSteps }},
		{path: "optimizer.clip_norm", kind: kindFloat, def: "0", rng: atLeast(0), late: true,
			doc:   "Clip the gradients by their global L2 norm: when it exceeds clip_norm, all are scaled by one factor to bring it to clip_norm (0: no clipping). steps.jsonl then logs each step's grad_norm (before clipping), clipped (1 or 0) and clipped_frac (the fraction of the epoch's steps so far that were clipped).",
			field: func(c *Config) any { return &c.Optimizer.ClipNorm }},
		{path: "optimizer.clip_value", kind: kindFloat, def: "0", rng: atLeast(0), late: true,
			doc:   "Clip each gradient element to [-clip_value, clip_value], before clip_norm (0: no clipping); logged as for clip_norm.",
			field: func(c *Config) any { return &c.Optimizer.ClipValue }},
		{path: "epochs", kind: kindInt, def: "50", rng: atLeast(1),
			doc:   "Number of epochs.",
			field: func(c *Config) any { return &c.Epochs }},
		{path: "steps_per_epoch", kind: kindInt, def: "0", rng: atLeast(0),
			doc:   "Steps per epoch (0: N / batch.unlabelled, rounded up).",
			field: func(c *Config) any { return &c.StepsPerEpoch }},
		{path: "eval_every", kind: kindInt, def: "1", rng: atLeast(1),
			doc:   "Evaluate on the validation set every this many epochs.",
			field: func(c *Config) any { return &c.EvalEvery }},
		{path: "checkpoint.every_steps", kind: kindInt, def: "0", rng: atLeast(0), late: true,
			doc:   "Also write a checkpoint every this many training steps (0: only at the end of each epoch and on interruption), so a run killed mid-epoch loses at most this many steps; resuming gives the same numbers as an uninterrupted run.",
			field: func(c *Config) any { return &c.Checkpoint.EverySteps }},
		{path: "init.from", kind: kindString, def: `""`, late: true,
			doc:   "Start networks from another run: its run folder (the newest checkpoint) or a checkpoint file. Empty: every network starts from the seeded initialisation. A resumed run continues from its own checkpoint.",
			field: func(c *Config) any { return &c.Init.From }},
		{path: "init.nets", kind: kindString, def: `""`, late: true,
			doc:   "Which networks init.from sets, comma-separated: `NAME` (the other run's network of the same name) or `NAME=OTHER` (e.g. `draw=render`). Empty: every network whose name both have. Parameter shapes must agree.",
			field: func(c *Config) any { return &c.Init.Nets }},
		{path: "init.freeze", kind: kindBool, def: "false", late: true,
			doc:   "Keep the networks set by init.from fixed (not trained).",
			field: func(c *Config) any { return &c.Init.Freeze }},
		{path: "checkpoint.best_metric", kind: kindString, def: `""`, late: true, nullDoc: "err_val_ of the first discrete supervised variable",
			doc:   "The validation column of metrics.csv whose best epoch's checkpoint is kept in RUN/checkpoints/best (besides the last two) and evaluated on test at the end (err_test_*_best, elbo_test_best, best_epoch). Empty: err_val_<v> of the first discrete supervised variable v; none: keep no best checkpoint. err_ columns: lowest is best; elbo_ and acc_ columns: highest. On a tie the earlier epoch stays. eval, sample and predict use this checkpoint by default.",
			field: func(c *Config) any { return &c.Checkpoint.BestMetric }},
		{path: "seed", kind: kindInt, def: "1",
			doc:   "Run seed: parameters initialisation, sampling, shuffling.",
			field: func(c *Config) any { return &c.Seed }},
		{path: "dtype", kind: kindEnum, def: "float32", enum: []string{"float32", "float64"},
			doc:   "Floating-point type of parameters and computation.",
			field: func(c *Config) any { return &c.Dtype }},
		{path: "out", kind: kindString, def: "runs",
			doc:   "Folder that holds run folders.",
			field: func(c *Config) any { return &c.Out }},
	}
}

// lookup finds the key with the given dotted path.
func lookup(table []key, path string) (key, bool) {
	for _, k := range table {
		if k.path == path {
			return k, true
		}
	}
	return key{}, false
}

// isSection reports whether path names a section (a mapping of keys).
func isSection(table []key, path string) bool {
	for _, k := range table {
		if strings.HasPrefix(k.path, path+".") {
			return true
		}
	}
	return false
}

// children lists the names directly under section prefix ("" for the top
// level), in table order, without duplicates.
func children(table []key, prefix string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range table {
		rest := k.path
		if prefix != "" {
			if !strings.HasPrefix(k.path, prefix+".") {
				continue
			}
			rest = k.path[len(prefix)+1:]
		}
		name, _, _ := strings.Cut(rest, ".")
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

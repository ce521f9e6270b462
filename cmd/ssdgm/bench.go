package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"ssdgm/compiler"
	"ssdgm/runtime/optim"
	"ssdgm/runtime/train"
)

const benchUsage = `usage: ssdgm bench [flags] SPEC

Times full training steps of SPEC (the compiled step forward and
backward, then the fused Adam update) at the batch sizes, samples and
discrete handling of its run config (--config FILE, else SPEC with .yaml
beside it, else the defaults; --set key=value overrides), on synthetic
binary images of the spec's data shape: no dataset is read. After
--warmup steps it times --runs runs of --steps steps and prints the median
examples/s, labelled and unlabelled counted separately, and ms/step, with
the process CPU time per step beside it (on a shared machine the fairer
figure: with GOMAXPROCS=1 and one BLAS thread it is what the step costs);
--json prints one JSON record instead.`

// benchRecord is the machine-readable result of `ssdgm bench --json`.
type benchRecord struct {
	Engine          string    `json:"engine"`
	Model           string    `json:"model"`
	Spec            string    `json:"spec"`
	BuildTags       []string  `json:"build_tags"`
	BLAS            string    `json:"blas"`
	Dtype           string    `json:"dtype"`
	BatchLabelled   int       `json:"batch_labelled"`
	BatchUnlabelled int       `json:"batch_unlabelled"`
	Samples         int       `json:"samples"`
	Shards          int       `json:"shards"`
	Steps           int       `json:"steps"`
	Warmup          int       `json:"warmup"`
	Runs            int       `json:"runs"`
	MedianExS       float64   `json:"median_ex_s"`
	LabelledExS     float64   `json:"labelled_ex_s"`
	UnlabelledExS   float64   `json:"unlabelled_ex_s"`
	MsStep          float64   `json:"ms_step"`
	CPUMsStep       float64   `json:"cpu_ms_step,omitempty"`
	RunsExS         []float64 `json:"runs_ex_s"`
	GoVersion       string    `json:"go_version"`
	GOOS            string    `json:"goos"`
	GOARCH          string    `json:"goarch"`
	GOMAXPROCS      int       `json:"gomaxprocs"`
}

func runBench(e *env, args []string) int {
	fs := newFlags(e, "bench", benchUsage)
	cf := addConfigFlags(e, fs)
	steps := fs.Int("steps", 20, "timed steps per run")
	warmup := fs.Int("warmup", 5, "untimed steps before the first run")
	nruns := fs.Int("runs", 5, "timed runs; the median is reported")
	asJSON := fs.Bool("json", false, "print one JSON record")
	files, ok := parseFlags(e, fs, benchUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, benchUsage)
		return exitUsage
	}
	if *steps < 1 || *nruns < 1 || *warmup < 0 {
		fmt.Fprintln(e.stderr, "ssdgm bench: --steps and --runs must be at least 1, --warmup at least 0")
		return exitUsage
	}
	m, src, cfg, ok := specAndConfig(e, cf, files[0])
	if !ok {
		return exitFail
	}
	// The constants α and γM/N do not change the work of a step, so N is
	// not read from the dataset.
	opts := train.CompileOptions(m, cfg, max(cfg.Labelled.Count, 1))
	w, prog, ok := compileStepper(e, m, src, cfg, opts, *cf.source)
	if !ok {
		return exitFail
	}
	defer prog.Close()
	step, err := newBenchStepper(prog, w, optim.Config{LR: cfg.Optimizer.LR, Beta1: cfg.Optimizer.Beta1, Beta2: cfg.Optimizer.Beta2, Eps: cfg.Optimizer.Eps})
	if err != nil {
		fmt.Fprintf(e.stderr, "ssdgm bench: %v\n", err)
		return exitFail
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x62656e63))
	batches := make([]compiler.Batch, 4)
	for i := range batches {
		batches[i] = train.SyntheticBatch(m, opts, rng)
	}
	k := 0
	next := func() error {
		k++
		return step(batches[k%len(batches)], rng)
	}
	for i := 0; i < *warmup; i++ {
		if err := next(); err != nil {
			fmt.Fprintf(e.stderr, "ssdgm bench: warm-up step %d: %v\n", i+1, err)
			return exitFail
		}
	}
	perStep := opts.Labelled + opts.Unlabelled
	rec := benchRecord{
		Engine: "ssdgm", Model: m.Name, Spec: files[0], Dtype: cfg.Dtype,
		BatchLabelled: opts.Labelled, BatchUnlabelled: opts.Unlabelled, Samples: opts.Samples, Shards: max(opts.Shards, 1),
		Steps: *steps, Warmup: *warmup, Runs: *nruns,
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	rec.BuildTags, rec.BLAS = buildTags()
	secs := make([]float64, *nruns)
	cpus := make([]float64, *nruns)
	for r := range secs {
		start := time.Now()
		c0, cpuOK := processCPU()
		for i := 0; i < *steps; i++ {
			if err := next(); err != nil {
				fmt.Fprintf(e.stderr, "ssdgm bench: run %d, step %d: %v\n", r+1, i+1, err)
				return exitFail
			}
		}
		secs[r] = time.Since(start).Seconds()
		if c1, ok := processCPU(); ok && cpuOK {
			cpus[r] = (c1 - c0).Seconds()
		}
		rec.RunsExS = append(rec.RunsExS, float64(*steps*perStep)/secs[r])
	}
	med := median(secs)
	rec.MedianExS = float64(*steps*perStep) / med
	rec.LabelledExS = float64(*steps*opts.Labelled) / med
	rec.UnlabelledExS = float64(*steps*opts.Unlabelled) / med
	rec.MsStep = 1000 * med / float64(*steps)
	rec.CPUMsStep = 1000 * median(cpus) / float64(*steps)
	if *asJSON {
		b, _ := json.Marshal(rec)
		fmt.Fprintf(e.stdout, "%s\n", b)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "bench %s (%s): batch %s, S = %d, %s, %s, %s, GOMAXPROCS %d\n",
		m.Name, files[0], batchText(opts), opts.Samples, cfg.Dtype, rec.BLAS, rec.GoVersion, rec.GOMAXPROCS)
	fmt.Fprintf(e.stdout, "%d runs of %d steps after %d warm-up steps\n", *nruns, *steps, *warmup)
	fmt.Fprintf(e.stdout, "median %.1f examples/s (%.1f labelled + %.1f unlabelled), %.2f ms/step",
		rec.MedianExS, rec.LabelledExS, rec.UnlabelledExS, rec.MsStep)
	if rec.CPUMsStep > 0 {
		fmt.Fprintf(e.stdout, " (%.2f ms/step of process CPU time)", rec.CPUMsStep)
	}
	fmt.Fprintln(e.stdout)
	return exitOK
}

// newBenchStepper returns a function that runs one full training step:
// forward and backward through prog, then the optimizer training uses (the
// fused Adam of runtime/optim, which also zeroes the gradients).
func newBenchStepper(prog compiler.Stepper, w *compiler.Weights, cfg optim.Config) (func(compiler.Batch, *rand.Rand) error, error) {
	opt, err := train.NewOptimizer(w, cfg)
	if err != nil {
		return nil, err
	}
	return func(b compiler.Batch, rng *rand.Rand) error {
		if _, err := prog.Step(b, rng); err != nil {
			return err
		}
		gs, err := prog.Grads()
		if err != nil {
			return err
		}
		return opt.Step(gs)
	}, nil
}

// buildTags returns the build tags the binary was built with and its BLAS
// engine: "openblas" when built with that tag, else "pure-go" (gonum).
func buildTags() ([]string, string) {
	tags := []string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-tags" && s.Value != "" {
				tags = strings.Split(s.Value, ",")
			}
		}
	}
	if slices.Contains(tags, "openblas") {
		return tags, "openblas"
	}
	return tags, "pure-go"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

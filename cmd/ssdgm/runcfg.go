package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
)

// setFlags collects repeated --set key=value overrides.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// configFlags are the flags every verb that reads a run config takes.
type configFlags struct {
	path   *string
	sets   setFlags
	short  map[string]*string
	source *bool
}

// shortcuts are config keys that have a flag of their own.
func shortcuts() [][2]string {
	return [][2]string{
		{"epochs", "epochs"}, {"seed", "seed"}, {"labelled", "labelled.count"}, {"out", "out"},
		{"name", "name"}, {"dataset", "dataset"}, {"max-train", "max_train"}, {"samples", "samples"},
		{"alpha", "alpha"}, {"dtype", "dtype"}, {"lr", "optimizer.lr"}, {"steps-per-epoch", "steps_per_epoch"},
		{"data", "data_dir"},
	}
}

func addConfigFlags(e *env, fs *flag.FlagSet) *configFlags {
	c := &configFlags{short: map[string]*string{}}
	c.path = fs.String("config", "", "run config `FILE` (YAML); default: SPEC with .yaml beside it if it exists, else the defaults")
	fs.Var(&c.sets, "set", "override a config key, `key=value` (repeatable), e.g. --set batch.labelled=64")
	for _, s := range shortcuts() {
		c.short[s[1]] = fs.String(s[0], "", "set config key "+s[1])
	}
	c.source = fs.Bool("source", e.tty, "show the source line under each spec problem")
	return c
}

// load reads the run config for a spec: --config, else SPEC.yaml beside
// the spec, else the defaults; then applies --set and the shortcut flags.
// It returns the config file's text also with an error in it (a
// diag.List), for printDiags.
func (c *configFlags) load(specPath string) (*config.Config, []byte, error) {
	path := *c.path
	if path == "" && specPath != "" {
		guess := strings.TrimSuffix(specPath, filepath.Ext(specPath)) + ".yaml"
		if _, err := os.Stat(guess); err == nil {
			path = guess
		}
	}
	var cfg *config.Config
	var src []byte
	if path == "" {
		cfg = config.Default()
	} else {
		var err error
		if src, err = os.ReadFile(path); err != nil {
			return nil, nil, fmt.Errorf("cannot read run config: %w", err)
		}
		if cfg, err = config.Parse(path, src); err != nil {
			return nil, src, err
		}
	}
	for _, kv := range c.sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, nil, fmt.Errorf("--set %q: want key=value", kv)
		}
		if err := cfg.Set(k, v); err != nil {
			return nil, nil, fmt.Errorf("--set %s: %w", kv, err)
		}
	}
	for _, s := range shortcuts() {
		if v := *c.short[s[1]]; v != "" {
			if err := cfg.Set(s[1], v); err != nil {
				return nil, nil, fmt.Errorf("--%s: %w", s[0], err)
			}
		}
	}
	return cfg, src, nil
}

// specAndConfig loads a spec and its run config, printing problems.
func specAndConfig(e *env, c *configFlags, specPath string) (*check.Model, []byte, *config.Config, bool) {
	m, src := loadModel(e, specPath, *c.source)
	if m == nil {
		return nil, nil, nil, false
	}
	cfg, cfgSrc, err := c.load(specPath)
	if err != nil {
		printDiags(e, err, cfgSrc, *c.source)
		return nil, nil, nil, false
	}
	return m, src, cfg, true
}

// compileProgram builds the networks and the training program of m for the
// options, printing positioned problems; ok is false after a failure.
func compileProgram(e *env, m *check.Model, src []byte, cfg *config.Config, opts compiler.Options, showSource bool) (*compiler.Weights, *compiler.Program, bool) {
	return compileWith(e, m, src, cfg, opts, showSource, compiler.Compile)
}

// compileStepper is compileProgram for a training step that may be split
// into parts (batch.shards): a Program or compiler.Shards.
func compileStepper(e *env, m *check.Model, src []byte, cfg *config.Config, opts compiler.Options, showSource bool) (*compiler.Weights, compiler.Stepper, bool) {
	return compileWith(e, m, src, cfg, opts, showSource, compiler.CompileStep)
}

// compileWith builds the networks of m and compiles them with compile.
func compileWith[P any](e *env, m *check.Model, src []byte, cfg *config.Config, opts compiler.Options, showSource bool,
	compile func(*check.Model, *compiler.Weights, compiler.Options) (P, error)) (*compiler.Weights, P, bool) {
	var none P
	w, err := compiler.NewWeights(m, cfg.Dtype == "float64", uint64(cfg.Seed))
	if err != nil {
		printDiags(e, err, src, showSource)
		return nil, none, false
	}
	prog, err := compile(m, w, opts)
	if err != nil {
		printDiags(e, err, src, showSource)
		return nil, none, false
	}
	return w, prog, true
}

// Package config reads, validates, resolves and prints the YAML run config
// of ssdgm, whose keys, defaults and ranges are all defined in one table.
//
// Decoding is strict: an unknown key (with a "did you mean" suggestion), a
// value of the wrong type or out of range, and a duplicate key are errors
// reported as "file:line:col: message", all of them at once, sorted by
// position.
//
// Discrete latents are configured as
//
//	discrete:
//	  default: enumerate     # or relax
//	  temperature: 0.66      # of the Concrete relaxation
//	  vars: {y: relax}       # per-variable overrides of default
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"strings"

	"ssdgm/lang/diag"

	"gopkg.in/yaml.v3"
)

// Config is a run config. Pointer fields are nil when the config leaves
// them to be derived (see Resolve).
type Config struct {
	Name          string
	Dataset       string
	DataDir       string
	Binarize      string // data.binarize: BinarizeNone, BinarizeDynamic or BinarizeFixed
	MaxTrain      int
	MaxEval       int
	Labelled      Labelled
	Alpha         *float64
	Gamma         float64
	Samples       int
	Objective     Objective
	Discrete      Discrete
	Batch         Batch
	Optimizer     Optimizer
	Epochs        int
	StepsPerEpoch int
	EvalEvery     int
	Checkpoint    Checkpoint
	Init          Init
	Seed          int64
	Dtype         string
	Out           string
}

// Labelled says how the labelled subset is drawn.
type Labelled struct {
	Count    int
	Counts   map[string]int // label name → count; when not empty, replaces Count
	Balanced bool
	Seed     *int64
}

// Objective holds choices of the objective's estimator.
type Objective struct {
	AnalyticKL bool    // closed-form KL of Normal–Normal latent pairs where it keeps the estimate unbiased
	Balance    float64 // λ of the class-balance term λ·KL(mean q(y|·) ‖ uniform) of the unlabelled batch
}

// Discrete says how unobserved discrete latents are handled.
type Discrete struct {
	Default     string
	Temperature float64
	Vars        map[string]string
	SharedNoise bool // reuse each sampled latent's noise across the enumerated values
}

// Batch holds the batch sizes of one training step.
type Batch struct {
	Labelled   int
	Unlabelled int
	Shards     int // equal parts each step's batches are split into (data parallelism)
}

// Checkpoint says when checkpoints are written besides the end of each
// epoch.
type Checkpoint struct {
	EverySteps int
	BestMetric string // "" for the first discrete supervised variable's validation error, "none" for no best checkpoint
}

// Init says which networks start from another run's checkpoint.
type Init struct {
	From   string // a run folder or a checkpoint file; "" for none
	Nets   string // NAME or NAME=OTHER, comma-separated; "": every shared name
	Freeze bool   // keep those networks fixed during training
}

// Optimizer holds the optimizer settings.
type Optimizer struct {
	Name        string
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	Schedule    string  // ScheduleConstant, ScheduleExponential or ScheduleStep
	Decay       float64 // factor per DecaySteps of the exponential and step schedules
	DecaySteps  int     // steps per decay (0: one epoch's)
	WarmupSteps int     // steps of linear warm-up (0: none)
	ClipNorm    float64 // bound on the gradients' global L2 norm (0: none)
	ClipValue   float64 // bound on each gradient element's magnitude (0: none)
}

// Default returns the config with every key at its default.
func Default() *Config {
	c := &Config{}
	for _, k := range keys() {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(k.path+": "+k.def), &n); err != nil {
			panic("config: bad default for " + k.path + ": " + err.Error()) // programming error in the table
		}
		if msg := setLeaf(c, k, n.Content[0].Content[1]); msg != "" {
			panic("config: bad default for " + k.path + ": " + msg)
		}
	}
	return c
}

// Load reads and parses the config file at path.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse parses a config from src; name is the file name used in errors.
// Keys absent from src keep their defaults. The error, if any, is a
// diag.List sorted by position.
func Parse(name string, src []byte) (*Config, error) {
	c := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, diag.List{syntaxError(name, src, err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var first, second yaml.Node
	if dec.Decode(&first) == nil {
		switch err := dec.Decode(&second); {
		case err == nil:
			return nil, diag.List{{Pos: diag.Pos{File: name, Line: second.Line, Col: second.Column},
				Msg: "a config holds one YAML document; remove this second one (and its ---)"}}
		case err != io.EOF:
			return nil, diag.List{syntaxError(name, nil, err)}
		}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return c, nil // empty file: all defaults
	}
	d := decoder{file: name, table: keys(), cfg: c}
	d.mapping(doc.Content[0], "")
	if len(d.errs) > 0 {
		sortByPos(d.errs)
		return nil, d.errs
	}
	return c, nil
}

// syntaxError turns a yaml.v3 error ("yaml: line 3: ...") into a
// diagnostic at that line (column 0: unknown).
// yaml.v3 often reports the line where the enclosing block starts, so the
// line given is the first line at which a prefix of src stops parsing.
func syntaxError(file string, src []byte, err error) diag.Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		_, msg, _ = strings.Cut(msg, ": ")
	}
	lines := strings.SplitAfter(string(src), "\n")
	for k := 1; k <= len(lines); k++ {
		var n yaml.Node
		if yaml.Unmarshal([]byte(strings.Join(lines[:k], "")), &n) != nil {
			line = k
			break
		}
	}
	return diag.Diagnostic{Pos: diag.Pos{File: file, Line: line}, Msg: "syntax error: " + msg}
}

// Set sets the key at a dotted path ("batch.labelled", "discrete.vars.y")
// from a command-line value, which is read as a YAML scalar ("64", "true",
// "null", "relax"), except that string keys take the value literally; an
// empty value is the empty string. It validates like Parse, with the same
// messages, and leaves c unchanged on error.
func (c *Config) Set(path, value string) error {
	table := keys()
	var node *yaml.Node
	if k, ok := lookup(table, path); (ok && k.kind == kindString) || value == "" {
		// Strings are taken literally: --name 2024 names the run "2024".
		node = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	} else {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(value), &doc); err != nil || len(doc.Content) == 0 {
			node = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
		} else {
			node = doc.Content[0]
		}
	}
	tmp := c.Clone()
	d := decoder{table: table, cfg: tmp, noPos: true}
	if sec, name, ok := strings.Cut(path, "."); ok && sec == "discrete" && strings.HasPrefix(name, "vars.") {
		d.varEntry(name[len("vars."):], node)
	} else if ok && sec == "labelled" && strings.HasPrefix(name, "counts.") {
		d.countEntry(name[len("counts."):], node)
	} else if k, ok := lookup(table, path); ok {
		d.leaf(k, node)
	} else if isSection(table, path) {
		d.errorf(nil, "%s is a section, not a key; set one of: %s", path, strings.Join(prefixed(path, children(table, path)), ", "))
	} else {
		d.unknown(nil, path, allPaths(table))
	}
	if len(d.errs) > 0 {
		return unpositioned(d.errs[:1])
	}
	*c = *tmp
	return nil
}

// Validate checks a Config built or changed in Go (not through Parse or
// Set) against the key table, with the same messages, without positions.
func (c *Config) Validate() error {
	_, err := Parse("", c.Marshal())
	if list, ok := err.(diag.List); ok {
		return unpositioned(list)
	}
	return err
}

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	n := *c
	if c.Alpha != nil {
		a := *c.Alpha
		n.Alpha = &a
	}
	if c.Labelled.Seed != nil {
		s := *c.Labelled.Seed
		n.Labelled.Seed = &s
	}
	n.Labelled.Counts = maps.Clone(c.Labelled.Counts)
	if n.Labelled.Counts == nil {
		n.Labelled.Counts = map[string]int{}
	}
	n.Discrete.Vars = maps.Clone(c.Discrete.Vars)
	if n.Discrete.Vars == nil {
		n.Discrete.Vars = map[string]string{}
	}
	return &n
}

// LabelledM returns M, the number of the n training examples that carry a
// label: labelled.count, or with labelled.counts the expected number that
// carry at least one of the labels, n·(1 − Π(1 − count/n)), rounded (the
// per-label draws are independent).
func (c *Config) LabelledM(n int) int {
	if len(c.Labelled.Counts) == 0 {
		return c.Labelled.Count
	}
	if n <= 0 {
		return 0
	}
	none := 1.0
	for _, k := range c.Labelled.Counts {
		none *= 1 - min(float64(k)/float64(n), 1)
	}
	return int(math.Round(float64(n) * (1 - none)))
}

// Rho returns the supervision rate ρ = γM/(N+γM) for n unlabelled
// training examples (M from LabelledM), or 0 when there is no supervision.
func (c *Config) Rho(n int) float64 {
	gm := c.Gamma * float64(c.LabelledM(n))
	if gm == 0 {
		return 0
	}
	return gm / (float64(n) + gm)
}

// ResolveAlpha returns α: the configured value, or else the paper's rule
// α = 0.1/ρ for n unlabelled training examples (0 when M = 0).
func (c *Config) ResolveAlpha(n int) float64 {
	if c.Alpha != nil {
		return *c.Alpha
	}
	rho := c.Rho(n)
	if rho == 0 {
		return 0
	}
	return 0.1 / rho
}

// LabelledSeed returns the seed of the labelled-subset draw: labelled.seed,
// or else the run seed.
func (c *Config) LabelledSeed() int64 {
	if c.Labelled.Seed != nil {
		return *c.Labelled.Seed
	}
	return c.Seed
}

// RunName returns the run name: name, or else the given model name.
func (c *Config) RunName(model string) string {
	if c.Name != "" {
		return c.Name
	}
	return model
}

// Steps returns the number of training steps per epoch for n training
// examples: steps_per_epoch, or else ⌈n / batch.unlabelled⌉ (at least 1).
func (c *Config) Steps(n int) int {
	if c.StepsPerEpoch > 0 {
		return c.StepsPerEpoch
	}
	if c.Batch.Unlabelled < 1 {
		return 1
	}
	return max(1, (n+c.Batch.Unlabelled-1)/c.Batch.Unlabelled)
}

// Method returns how the discrete variable v is handled: Enumerate or
// Relax.
func (c *Config) Method(v string) string {
	if m, ok := c.Discrete.Vars[v]; ok {
		return m
	}
	return c.Discrete.Default
}

// Resolve fills the derived keys in place (alpha from n unlabelled
// training examples, labelled.seed from seed, name from the model name),
// so that Marshal prints the values the run actually uses.
func (c *Config) Resolve(n int, model string) {
	a := c.ResolveAlpha(n)
	c.Alpha = &a
	s := c.LabelledSeed()
	c.Labelled.Seed = &s
	c.Name = c.RunName(model)
}

// Hash returns the hex SHA-256 of the canonical form, Marshal, less the
// keys added late that are at their defaults (so that a run folder written
// before such a key existed hashes the same and resumes).
func (c *Config) Hash() string {
	sum := sha256.Sum256(c.marshal(false, true))
	return hex.EncodeToString(sum[:])
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + "." + n
	}
	return out
}

func allPaths(table []key) []string {
	out := make([]string, len(table))
	for i, k := range table {
		out[i] = k.path
	}
	return out
}

package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ssdgm/lang/diag"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestBad checks every file in testdata/bad against the "# want:" lines it
// carries: the errors, with their positions, in order.
func TestBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(src), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want = append(want, f+":"+w)
				}
			}
			c, err := Parse(f, src)
			if err == nil {
				t.Fatalf("no error; config:\n%s", c.Marshal())
			}
			var list diag.List
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, not diag.List", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("errors:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
			}
		})
	}
}

func TestGood(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no good files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("marshalled", c.Marshal())
			if err != nil {
				t.Fatalf("Parse(Marshal): %v\n%s", err, c.Marshal())
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("round trip differs:\n%s\nvs\n%s", c.Marshal(), back.Marshal())
			}
			if back.Hash() != c.Hash() {
				t.Error("hash differs after round trip")
			}
		})
	}
}

func TestPaperFile(t *testing.T) {
	c, err := Load("testdata/good/paper.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if *c.Alpha != 50 || c.Samples != 4 || c.Method("y") != Relax || c.Method("z") != Relax ||
		c.Optimizer.LR != 1e-3 || c.Epochs != 100 || c.Seed != 7 || c.LabelledSeed() != 7 ||
		c.Batch.Unlabelled != 128 || c.Optimizer.Beta2 != 0.999 {
		t.Errorf("unexpected config:\n%s", c.Marshal())
	}
	n, err := Load("testdata/good/nullsection.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n.LabelledSeed() != 42 || n.Batch != Default().Batch {
		t.Errorf("nullsection: %+v", n)
	}
}

func TestDefaults(t *testing.T) {
	c := Default()
	want := []struct {
		name     string
		got, def any
	}{
		{"dataset", c.Dataset, "mnist"},
		{"labelled.count", c.Labelled.Count, 100},
		{"labelled.balanced", c.Labelled.Balanced, true},
		{"labelled.seed", c.Labelled.Seed, (*int64)(nil)},
		{"alpha", c.Alpha, (*float64)(nil)},
		{"gamma", c.Gamma, 1.0},
		{"samples", c.Samples, 1},
		{"discrete.default", c.Discrete.Default, Enumerate},
		{"discrete.temperature", c.Discrete.Temperature, 0.66},
		{"batch.labelled", c.Batch.Labelled, 100},
		{"batch.unlabelled", c.Batch.Unlabelled, 128},
		{"optimizer", c.Optimizer, Optimizer{"adam", 1e-3, 0.9, 0.999, 1e-8, ScheduleConstant, 0.5, 0, 0, 0, 0}},
		{"epochs", c.Epochs, 50},
		{"eval_every", c.EvalEvery, 1},
		{"seed", c.Seed, int64(1)},
		{"dtype", c.Dtype, "float32"},
		{"out", c.Out, "runs"},
		{"name", c.Name, ""},
		{"steps_per_epoch", c.StepsPerEpoch, 0},
		{"max_train", c.MaxTrain, 0},
	}
	for _, w := range want {
		if !reflect.DeepEqual(w.got, w.def) {
			t.Errorf("%s = %v, want %v", w.name, w.got, w.def)
		}
	}
	// Every table key is printed by Marshal and documented.
	out, docs := string(c.Marshal()), Docs()
	for _, k := range keys() {
		last := k.path[strings.LastIndex(k.path, ".")+1:]
		if !strings.Contains(out, last+":") {
			t.Errorf("Marshal misses %s", k.path)
		}
		if !strings.Contains(docs, "`"+k.path+"`") || k.doc == "" {
			t.Errorf("Docs misses %s", k.path)
		}
	}
	for _, src := range []string{"", "# nothing\n", "---\n"} {
		p, err := Parse("empty", []byte(src))
		if err != nil || !reflect.DeepEqual(p, c) {
			t.Errorf("Parse(%q) = %v, %v; want defaults", src, p, err)
		}
	}
	back, err := Parse("default", c.Marshal())
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("defaults do not round-trip: %v", err)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		key, value string
		check      func(c *Config) bool
		err        string
	}{
		{"batch.labelled", "64", func(c *Config) bool { return c.Batch.Labelled == 64 }, ""},
		{"alpha", "0", func(c *Config) bool { return c.Alpha != nil && *c.Alpha == 0 }, ""},
		{"alpha", "null", func(c *Config) bool { return c.Alpha == nil }, ""},
		{"labelled.seed", "9", func(c *Config) bool { return c.LabelledSeed() == 9 }, ""},
		{"labelled.balanced", "false", func(c *Config) bool { return !c.Labelled.Balanced }, ""},
		{"optimizer.lr", "3e-4", func(c *Config) bool { return c.Optimizer.LR == 3e-4 }, ""},
		{"gamma", "2", func(c *Config) bool { return c.Gamma == 2 }, ""},
		{"data_dir", "", func(c *Config) bool { return c.DataDir == "" }, ""},
		{"name", "m100: x", func(c *Config) bool { return c.Name == "m100: x" }, ""},
		{"out", "/tmp/runs", func(c *Config) bool { return c.Out == "/tmp/runs" }, ""},
		{"discrete.vars.y", "relax", func(c *Config) bool { return c.Method("y") == Relax }, ""},
		{"discrete.default", "relax", func(c *Config) bool { return c.Method("q") == Relax }, ""},
		{"batch.labelled", "abc", nil, `batch.labelled: expected an integer, got string "abc"`},
		{"batch.labelled", "0", nil, `batch.labelled: must be >= 1, got 0`},
		{"batch.labelled", "", nil, `batch.labelled: expected an integer, got string ""`},
		{"epochs", "null", nil, `epochs: expected an integer, got null`},
		{"optimizer.lrr", "1", nil, `unknown key "optimizer.lrr"; did you mean "optimizer.lr"?`},
		{"labeled.count", "1", nil, `unknown key "labeled.count"; did you mean "labelled.count"?`},
		{"batch", "3", nil, `batch is a section, not a key; set one of: batch.labelled, batch.unlabelled, batch.shards`},
		{"discrete.vars.y", "sample", nil, `discrete.vars.y: must be enumerate or relax; got "sample"`},
		{"discrete.vars.9y", "relax", nil, `discrete.vars.9y: "9y" is not a variable name`},
		{"dtype", "float16", nil, `dtype: must be float32 or float64; got "float16"; did you mean "float32"?`},
		{"optimizer.name", "sgd", nil, `optimizer.name: must be adam; got "sgd"`},
		{"samples", "[1]", nil, `samples: expected an integer, got a list`},
		{"seed", "99999999999999999999", nil, `seed: integer 99999999999999999999 is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			c := Default()
			before := c.Clone()
			err := c.Set(tt.key, tt.value)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				if !reflect.DeepEqual(c, before) {
					t.Error("failed Set changed the config")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("Set did not take effect:\n%s", c.Marshal())
			}
			back, err := Parse("set", c.Marshal())
			if err != nil || !reflect.DeepEqual(back, c) {
				t.Errorf("round trip after Set: %v", err)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	c := Default()
	if a := c.ResolveAlpha(50000); a < 50.09 || a > 50.11 {
		t.Errorf("alpha for M=100, N=50000: %v, want 0.1/ρ = 50.1", a)
	}
	c.Labelled.Count = 0
	if a := c.ResolveAlpha(50000); a != 0 {
		t.Errorf("alpha with M=0: %v", a)
	}
	c = Default()
	c.Seed = 5
	h := c.Hash()
	c.Resolve(50000, "mnist")
	if c.Alpha == nil || c.LabelledSeed() != 5 || c.Name != "mnist" || c.RunName("x") != "mnist" {
		t.Errorf("resolve: %s", c.Marshal())
	}
	if c.Hash() == h {
		t.Error("resolving did not change the hash")
	}
	back, err := Parse("resolved", c.Marshal())
	if err != nil || !reflect.DeepEqual(back, c) || back.Hash() != c.Hash() {
		t.Errorf("resolved config does not round-trip: %v", err)
	}
	if len(c.Hash()) != 64 || Default().Hash() != Default().Hash() {
		t.Error("hash not a stable sha256")
	}
}

func TestAnnotated(t *testing.T) {
	c, err := Load("testdata/good/paper.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := c.MarshalAnnotated()
	if !strings.Contains(string(out), "# Labelled examples per step.") {
		t.Errorf("no comments:\n%s", out)
	}
	back, err := Parse("annotated", out)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("annotated form does not round-trip: %v", err)
	}
}

func TestSteps(t *testing.T) {
	c := Default()
	if got := c.Steps(50000); got != 391 {
		t.Errorf("Steps(50000) = %d, want 391", got)
	}
	if got := c.Steps(0); got != 1 {
		t.Errorf("Steps(0) = %d", got)
	}
	c.StepsPerEpoch = 7
	if got := c.Steps(50000); got != 7 {
		t.Errorf("Steps with steps_per_epoch = %d", got)
	}
}

func TestDocsGolden(t *testing.T) {
	const golden = "testdata/config.md.golden"
	got := Docs()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./runtime/config -run TestDocsGolden -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s is stale: run go test ./runtime/config -run TestDocsGolden -update", golden)
	}
	// docs/config.md, when present, must be the same text (a link or a copy).
	if d, err := os.ReadFile("../../docs/config.md"); err == nil && string(d) != got {
		t.Errorf("docs/config.md differs from Docs(): copy %s there", golden)
	}
}

// TestSuggest: config keys get the suggestions of diag.Closest, like
// spec names and verbs; a dotted key's typo budget is that of its last name.
func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"lables", ""}, {"labeled", "labelled"}, {"epoch", "epochs"},
		{"sed", "seed"}, {"dtyp", "dtype"}, {"flavour", ""}, {"x", ""},
		{"labelled.cuont", "labelled.count"}, {"optimizer.xyz", ""},
	}
	cands := append(children(keys(), ""), "labelled.count", "optimizer.lr")
	for _, tt := range tests {
		got, _ := suggestPath(tt.in, cands)
		if got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load("testdata/no-such.yaml"); err == nil || !strings.Contains(err.Error(), "no-such.yaml") {
		t.Errorf("err = %v", err)
	}
}

// TestHashLateKeys: a key added late leaves the hash of a config unchanged
// while it is at its default (so run folders written before it existed
// resume), and changes it when set.
func TestHashLateKeys(t *testing.T) {
	// A value other than the default for every late key.
	other := map[string]string{
		"data.binarize":          "dynamic",
		"checkpoint.every_steps": "100",
		"labelled.counts":        "{identity: 3}",
		"init.from":              "runs/mnist",
		"init.nets":              "draw=render",
		"init.freeze":            "true",
		"checkpoint.best_metric": "none",
		"optimizer.schedule":     "step",
		"optimizer.decay":        "0.9",
		"optimizer.decay_steps":  "10",
		"optimizer.warmup_steps": "10",
		"optimizer.clip_norm":    "5",
		"optimizer.clip_value":   "1",
		"discrete.shared_noise":  "true",
		"objective.analytic_kl":  "true",
		"objective.balance":      "10",
		"batch.shards":           "2",
	}
	// The lines of the late keys (and of sections holding only late keys)
	// in the default canonical form.
	lateLines := map[string]bool{
		"data:\n": true, "  binarize: none\n": true,
		"checkpoint:\n": true, "  every_steps: 0\n": true, "  best_metric: \"\"\n": true,
		"  counts: {}\n": true,
		"init:\n":        true, "  from: \"\"\n": true, "  nets: \"\"\n": true, "  freeze: false\n": true,
		"  schedule: constant\n": true, "  decay: 0.5\n": true, "  decay_steps: 0\n": true, "  warmup_steps: 0\n": true,
		"  clip_norm: 0.0\n": true, "  clip_value: 0.0\n": true,
		"  shared_noise: false\n": true,
		"objective:\n":            true, "  analytic_kl: false\n": true, "  balance: 0.0\n": true,
		"  shards: 1\n": true,
	}
	c := Default()
	var old []string
	for _, line := range strings.SplitAfter(string(c.Marshal()), "\n") {
		if !lateLines[line] {
			old = append(old, line) // the canonical form before the late keys
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(old, "")))
	if got, want := c.Hash(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("hash of the default config %s, want %s (that of the form without the late keys)", got, want)
	}
	for _, k := range keys() {
		if !k.late {
			continue
		}
		d := Default()
		v, ok := other[k.path]
		if !ok {
			t.Errorf("late key %s: give it a value in this test", k.path)
			continue
		}
		if err := d.Set(k.path, v); err != nil {
			t.Fatal(err)
		}
		if d.Hash() == c.Hash() {
			t.Errorf("setting %s to %s leaves the hash unchanged", k.path, v)
		}
	}
}

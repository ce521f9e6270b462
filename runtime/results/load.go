// Package results summarises finished run folders: it groups runs whose
// spec and resolved config differ only in seed (and run name or output
// folder), and gives each group the mean and sample standard deviation of
// every test metric in metrics.csv, at the final epoch and at the epoch of
// best validation error, with epochs, steps and wall time. Runs that are
// unfinished, diverged or were never tested are listed as such and never
// averaged in. Tables render as aligned text, Markdown, CSV or JSON, and
// the validation curves of all runs draw on one figure.
//
// Nothing here knows a fixed list of metrics: every metrics.csv column
// whose name has a "test" part (err_test_y, elbo_test, and whatever
// columns training adds later) is a test metric.
package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"ssdgm/runtime/config"
	"ssdgm/runtime/runs"
)

// Run statuses as results reports them.
const (
	Done       = "done"       // finished, with a test evaluation
	Unfinished = "unfinished" // still running, killed, or stopped (resumable)
	Diverged   = "diverged"   // the loss or a test metric was not finite
	Failed     = "failed"     // stopped by an error
	NoTest     = "no test"    // finished without a test evaluation
)

// Run is one run folder as results reads it.
type Run struct {
	Dir      string
	Meta     runs.Meta
	Model    string            // the spec's model name
	SpecHash string            // SHA-256 of spec.ssdgm
	Config   map[string]string // the resolved config, flattened to dotted keys
	Epochs   int               // epochs the config asks for (0 if unknown)
	Columns  []string          // metrics.csv columns, in file order
	Rows     []map[string]float64
	Status   string // one of Done, Unfinished, Diverged, Failed, NoTest
	Note     string // why, for a status other than Done
}

// Name returns the run folder's base name.
func (r *Run) Name() string { return filepath.Base(r.Dir) }

// Wall returns the time from start to end in meta.json less its recorded
// pauses between an end and a resume (evaluation included; the pause after
// a process killed without an end is not known, so counted), or 0 for a
// run without an end.
func (r *Run) Wall() time.Duration {
	if r.Meta.End == nil {
		return 0
	}
	return r.Meta.End.Sub(r.Meta.Start) - time.Duration(r.Meta.PausedSeconds*float64(time.Second))
}

// Last returns the value of column col in the last metrics row.
func (r *Run) Last(col string) (float64, bool) {
	if len(r.Rows) == 0 {
		return 0, false
	}
	v, ok := r.Rows[len(r.Rows)-1][col]
	return v, ok
}

// IsRun reports whether dir is a run folder (it holds meta.json).
func IsRun(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, runs.MetaFile))
	return err == nil && info.Mode().IsRegular()
}

// Expand turns arguments into run folders: a run folder is taken as it is;
// a glob (runs/m100-*) is expanded; a folder that is not a run but holds
// runs (runs/) stands for the runs directly inside it, in name order. An
// argument that matches nothing, or no run, is an error naming it.
func Expand(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		c := filepath.Clean(d)
		if !seen[c] {
			seen[c] = true
			out = append(out, d)
		}
	}
	for _, a := range args {
		paths := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, fmt.Errorf("%s: bad pattern: %v", a, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s matches no file", a)
			}
			paths = m
		}
		found := false
		for _, p := range paths {
			info, err := os.Stat(p)
			switch {
			case err != nil:
				if errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("%s: no such run folder", p)
				}
				return nil, err
			case !info.IsDir():
				if len(paths) == 1 {
					return nil, fmt.Errorf("%s is a file, not a run folder", p)
				}
				continue
			case IsRun(p):
				add(p)
				found = true
				continue
			}
			ents, err := os.ReadDir(p)
			if err != nil {
				return nil, err
			}
			for _, e := range ents {
				if sub := filepath.Join(p, e.Name()); e.IsDir() && IsRun(sub) {
					add(sub)
					found = true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%s is not a run folder (no %s) and holds none", a, runs.MetaFile)
		}
	}
	return out, nil
}

// Load reads a run folder: meta.json, config.yaml, spec.ssdgm and
// metrics.csv, and decides its status.
func Load(dir string) (*Run, error) {
	r := &Run{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, runs.MetaFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable run folder: %v", dir, err)
	}
	if err := json.Unmarshal(b, &r.Meta); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, runs.MetaFile), err)
	}
	spec, err := os.ReadFile(filepath.Join(dir, runs.SpecFile))
	if err != nil {
		return nil, fmt.Errorf("run %s: %v", dir, err)
	}
	r.SpecHash = runs.Hash(spec)
	r.Model = modelName(spec)
	cfg, err := os.ReadFile(filepath.Join(dir, runs.ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("run %s: %v", dir, err)
	}
	if r.Config, err = flatConfig(filepath.Join(dir, runs.ConfigFile), cfg); err != nil {
		return nil, err
	}
	r.Epochs, _ = strconv.Atoi(r.Config["epochs"])
	if err := r.readMetrics(filepath.Join(dir, runs.MetricsFile)); err != nil {
		return nil, err
	}
	r.Status, r.Note = r.status()
	return r, nil
}

var modelRE = regexp.MustCompile(`(?m)^\s*model\s+([A-Za-z_][A-Za-z0-9_]*)`)

// modelName finds the model's name in a spec without checking it (a run's
// spec may come from an older version of the language).
func modelName(spec []byte) string {
	if m := modelRE.FindSubmatch(spec); m != nil {
		return string(m[1])
	}
	return "?"
}

// flatConfig parses a run's config.yaml. A config the current tool reads
// is first put in canonical form, so keys added since the run was made
// show their defaults (which keep the old behaviour); otherwise the file
// is read as it is.
func flatConfig(path string, src []byte) (map[string]string, error) {
	if c, err := config.Parse(path, src); err == nil {
		src = c.Marshal()
	}
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	out := map[string]string{}
	flatten("", doc, out)
	return out, nil
}

func flatten(prefix string, v any, out map[string]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 && prefix != "" {
			out[prefix] = "{}"
		}
		for k, e := range x {
			flatten(join(k), e, out)
		}
	case nil:
		if prefix != "" {
			out[prefix] = ""
		}
	case []any:
		b, _ := json.Marshal(x)
		out[prefix] = string(b)
	case float64:
		out[prefix] = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		out[prefix] = fmt.Sprint(x)
	}
}

// readMetrics parses metrics.csv; empty cells are absent from a row's map.
// A last line cut short (a killed run) is dropped.
func (r *Run) readMetrics(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("run %s: %v", r.Dir, err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
		b = b[:i+1]
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("%s has no header", path)
	}
	r.Columns = recs[0]
	for _, rec := range recs[1:] {
		if len(rec) != len(r.Columns) {
			continue
		}
		row := map[string]float64{}
		for i, s := range rec {
			if s == "" {
				continue
			}
			if v, err := strconv.ParseFloat(s, 64); err == nil {
				row[r.Columns[i]] = v
			}
		}
		r.Rows = append(r.Rows, row)
	}
	return nil
}

// IsTestMetric reports whether a metrics column is a test metric: one of
// its underscore-separated parts is "test".
func IsTestMetric(col string) bool {
	for _, p := range strings.Split(col, "_") {
		if p == "test" {
			return true
		}
	}
	return false
}

// TestMetrics returns the run's test-metric columns in file order.
func (r *Run) TestMetrics() []string {
	var out []string
	for _, c := range r.Columns {
		if IsTestMetric(c) {
			out = append(out, c)
		}
	}
	return out
}

// ValColumn returns the column that picks the best epoch and whether lower
// is better: the first err_val_* column (the first discrete supervised
// variable, as in training's best checkpoint), else elbo_val (higher is
// better); "" when there is neither.
func (r *Run) ValColumn() (string, bool) {
	for _, c := range r.Columns {
		if strings.HasPrefix(c, "err_val_") {
			return c, true
		}
	}
	for _, c := range r.Columns {
		if c == "elbo_val" {
			return c, false
		}
	}
	return "", false
}

// Best returns the index of the metrics row of the best validation
// epoch, or -1 when no row has a validation value: the epoch training
// recorded in a best_epoch column when there is one, else the row with
// the lowest err_val_* (highest elbo_val), the earlier epoch on a tie as
// training chooses its best checkpoint.
func (r *Run) Best() int {
	if e, ok := r.Last("best_epoch"); ok {
		for i, row := range r.Rows {
			if row["epoch"] == e {
				return i
			}
		}
	}
	col, lower := r.ValColumn()
	if col == "" {
		return -1
	}
	best, bestV := -1, math.Inf(1)
	for i, row := range r.Rows {
		v, ok := row[col]
		if !ok || math.IsNaN(v) {
			continue
		}
		if !lower {
			v = -v
		}
		if v < bestV {
			best, bestV = i, v
		}
	}
	return best
}

// status decides a run's status from meta.json and its last metrics row.
func (r *Run) status() (string, string) {
	epoch := 0
	if v, ok := r.Last("epoch"); ok {
		epoch = int(v)
	}
	progress := fmt.Sprintf("epoch %d of %d", epoch, r.Epochs)
	switch r.Meta.Status {
	case runs.StatusRunning:
		return Unfinished, progress + ", running or killed"
	case runs.StatusStopped:
		return Unfinished, progress + ", stopped (resume with ssdgm train --resume)"
	case runs.StatusFailed:
		if strings.Contains(r.Meta.Message, "diverged") {
			return Diverged, r.Meta.Message
		}
		return Failed, r.Meta.Message
	case runs.StatusDone:
	default:
		return Failed, fmt.Sprintf("unknown status %q in %s", r.Meta.Status, runs.MetaFile)
	}
	tested := false
	for _, c := range r.TestMetrics() {
		v, ok := r.Last(c)
		if !ok {
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Diverged, fmt.Sprintf("%s is %v", c, v)
		}
		tested = true
	}
	if loss, ok := r.Last("loss"); ok && (math.IsNaN(loss) || math.IsInf(loss, 0)) {
		return Diverged, fmt.Sprintf("loss is %v", loss)
	}
	if !tested {
		return NoTest, "the last epoch has no test metrics"
	}
	return Done, ""
}

// groupKey is what runs of one group share: the spec and the config less
// the seed, the run name and the output folder (and labelled.seed where it
// follows the seed).
func (r *Run) groupKey() string {
	var b strings.Builder
	b.WriteString(r.SpecHash)
	for _, k := range sortedKeys(r.settings()) {
		fmt.Fprintf(&b, "\x00%s=%s", k, r.Config[k])
	}
	return b.String()
}

// settings returns the config keys that define a group.
func (r *Run) settings() map[string]string {
	out := map[string]string{}
	for k, v := range r.Config {
		switch {
		case k == "seed" || k == "name" || k == "out":
			continue
		case k == "labelled.seed" && v == r.Config["seed"]:
			continue
		}
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

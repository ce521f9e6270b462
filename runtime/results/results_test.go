package results

import (
	"bytes"
	"encoding/json"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ssdgm/runtime/config"
	"ssdgm/runtime/runs"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// tinySpec is the spec of every fake run, read before the tests change
// folder.
var tinySpec []byte

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	if tinySpec, err = os.ReadFile("../../testdata/specs/good/tiny_m2.ssdgm"); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// fakeRun describes a run folder written the way training writes one.
type fakeRun struct {
	name   string
	seed   int64
	set    map[string]string // config keys
	cols   []string          // extra metrics columns
	rows   []map[string]any
	status string // runs.Status*
	msg    string
	wall   time.Duration
	paused time.Duration // recorded in meta.json's paused_seconds, counted in wall
}

var baseCols = []string{"epoch", "step", "loss", "seconds", "examples_per_s", "elbo_val", "err_val_y", "err_test_y", "elbo_test"}

// write creates the run under out through runs.Create, as train does, and
// then fixes meta.json's times so the golden output does not depend on
// the clock.
func (f fakeRun) write(t *testing.T, out string) string {
	t.Helper()
	spec := tinySpec
	cfg := config.Default()
	for k, v := range map[string]string{"dataset": "mnist", "epochs": "3", "seed": "1", "out": out, "name": f.name} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Set("seed", itoa(f.seed)); err != nil {
		t.Fatal(err)
	}
	for k, v := range f.set {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Resolve(1000, "tiny_m2")
	r, err := runs.Create(out, f.name, runs.Options{Spec: spec, Config: cfg.Marshal(),
		Meta:    runs.Meta{Tool: "ssdgm test", Seed: f.seed, Command: []string{"ssdgm", "train", "tiny_m2.ssdgm"}},
		Columns: append(append([]string(nil), baseCols...), f.cols...)})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range f.rows {
		if err := r.Metrics(row); err != nil {
			t.Fatal(err)
		}
	}
	if f.status == runs.StatusRunning {
		r.Close()
	} else if err := r.Finish(f.status, f.msg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(r.Dir(), runs.MetaFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m runs.Meta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m.GoVersion = "go"
	m.PausedSeconds = f.paused.Seconds()
	m.Start = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	if m.End != nil {
		end := m.Start.Add(f.wall)
		m.End = &end
	}
	b, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return r.Dir()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// epochRow is one metrics row; test metrics only where test is set.
func epochRow(ep int, errVal float64, test map[string]float64) map[string]any {
	row := map[string]any{"epoch": ep, "step": ep * 10, "loss": 100.0 / float64(ep), "seconds": 1.5, "examples_per_s": 200.0, "err_val_y": errVal}
	for k, v := range test {
		row[k] = v
	}
	return row
}

// tinyRuns writes two groups of two seeds (alpha 0.5 with test metrics at
// the last epoch only; alpha 2 tested every epoch, with one more metric
// column), an unfinished run and a diverged one.
func tinyRuns(t *testing.T) []string {
	t.Helper()
	a := func(seed int64, errs [3]float64, test float64, elbo float64) fakeRun {
		return fakeRun{name: "a05-s" + itoa(seed), seed: seed, set: map[string]string{"alpha": "0.5"}, status: runs.StatusDone, wall: 90 * time.Second,
			rows: []map[string]any{epochRow(1, errs[0], nil), epochRow(2, errs[1], nil),
				epochRow(3, errs[2], map[string]float64{"err_test_y": test, "elbo_test": elbo, "elbo_val": elbo + 1})}}
	}
	b := func(seed int64, errs [3]float64, tests [3]float64) fakeRun {
		f := fakeRun{name: "a2-s" + itoa(seed), seed: seed, set: map[string]string{"alpha": "2"}, status: runs.StatusDone, wall: time.Duration(120+seed*30) * time.Second,
			cols: []string{"acc_test_count"}}
		for i := range 3 {
			f.rows = append(f.rows, epochRow(i+1, errs[i], map[string]float64{"err_test_y": tests[i], "elbo_test": -50 - float64(i), "acc_test_count": 0.9 + 0.01*float64(i)}))
		}
		return f
	}
	fs := []fakeRun{
		a(1, [3]float64{0.5, 0.4, 0.3}, 0.31, -60.25),
		b(1, [3]float64{0.5, 0.2, 0.25}, [3]float64{0.52, 0.21, 0.26}),
		a(2, [3]float64{0.5, 0.45, 0.35}, 0.36, -61.75),
		b(2, [3]float64{0.4, 0.3, 0.3}, [3]float64{0.41, 0.3, 0.29}),
		{name: "a2-s3", seed: 3, set: map[string]string{"alpha": "2"}, status: runs.StatusRunning,
			rows: []map[string]any{epochRow(1, 0.45, nil)}},
		{name: "a2-s4", seed: 4, set: map[string]string{"alpha": "2"}, status: runs.StatusFailed, msg: "training diverged at step 13: the loss is not finite; the last good checkpoint is kept (try a smaller optimizer.lr)",
			rows: []map[string]any{epochRow(1, 0.6, nil)}, wall: 5 * time.Second},
	}
	var dirs []string
	for _, f := range fs {
		dirs = append(dirs, f.write(t, "runs"))
	}
	return dirs
}

func loadAll(t *testing.T, dirs []string) []*Run {
	t.Helper()
	var rs []*Run
	for _, d := range dirs {
		r, err := Load(d)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

// TestGolden renders the tiny runs in every format and compares with
// testdata/results.*; -update rewrites them.
func TestGolden(t *testing.T) {
	golden, _ := filepath.Abs("testdata")
	t.Chdir(t.TempDir())
	tinyRuns(t)
	dirs, err := Expand([]string{"runs/a05-*", "runs"})
	if err != nil {
		t.Fatal(err)
	}
	s := Summarise(loadAll(t, dirs))
	for _, f := range []struct{ format, ext string }{{"text", "txt"}, {"markdown", "md"}, {"csv", "csv"}, {"json", "json"}} {
		var b bytes.Buffer
		if err := s.Write(&b, f.format); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(golden, "results."+f.ext)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s output differs from %s:\n%s", f.format, path, b.String())
		}
	}
}

// TestGroups checks the grouping and statistics against numbers computed
// here by hand.
func TestGroups(t *testing.T) {
	t.Chdir(t.TempDir())
	s := Summarise(loadAll(t, tinyRuns(t)))
	if len(s.Rows) != 4 {
		t.Fatalf("want 4 rows (2 groups, unfinished, diverged), got %d", len(s.Rows))
	}
	if strings.Join(s.Keys, ",") != "alpha" {
		t.Errorf("differing keys = %v, want [alpha] (seed, name and labelled.seed follow the seed)", s.Keys)
	}
	a, b := s.Rows[0], s.Rows[1]
	if a.Config["alpha"] != "0.5" || len(a.Runs) != 2 || b.Config["alpha"] != "2" || len(b.Runs) != 2 {
		t.Fatalf("groups: %+v / %+v", a, b)
	}
	st := a.Final["err_test_y"]
	wantStd := math.Sqrt(2 * 0.025 * 0.025) // values 0.31, 0.36: sample std = |a−b|/√2
	if st.N != 2 || math.Abs(st.Mean-0.335) > 1e-12 || math.Abs(st.Std-wantStd) > 1e-12 {
		t.Errorf("alpha 0.5 err_test_y = %+v, want mean 0.335 std %g", st, wantStd)
	}
	// Best validation: seed 1 at epoch 2 (0.2 < 0.25), seed 2 at epoch 2
	// (a tie with epoch 3 goes to the earlier epoch, as training picks).
	if got := b.BestEpochs; len(got) != 2 || got[0] != 2 || got[1] != 2 {
		t.Errorf("best epochs = %v, want [2 2]", got)
	}
	if bst := b.Best["err_test_y"]; math.Abs(bst.Mean-(0.21+0.3)/2) > 1e-12 {
		t.Errorf("best-val err_test_y mean = %g, want %g", bst.Mean, (0.21+0.3)/2)
	}
	if bst := a.Best["err_test_y"]; bst.N != 2 || math.Abs(bst.Mean-0.335) > 1e-12 {
		t.Errorf("alpha 0.5 best epoch is the last, so best-val = final; got %+v", bst)
	}
	if c := a.Final["acc_test_count"]; c.N != 0 {
		t.Errorf("alpha 0.5 runs have no acc_test_count, got %+v", c)
	}
	if s.Rows[2].Status != Unfinished || s.Rows[3].Status != Diverged {
		t.Errorf("statuses %q, %q; want unfinished, diverged", s.Rows[2].Status, s.Rows[3].Status)
	}
	for _, r := range s.Rows[2:] {
		if len(r.Final) != 0 {
			t.Errorf("%s run averaged in: %+v", r.Status, r.Final)
		}
	}
}

// TestBestEpochColumn: a best_epoch column (training's own choice, with
// the test metrics of that checkpoint in *_best columns of the last row)
// decides the best epoch, and the *_best columns are test metrics like
// any other.
func TestBestEpochColumn(t *testing.T) {
	t.Chdir(t.TempDir())
	f := fakeRun{name: "r", seed: 1, status: runs.StatusDone, wall: time.Minute, cols: []string{"best_epoch", "err_test_y_best", "elbo_test_best"},
		rows: []map[string]any{epochRow(1, 0.3, nil), epochRow(2, 0.3, nil),
			epochRow(3, 0.4, map[string]float64{"err_test_y": 0.41, "elbo_test": -5, "best_epoch": 2, "err_test_y_best": 0.32, "elbo_test_best": -6})}}
	r, err := Load(f.write(t, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	if b := r.Best(); b != 1 {
		t.Errorf("best row %d, want 1 (best_epoch 2 although epoch 1 ties)", b)
	}
	s := Summarise([]*Run{r})
	if st := s.Rows[0].Final["err_test_y_best"]; st.N != 1 || st.Mean != 0.32 {
		t.Errorf("err_test_y_best = %+v, want 0.32", st)
	}
}

// TestNoBest: when test metrics exist only at the last epoch, the table
// has no best-validation columns (they would repeat the final ones).
func TestNoBest(t *testing.T) {
	t.Chdir(t.TempDir())
	f := fakeRun{name: "r", seed: 1, status: runs.StatusDone, wall: time.Minute,
		rows: []map[string]any{epochRow(1, 0.2, nil), epochRow(2, 0.3, map[string]float64{"err_test_y": 0.3, "elbo_test": -5})}}
	s := Summarise(loadAll(t, []string{f.write(t, "runs")}))
	if s.Best || s.Rows[0].Best != nil {
		t.Errorf("best-val columns without test metrics at the best epoch: %+v", s.Rows[0])
	}
	if s.Rows[0].Status != Done {
		t.Errorf("status %q", s.Rows[0].Status)
	}
	var b bytes.Buffer
	if err := s.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "best-val") {
		t.Errorf("text has best-val columns:\n%s", b.String())
	}
}

// TestStatuses: a finished run without test metrics and a stopped run are
// listed as such.
func TestStatuses(t *testing.T) {
	t.Chdir(t.TempDir())
	cases := []struct {
		f    fakeRun
		want string
	}{
		{fakeRun{name: "notest", seed: 1, status: runs.StatusDone, rows: []map[string]any{epochRow(1, 0.2, nil)}}, NoTest},
		{fakeRun{name: "stopped", seed: 1, status: runs.StatusStopped, rows: []map[string]any{epochRow(1, 0.2, nil)}}, Unfinished},
		{fakeRun{name: "failed", seed: 1, status: runs.StatusFailed, msg: "reading the dataset: boom"}, Failed},
		{fakeRun{name: "nan", seed: 1, status: runs.StatusDone, rows: []map[string]any{epochRow(1, 0.2, map[string]float64{"err_test_y": 0.1, "elbo_test": math.NaN()})}}, Diverged},
	}
	for _, c := range cases {
		r, err := Load(c.f.write(t, "runs"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != c.want {
			t.Errorf("%s: status %q (%s), want %q", c.f.name, r.Status, r.Note, c.want)
		}
	}
}

// TestExpandErrors: arguments that name no run say so.
func TestExpandErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	os.Mkdir("empty", 0o755)
	os.WriteFile("file.txt", nil, 0o644)
	for arg, want := range map[string]string{
		"missing":   "missing: no such run folder",
		"empty":     "empty is not a run folder (no meta.json) and holds none",
		"file.txt":  "file.txt is a file, not a run folder",
		"nothing-*": "nothing-* matches no file",
	} {
		_, err := Expand([]string{arg})
		if err == nil || err.Error() != want {
			t.Errorf("Expand(%q) = %v, want %q", arg, err, want)
		}
	}
}

// TestPlot draws the validation curves and checks the PNG decodes, has
// the figure's size and shows both groups' colours.
func TestPlot(t *testing.T) {
	t.Chdir(t.TempDir())
	s := Summarise(loadAll(t, tinyRuns(t)))
	if err := s.Plot("curves.png"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("curves.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 9*96 || b.Dy() != 6*96 {
		t.Errorf("size %v, want 864×576", b)
	}
	found := map[int]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for i := 0; i < 2; i++ {
				c := groupColours[i]
				if r>>8 == uint32(c.R) && g>>8 == uint32(c.G) && bl>>8 == uint32(c.B) {
					found[i] = true
				}
			}
		}
	}
	if !found[0] || !found[1] {
		t.Errorf("group colours drawn: %v, want both", found)
	}
}

// TestWallLessPauses: a run's wall time is start to end less the pauses
// meta.json records between an end and a resume (an extended run's wait
// between its first end and the extension is not training time).
func TestWallLessPauses(t *testing.T) {
	out := t.TempDir()
	dir := fakeRun{name: "r", seed: 1, status: runs.StatusDone, wall: 3 * time.Hour, paused: 2 * time.Hour,
		rows: []map[string]any{epochRow(1, 0.5, map[string]float64{"err_test_y": 0.4, "elbo_test": -100})}}.write(t, out)
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Wall(); got != time.Hour {
		t.Errorf("Wall = %v, want 1h (3h start to end less a 2h pause)", got)
	}
}

package runs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func opts() Options {
	return Options{
		Spec:    []byte("model mnist\n"),
		Config:  []byte("seed: 1\n"),
		Meta:    Meta{Tool: "ssdgm test", Seed: 1, Command: []string{"ssdgm", "train"}},
		Columns: []string{"epoch", "loss", "acc_val", "time"},
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCreateNames(t *testing.T) {
	out := filepath.Join(t.TempDir(), "runs")
	want := []string{"mnist", "mnist_1", "mnist_2"}
	for _, w := range want {
		r, err := Create(out, "mnist", opts())
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(r.Dir()) != w {
			t.Errorf("Create = %s, want %s", r.Dir(), w)
		}
		r.Close()
	}
	// A plain file in the way counts as taken too.
	os.WriteFile(filepath.Join(out, "mnist_3"), nil, 0o644)
	r, _ := Create(out, "mnist", opts())
	if filepath.Base(r.Dir()) != "mnist_4" {
		t.Errorf("got %s, want mnist_4", r.Dir())
	}
	r.Close()
	for _, bad := range []string{"", ".", "..", "a/b", ".hidden", `a\b`} {
		if _, err := Create(out, bad, opts()); err == nil {
			t.Errorf("Create(%q) accepted", bad)
		}
	}
	o := opts()
	o.Columns = []string{"a", "a"}
	if _, err := Create(out, "x", o); err == nil {
		t.Error("duplicate columns accepted")
	}
}

func TestCreateConcurrent(t *testing.T) {
	out := t.TempDir()
	const n = 8
	dirs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := Create(out, "m", opts())
			if err != nil {
				t.Error(err)
				return
			}
			dirs[i] = r.Dir()
			r.Close()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] {
			t.Errorf("two runs got %s", d)
		}
		seen[d] = true
	}
}

func TestFiles(t *testing.T) {
	r, err := Create(t.TempDir(), "m", opts())
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, r.Path(SpecFile)); got != "model mnist\n" {
		t.Errorf("spec = %q", got)
	}
	if got := read(t, r.Path(ConfigFile)); got != "seed: 1\n" {
		t.Errorf("config = %q", got)
	}
	var m Meta
	if err := json.Unmarshal([]byte(read(t, r.Path(MetaFile))), &m); err != nil {
		t.Fatal(err)
	}
	if m.SpecHash != Hash([]byte("model mnist\n")) || m.ConfigHash != Hash([]byte("seed: 1\n")) ||
		m.Status != StatusRunning || m.GoVersion == "" || m.Start.IsZero() || m.End != nil || m.Seed != 1 {
		t.Errorf("meta = %+v", m)
	}
	if err := r.Metrics(map[string]any{"epoch": 1, "loss": 101.5, "acc_val": float32(0.25)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Metrics(map[string]any{"epoch": int64(2), "loss": "a,b"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Metrics(map[string]any{"bogus": 1}); err == nil || !strings.Contains(err.Error(), `"bogus" is not a column`) {
		t.Errorf("unknown column: %v", err)
	}
	if err := r.Metrics(map[string]any{"loss": []int{1}}); err == nil {
		t.Error("bad type accepted")
	}
	// Rows are on disk right away, before Close.
	if got, want := read(t, r.Path(MetricsFile)), "epoch,loss,acc_val,time\n1,101.5,0.25,\n2,\"a,b\",,\n"; got != want {
		t.Errorf("metrics.csv = %q, want %q", got, want)
	}
	for s := int64(1); s <= 3; s++ {
		if err := r.Step(map[string]any{"step": s, "loss": 1.5}); err != nil {
			t.Fatal(err)
		}
	}
	if got := read(t, r.Path(StepsFile)); strings.Count(got, "\n") != 3 || !strings.HasPrefix(got, `{"loss":1.5,"step":1}`) {
		t.Errorf("steps.jsonl = %q", got)
	}
	r.Logf("epoch %d done", 1)
	r.Log().Write([]byte("raw line\n"))
	if got := read(t, r.Path(LogFile)); !strings.Contains(got, "Z epoch 1 done\nraw line\n") {
		t.Errorf("train.log = %q", got)
	}
	if err := r.WriteFile("report.txt", []byte("x")); err != nil || read(t, r.Path("report.txt")) != "x" {
		t.Errorf("WriteFile: %v", err)
	}
	if err := r.Finish(StatusDone, "ok"); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(read(t, r.Path(MetaFile))), &m)
	if m.Status != StatusDone || m.End == nil || m.Message != "ok" {
		t.Errorf("meta after Finish = %+v", m)
	}
	if err := r.Step(map[string]int{"step": 4}); err == nil {
		t.Error("write after Finish succeeded")
	}
	ents, _ := os.ReadDir(r.Dir())
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestOpen(t *testing.T) {
	o := opts()
	r, err := Create(t.TempDir(), "m", o)
	if err != nil {
		t.Fatal(err)
	}
	r.Metrics(map[string]any{"epoch": 1, "loss": 3})
	r.Finish(StatusStopped, "interrupted")
	spec, cfg := Hash(o.Spec), Hash(o.Config)

	tests := []struct {
		name       string
		spec, conf string
		what       string
	}{
		{"spec", Hash([]byte("model other\n")), cfg, "spec"},
		{"config", spec, Hash([]byte("seed: 2\n")), "config"},
	}
	for _, tt := range tests {
		_, err := Open(r.Dir(), tt.spec, tt.conf)
		var hm *HashMismatchError
		if !errors.As(err, &hm) || hm.What != tt.what || !strings.Contains(err.Error(), "the "+tt.what+" differs") ||
			!strings.Contains(err.Error(), r.Dir()) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	if _, err := Open(t.TempDir(), spec, cfg); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("non-run folder: %v", err)
	}

	r2, err := Open(r.Dir(), spec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := r2.Meta()
	if m.Status != StatusRunning || m.End != nil || len(m.Resumes) != 1 || m.Message != "" {
		t.Errorf("meta after Open = %+v", m)
	}
	if got := strings.Join(r2.Columns(), ","); got != "epoch,loss,acc_val,time" {
		t.Errorf("columns = %s", got)
	}
	if err := r2.Metrics(map[string]any{"epoch": 2}); err != nil {
		t.Fatal(err)
	}
	r2.Close()
	if got := read(t, r.Path(MetricsFile)); got != "epoch,loss,acc_val,time\n1,3,,\n2,,,\n" {
		t.Errorf("metrics after resume = %q", got)
	}
}

func TestRewind(t *testing.T) {
	r, err := Create(t.TempDir(), "m", opts())
	if err != nil {
		t.Fatal(err)
	}
	for e := 1; e <= 4; e++ {
		r.Metrics(map[string]any{"epoch": e, "loss": float64(e)})
	}
	for s := 1; s <= 10; s++ {
		r.Step(map[string]any{"step": s})
	}
	r.Close()
	// A kill mid-write leaves torn last lines.
	for _, f := range []string{MetricsFile, StepsFile} {
		fh, _ := os.OpenFile(r.Path(f), os.O_APPEND|os.O_WRONLY, 0)
		fh.WriteString(`{"step": 11, "lo`)
		fh.Close()
	}
	r2, err := Open(r.Dir(), r.Meta().SpecHash, r.Meta().ConfigHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Rewind(2, 6); err != nil {
		t.Fatal(err)
	}
	if got := read(t, r.Path(MetricsFile)); got != "epoch,loss,acc_val,time\n1,1,,\n2,2,,\n" {
		t.Errorf("metrics after Rewind = %q", got)
	}
	steps := read(t, r.Path(StepsFile))
	if strings.Count(steps, "\n") != 6 || !strings.HasSuffix(steps, "{\"step\":6}\n") {
		t.Errorf("steps after Rewind = %q", steps)
	}
	if err := r2.Step(map[string]int{"step": 7}); err != nil {
		t.Fatal(err)
	}
	r2.Close()
	if !strings.HasSuffix(read(t, r.Path(StepsFile)), "{\"step\":6}\n{\"step\":7}\n") {
		t.Error("append after Rewind")
	}
	o := opts()
	o.Columns = []string{"loss"}
	r3, _ := Create(t.TempDir(), "m", o)
	if err := r3.Rewind(1, 1); err == nil {
		t.Error("Rewind without an epoch column succeeded")
	}
}

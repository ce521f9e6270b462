package train

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"ssdgm/runtime/config"
	"ssdgm/runtime/runs"
)

// TestTrainExtend finishes a tiny run of 3 epochs at a constant learning
// rate, extends it with Options.Extend to 5 epochs with a step schedule
// that cuts the rate tenfold after the 12 steps trained, and checks that it
// ends where a run started with that config ends, bit for bit
// (parameters, the step records after the extension, the test and
// best-checkpoint metrics); that the run folder's config and meta.json say
// so; and that shortening, a schedule that changes the steps trained and
// a change of another key are refused.
func TestTrainExtend(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	set := func(cfg *config.Config, kv map[string]string) *config.Config {
		for k, v := range kv {
			if err := cfg.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		return cfg
	}
	drop := map[string]string{"epochs": "5", "optimizer.schedule": "step", "optimizer.decay": "0.1", "optimizer.decay_steps": "12"}
	base := func(out string) *config.Config {
		return set(tinyConfig(t, out), map[string]string{"optimizer.clip_norm": "5"})
	}
	full, err := Train(context.Background(), Options{Spec: src, Model: m, Config: set(base(t.TempDir()), drop)})
	if err != nil {
		t.Fatal(err)
	}
	short, err := Train(context.Background(), Options{Spec: src, Model: m, Config: base(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	if short.Steps != 12 || full.Steps != 20 {
		t.Fatalf("runs of %d and %d steps, want 12 and 20", short.Steps, full.Steps)
	}
	stored := func() *config.Config { // what `ssdgm train --resume RUN` trains with
		path := filepath.Join(short.Dir, runs.ConfigFile)
		cfg, err := config.Parse(path, mustRead(t, path))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	extend := func(kv map[string]string) (*Summary, error) {
		return Train(context.Background(), Options{Spec: src, Model: m, Config: stored(), Resume: short.Dir, Extend: set(stored(), kv)})
	}

	for _, c := range []struct {
		kv   map[string]string
		want string
	}{
		{map[string]string{"epochs": "2"}, "extended, not shortened"},
		{map[string]string{"epochs": "5", "optimizer.schedule": "step", "optimizer.decay": "0.1", "optimizer.decay_steps": "4"}, "at step 5 of the run's 12"},
		{map[string]string{"epochs": "5", "optimizer.warmup_steps": "3"}, "at step 1 of the run's 12"},
		{map[string]string{"epochs": "5", "seed": "6"}, "only [epochs optimizer.schedule"},
	} {
		if _, err := extend(c.kv); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("extend with %v: got %v, want an error with %q", c.kv, err, c.want)
		}
	}
	if got := stored().Epochs; got != 3 {
		t.Fatalf("a refused extension changed the run's config to %d epochs", got)
	}

	ext, err := extend(drop)
	if err != nil {
		t.Fatal(err)
	}
	if ext.Steps != full.Steps || ext.Epochs != 5 {
		t.Errorf("extended run: %d steps, %d epochs; want %d, 5", ext.Steps, ext.Epochs, full.Steps)
	}
	_, a := finalParams(t, full.Dir)
	_, b := finalParams(t, ext.Dir)
	if string(a) != string(b) {
		t.Error("the extended run ends with other parameters than the run started with its config")
	}
	// The steps after the extension are logged as the full run's (the
	// first 12 have no lr field in the run that began unscheduled).
	tail := func(dir string) []string {
		lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, runs.StepsFile))), "\n")
		return lines[12:]
	}
	if sa, sb := tail(full.Dir), tail(ext.Dir); strings.Join(sa, "\n") != strings.Join(sb, "\n") {
		t.Errorf("steps 13-20 differ:\nstarted with the schedule:\n%s\nextended:\n%s", strings.Join(sa, "\n"), strings.Join(sb, "\n"))
	}
	for _, k := range resumedKeys {
		if full.Metrics[k] != ext.Metrics[k] {
			t.Errorf("%s: run started with the schedule %v, extended %v", k, full.Metrics[k], ext.Metrics[k])
		}
	}
	if got := stored(); got.Epochs != 5 || got.Optimizer.Schedule != config.ScheduleStep || got.Optimizer.DecaySteps != 12 {
		t.Errorf("the run's config.yaml after the extension: %d epochs, optimizer %+v", got.Epochs, got.Optimizer)
	}
	var meta runs.Meta
	if err := json.Unmarshal(mustRead(t, filepath.Join(short.Dir, runs.MetaFile)), &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Extensions) != 1 || meta.Extensions[0].From != 3 || meta.Extensions[0].To != 5 || meta.Status != runs.StatusDone {
		t.Errorf("meta.json: extensions %+v, status %q; want one from 3 to 5, done", meta.Extensions, meta.Status)
	}
	if n := strings.Count(readFile(t, filepath.Join(short.Dir, runs.MetricsFile)), "\n"); n != 6 {
		t.Errorf("metrics.csv of the extended run has %d lines, want a header and 5 epochs", n)
	}
	// A plain resume of the extended, finished run trains nothing more.
	again, err := Train(context.Background(), Options{Spec: src, Model: m, Config: stored(), Resume: short.Dir})
	if err != nil || again.Steps != full.Steps {
		t.Errorf("resuming the finished extended run: %v, %+v", err, again)
	}
}

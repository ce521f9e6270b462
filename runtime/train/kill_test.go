package train

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ssdgm/runtime/config"
	"ssdgm/runtime/runs"
)

// errKilled is the panic value that stands for a process killed outright.
type errKilled struct{}

// TestKillMidEpoch: a run with checkpoint.every_steps 3 that is killed
// outright (no checkpoint on the way out) after step 5, in the middle of
// its first epoch of 7 steps, has lost at most 3 steps: its newest
// checkpoint is step 3's; resumed, it ends with the same parameters and
// evaluation as the uninterrupted run.
func TestKillMidEpoch(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	out := t.TempDir()
	mk := func() *config.Config {
		cfg := tinyConfig(t, out)
		for k, v := range map[string]string{"steps_per_epoch": "7", "epochs": "2", "checkpoint.every_steps": "3"} {
			if err := cfg.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		return cfg
	}
	full, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk()})
	if err != nil {
		t.Fatal(err)
	}
	if full.Steps != 14 {
		t.Fatalf("ran %d steps, want 14", full.Steps)
	}

	var dir string
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(errKilled); !ok {
					panic(r)
				}
			}
		}()
		kill := ObserverFunc(func(ev Event) {
			if ev.Kind == RunStart {
				dir = ev.Message
			}
			if ev.Kind == StepDone && ev.TotalStep == 5 {
				panic(errKilled{}) // nothing more is written, as when the process is killed
			}
		})
		Train(context.Background(), Options{Spec: src, Model: m, Config: mk(), Observer: kill})
		t.Fatal("the run was not killed")
	}()
	if c, _ := finalParams(t, dir); c.Step != 3 {
		t.Fatalf("killed after step 5, the newest checkpoint is step %d's, want 3", c.Step)
	}
	resumed, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk(), Resume: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, a := finalParams(t, full.Dir)
	_, b := finalParams(t, resumed.Dir)
	if string(a) != string(b) {
		t.Error("the resumed run ends with different parameters than the uninterrupted run")
	}
	for _, k := range resumedKeys {
		if full.Metrics[k] != resumed.Metrics[k] {
			t.Errorf("%s: uninterrupted %v, resumed %v", k, full.Metrics[k], resumed.Metrics[k])
		}
	}
	// The steps the killed run did after its checkpoint are logged once:
	// steps 1 … 14 in order, so the resumed process trained exactly steps
	// 4 … 14, the 14 − 3 after the checkpoint.
	steps, err := os.ReadFile(filepath.Join(dir, runs.StepsFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(steps), "\n"); n != 14 {
		t.Errorf("%s of the resumed run has %d lines, want 14", runs.StepsFile, n)
	}
	for i, s := range stepRecords(t, dir) {
		if s != int64(i+1) {
			t.Errorf("%s records steps %v, want 1 … 14", runs.StepsFile, stepRecords(t, dir))
			break
		}
	}
}

package train

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ssdgm/runtime/config"
	"ssdgm/runtime/runs"
)

// TestTrainExtend finishes a tiny run of 3 epochs, extends it with
// Options.Epochs to 5, and checks that it ends where a run started with 5
// epochs ends, bit for bit (parameters, every step record, the test and
// best-checkpoint metrics), under an exponential learning-rate decay and
// gradient clipping; that the run folder's config now says 5 epochs and
// meta.json records the extension; and that shortening is refused.
func TestTrainExtend(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	mk := func(out, epochs string) *config.Config {
		cfg := tinyConfig(t, out)
		for k, v := range map[string]string{"epochs": epochs, "optimizer.schedule": "exponential", "optimizer.decay": "0.8",
			"optimizer.clip_norm": "5"} {
			if err := cfg.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		return cfg
	}
	full, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk(t.TempDir(), "5")})
	if err != nil {
		t.Fatal(err)
	}
	short, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk(t.TempDir(), "3")})
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

	_, err = Train(context.Background(), Options{Spec: src, Model: m, Config: stored(), Resume: short.Dir, Epochs: 2})
	if err == nil || !strings.Contains(err.Error(), "extended, not shortened") {
		t.Errorf("extending 3 epochs to 2: got %v, want a refusal", err)
	}

	ext, err := Train(context.Background(), Options{Spec: src, Model: m, Config: stored(), Resume: short.Dir, Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	if ext.Steps != full.Steps || ext.Epochs != 5 {
		t.Errorf("extended run: %d steps, %d epochs; want %d, 5", ext.Steps, ext.Epochs, full.Steps)
	}
	_, a := finalParams(t, full.Dir)
	_, b := finalParams(t, ext.Dir)
	if string(a) != string(b) {
		t.Error("the extended run ends with other parameters than the run started with 5 epochs")
	}
	if sa, sb := readFile(t, filepath.Join(full.Dir, runs.StepsFile)), readFile(t, filepath.Join(ext.Dir, runs.StepsFile)); sa != sb {
		t.Errorf("%s of the extended run differs from the 5-epoch run's", runs.StepsFile)
	}
	for _, k := range resumedKeys {
		if full.Metrics[k] != ext.Metrics[k] {
			t.Errorf("%s: 5-epoch run %v, extended %v", k, full.Metrics[k], ext.Metrics[k])
		}
	}
	if got := stored().Epochs; got != 5 {
		t.Errorf("the run's config.yaml has %d epochs after the extension, want 5", got)
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
		t.Errorf("resuming the finished extended run: %v, %d steps", err, again.Steps)
	}
	if _, err := os.Stat(short.Dir); err != nil {
		t.Fatal(err)
	}
}

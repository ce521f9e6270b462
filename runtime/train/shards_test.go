package train

import (
	"context"
	"strings"
	"testing"

	"ssdgm/runtime/config"
)

// TestTrainResumeShards trains the tiny MNIST run with batch.shards = 2
// (two parts of 5 labelled + 8 unlabelled images a step), checks that it
// differs from the one-part run (its noise comes from the parts' own
// streams) and that, interrupted mid-epoch and resumed, it ends with the
// same parameters, evaluation and step records as the uninterrupted run.
func TestTrainResumeShards(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	out, other := t.TempDir(), t.TempDir()
	mk := func(shards string) func() *config.Config {
		return func() *config.Config {
			dir := out
			if shards != "2" {
				dir = other
			}
			cfg := tinyConfig(t, dir)
			if err := cfg.Set("batch.shards", shards); err != nil {
				t.Fatal(err)
			}
			return cfg
		}
	}
	one, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk("1")()})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk("2")()})
	if err != nil {
		t.Fatal(err)
	}
	_, p1 := finalParams(t, one.Dir)
	_, p2 := finalParams(t, full.Dir)
	if string(p1) == string(p2) {
		t.Error("batch.shards = 2 trained the same parameters as one part: the parts did not draw their own noise")
	}
	interruptAndResume(t, src, m, mk("2"), 6, full)

	cfg := mk("3")()
	if _, err := Train(context.Background(), Options{Spec: src, Model: m, Config: cfg}); err == nil || !strings.Contains(err.Error(), "batch.shards") {
		t.Errorf("batch.shards = 3 with batches of 10 and 16: error %v, want one naming batch.shards", err)
	}
}

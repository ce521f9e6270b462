package train

import (
	"context"
	"testing"

	"ssdgm/runtime/config"
)

// TestTrainResumeBalance trains the tiny MNIST run with objective.balance,
// in one part and in two (batch.shards = 2): the term changes the trained
// parameters, the checkpoint holds the running class means (ten
// probabilities, no longer uniform), and a run interrupted mid-epoch and
// resumed ends with the same parameters, evaluation and step records
// (whose balance terms read the running means) as the uninterrupted run.
func TestTrainResumeBalance(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	for _, shards := range []string{"1", "2"} {
		t.Run("shards="+shards, func(t *testing.T) {
			out, other := t.TempDir(), t.TempDir()
			mk := func(balance string) func() *config.Config {
				return func() *config.Config {
					dir := out
					if balance == "0" {
						dir = other // interruptAndResume finds the resumed run by name in out
					}
					cfg := tinyConfig(t, dir)
					for k, v := range map[string]string{"batch.shards": shards, "objective.balance": balance} {
						if err := cfg.Set(k, v); err != nil {
							t.Fatal(err)
						}
					}
					return cfg
				}
			}
			plain, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk("0")()})
			if err != nil {
				t.Fatal(err)
			}
			full, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk("10")()})
			if err != nil {
				t.Fatal(err)
			}
			_, p0 := finalParams(t, plain.Dir)
			c, p1 := finalParams(t, full.Dir)
			if string(p0) == string(p1) {
				t.Error("objective.balance = 10 trained the same parameters as 0")
			}
			ref, err := parseFloats(c.Meta[metaBalance])
			if err != nil {
				t.Fatalf("checkpoint's %s %q: %v", metaBalance, c.Meta[metaBalance], err)
			}
			if len(ref) != 10 {
				t.Fatalf("checkpoint's running means %v, want 10 values", ref)
			}
			sum, moved := 0.0, false
			for _, q := range ref {
				sum += q
				moved = moved || q != 0.1
			}
			if !moved || sum < 1-1e-9 || sum > 1+1e-9 {
				t.Errorf("running means %v (sum %g): want a distribution that moved from uniform", ref, sum)
			}
			if _, ok := finalMeta(t, plain.Dir)[metaBalance]; ok {
				t.Errorf("a run without objective.balance saved %s", metaBalance)
			}
			interruptAndResume(t, src, m, mk("10"), 6, full)
		})
	}
}

// finalMeta returns the metadata of a run's latest checkpoint.
func finalMeta(t *testing.T, dir string) map[string]string {
	t.Helper()
	c, _ := finalParams(t, dir)
	return c.Meta
}

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

// TestTrainResumeFeatures trains one tiny run with dynamic binarisation,
// warm-up and exponential learning-rate decay, and gradient clipping by
// norm (one run for all, to keep the suite short), and checks that:
//   - interrupted mid-epoch and resumed, it ends with the same parameters,
//     evaluation and step records as the uninterrupted run;
//   - every step record holds the learning rate the schedule gives;
//   - every step record holds grad_norm, clipped (1 exactly when grad_norm
//     exceeds clip_norm) and clipped_frac, the running fraction over the
//     epoch, and the bound clips some steps and not others.
func TestTrainResumeFeatures(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	out := t.TempDir()
	const bound = 300.0
	mk := func() *config.Config {
		cfg := tinyConfig(t, out)
		for k, v := range map[string]string{
			"data.binarize":      "dynamic",
			"optimizer.schedule": "exponential", "optimizer.decay": "0.8", "optimizer.warmup_steps": "3",
			"optimizer.clip_norm": "300",
		} {
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
	interruptAndResume(t, src, m, mk, 6, full)

	cfg := mk()
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(full.Dir, runs.StepsFile))), "\n")
	if len(lines) != int(full.Steps) {
		t.Fatalf("%d step records, want %d", len(lines), full.Steps)
	}
	n, inEpoch, epoch, some0, some1 := 0, 0, 0, false, false
	for _, l := range lines {
		var rec struct {
			Step        int64    `json:"step"`
			Epoch       int      `json:"epoch"`
			LR          *float64 `json:"lr"`
			GradNorm    float64  `json:"grad_norm"`
			Clipped     *int     `json:"clipped"`
			ClippedFrac float64  `json:"clipped_frac"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if want := learningRate(cfg.Optimizer, cfg.Steps(300), rec.Step-1); rec.LR == nil || *rec.LR != want {
			t.Errorf("step %d: lr %v, want %v", rec.Step, rec.LR, want)
		}
		if rec.Clipped == nil || !(rec.GradNorm > 0) {
			t.Fatalf("step record %s lacks grad_norm or clipped", l)
		}
		if want := rec.GradNorm > bound; (*rec.Clipped == 1) != want {
			t.Errorf("step %d: grad_norm %v, clipped %d", rec.Step, rec.GradNorm, *rec.Clipped)
		}
		some0, some1 = some0 || *rec.Clipped == 0, some1 || *rec.Clipped == 1
		if rec.Epoch != epoch {
			epoch, n, inEpoch = rec.Epoch, 0, 0
		}
		n += *rec.Clipped
		inEpoch++
		if want := float64(n) / float64(inEpoch); rec.ClippedFrac != want {
			t.Errorf("step %d: clipped_frac %v, want %v", rec.Step, rec.ClippedFrac, want)
		}
	}
	if !some0 || !some1 {
		t.Errorf("clip_norm %v clipped every step or none (clipped steps seen: %v, unclipped: %v); choose a bound between the gradient norms", bound, some1, some0)
	}
}

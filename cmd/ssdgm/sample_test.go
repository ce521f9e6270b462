package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/lang/syntax"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/pictures"
)

// tinyRun makes a run folder of tiny_m2 (the spec and config of
// testdata/run_tiny) with one checkpoint of random weights at step 7.
func tinyRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"spec.ssdgm", "config.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata/run_tiny", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, _ := os.ReadFile(filepath.Join(dir, "spec.ssdgm"))
	f, err := syntax.Parse("spec.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Check(f)
	if err != nil {
		t.Fatal(err)
	}
	w, err := compiler.NewWeights(m, false, 9)
	if err != nil {
		t.Fatal(err)
	}
	c := &ckpt.Checkpoint{Step: 7, Epoch: 1}
	for _, p := range w.Params.List() {
		c.Params = append(c.Params, ckpt.Tensor{Name: p.Name, Shape: p.Shape, F32: p.F32()})
	}
	if err := os.MkdirAll(filepath.Join(dir, "checkpoints"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ckpt.Save(filepath.Join(dir, "checkpoints"), c); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSample draws prior and conditional samples from a checkpoint (kinds
// that need no dataset), with --set and --npy, and checks how
// --checkpoint picks a checkpoint.
func TestSample(t *testing.T) {
	run := tinyRun(t)
	out := t.TempDir()
	png := filepath.Join(out, "prior.png")
	stdout, stderr, code := ssdgm(t, "sample", run, "--set", "y=2", "--n", "3", "--npy", "-o", png, "--checkpoint", "last")
	if code != 0 || stdout != "wrote "+png+" (checkpoint step 7)\n" {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	shape, vals, err := pictures.ReadNPY(filepath.Join(out, "prior.npy"))
	if err != nil || !slices.Equal(shape, []int{3, 3, 1, 1, 6}) || len(vals) != 54 {
		t.Errorf("prior.npy: %v %d values, %v", shape, len(vals), err)
	}

	// best without metrics.csv falls back to the last checkpoint, and says so.
	png = filepath.Join(out, "cond.png")
	_, stderr, code = ssdgm(t, "sample", run, "--kind", "conditional", "-o", png)
	if code != 0 || !strings.Contains(stderr, "metrics.csv has no validation results; using the last checkpoint") {
		t.Errorf("conditional: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(png); err != nil {
		t.Error(err)
	}
	// best is a step whose checkpoint was not kept: the last one, with a note.
	csv := "epoch,step,loss,seconds,examples_per_s,elbo_val,err_val_y,err_test_y,elbo_test\n1,3,5,1,1,,0.2,,\n2,7,4,1,1,,0.3,,\n"
	if err := os.WriteFile(filepath.Join(run, "metrics.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ssdgm(t, "sample", run, "-o", png)
	if code != 0 || !strings.Contains(stderr, "the best epoch's checkpoint (step 3) is no longer kept; using the last") {
		t.Errorf("best: exit %d, %s", code, stderr)
	}
	_, stderr, code = ssdgm(t, "sample", run, "--checkpoint", "5", "-o", png)
	if code != 1 || !strings.Contains(stderr, "keeps no checkpoint of step 5 (it keeps steps 7)") {
		t.Errorf("--checkpoint 5: exit %d, %s", code, stderr)
	}
	// The learning curves need only metrics.csv.
	png = filepath.Join(out, "curves.png")
	if _, stderr, code = ssdgm(t, "sample", run, "--kind", "curves", "-o", png); code != 0 {
		t.Errorf("curves: exit %d, %s", code, stderr)
	}
}

// samplePictures checks the pictures training wrote into a tiny MNIST
// run, and draws every kind that needs test images from its checkpoint.
func samplePictures(t *testing.T, run string) {
	t.Helper()
	for _, name := range []string{"analogy_y.png", "conditional_y.png", "curves.png", "latent.png", "prior.png", "recon.png", "traverse.png"} {
		if _, err := os.Stat(filepath.Join(run, "pictures", name)); err != nil {
			t.Errorf("training wrote no %s: %v", name, err)
		}
	}
	out := t.TempDir()
	for _, kind := range []string{"recon", "analogy", "traverse", "latent"} {
		png := filepath.Join(out, kind+".png")
		stdout, stderr, code := ssdgm(t, "sample", run, "--kind", kind, "--n", "4", "--npy", "-o", png)
		if code != 0 || !strings.HasPrefix(stdout, "wrote "+png) {
			t.Errorf("sample --kind %s: exit %d\n%s%s", kind, code, stdout, stderr)
			continue
		}
		if _, err := os.Stat(filepath.Join(out, kind+".npy")); err != nil {
			t.Errorf("sample --kind %s --npy: %v", kind, err)
		}
	}
	_, stderr, code := ssdgm(t, "sample", run, "--kind", "sweep", "-o", filepath.Join(out, "sweep.png"))
	if code != 1 || !strings.Contains(stderr, "sweep pictures need a continuous supervised variable, and mnist has none") {
		t.Errorf("sweep of mnist: exit %d, %s", code, stderr)
	}
}

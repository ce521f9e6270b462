package train

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"ssdgm/runtime/atomicfile"
	"ssdgm/runtime/config"
	"ssdgm/runtime/runs"
)

// smallDisk mounts a tmpfs of the given size for the test, or skips when
// it cannot (mounting needs root; .ci/run runs as root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if b, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, b)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// fillDisk writes a file into dir until the disk is full, then gives back
// slack bytes, so that small appends (a step record) still fit but a
// checkpoint does not.
func fillDisk(t *testing.T, dir string, slack int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<16)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(max(size-slack, 0)); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFullDiskMidRun: a run whose disk fills in the middle of an epoch
// (after step 5 of 7; checkpoint.every_steps 3) stops when the checkpoint
// of step 6 cannot be written, with an error that says so, that the disk
// is full, which checkpoint the folder keeps (step 3's) and how to resume.
// Nothing half written is left (no temporary file, the newest checkpoint
// loads, meta.json says failed), and once there is space again `--resume`
// ends with the parameters, evaluation and step log of an uninterrupted run.
func TestFullDiskMidRun(t *testing.T) {
	needMNIST(t)
	disk := smallDisk(t, "64m")
	src, m := loadMNIST(t)
	mk := func(out string) *config.Config {
		cfg := tinyConfig(t, out)
		for k, v := range map[string]string{"steps_per_epoch": "7", "epochs": "2", "checkpoint.every_steps": "3"} {
			if err := cfg.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		return cfg
	}
	full, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}

	var dir, filler string
	fill := ObserverFunc(func(ev Event) {
		if ev.Kind == RunStart {
			dir = ev.Message
		}
		if ev.Kind == StepDone && ev.TotalStep == 5 && filler == "" {
			filler = fillDisk(t, disk, 256<<10)
		}
	})
	_, err = Train(context.Background(), Options{Spec: src, Model: m, Config: mk(disk), Observer: fill})
	var we *WriteError
	if !errors.As(err, &we) {
		t.Fatalf("the run on a full disk returned %v, want a *WriteError", err)
	}
	msg := err.Error()
	for _, want := range []string{"training stopped at step 6", "the checkpoint of step 6", "no space left on device", "(the disk is full)",
		"keeps its checkpoint of step 3", "ssdgm train --resume " + dir} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	ckdir := filepath.Join(dir, checkpointDir)
	entries, err := os.ReadDir(ckdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), atomicfile.TempSuffix) {
			t.Errorf("a temporary file is left in %s: %s", ckdir, e.Name())
		}
	}
	if c, _ := finalParams(t, dir); c.Step != 3 {
		t.Errorf("the newest checkpoint is step %d's, want 3", c.Step)
	}
	meta, err := os.ReadFile(filepath.Join(dir, runs.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(meta), `"failed"`) || !strings.Contains(string(meta), "no space left on device") {
		t.Errorf("%s does not record the failure:\n%s", runs.MetaFile, meta)
	}

	// Space again: the resumed run continues to the uninterrupted numbers.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	resumed, err := Train(context.Background(), Options{Spec: src, Model: m, Config: mk(disk), Resume: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, a := finalParams(t, full.Dir)
	_, b := finalParams(t, resumed.Dir)
	if string(a) != string(b) {
		t.Error("the resumed run ends with different parameters than the uninterrupted run")
	}
	for _, k := range resumedKeys {
		if full.Metrics[k] != resumed.Metrics[k] {
			t.Errorf("%s: uninterrupted %v, resumed %v", k, full.Metrics[k], resumed.Metrics[k])
		}
	}
	want, err := os.ReadFile(filepath.Join(full.Dir, runs.StepsFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, runs.StepsFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s of the resumed run differs from the uninterrupted run's", runs.StepsFile)
	}
}

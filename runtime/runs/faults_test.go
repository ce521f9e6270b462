package runs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"ssdgm/runtime/ckpt"
)

// TestUnwritableOut: an output folder that cannot be created or written
// is a clear error naming it, and nothing is left half made.
func TestUnwritableOut(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Create(filepath.Join(file, "runs"), "m", opts())
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("out folder under a file: err = %v", err)
	}
	if os.Geteuid() == 0 {
		return // root writes through permissions; the rest needs a user
	}
	ro := filepath.Join(base, "read-only")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	_, err = Create(ro, "m", opts())
	if err == nil || !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), ro) {
		t.Errorf("read-only out folder: err = %v", err)
	}
}

// helperEnv makes the test binary a helper process that creates one run
// in the folder it names and prints the run's folder.
const helperEnv = "SSDGM_RUNS_HELPER_OUT"

func TestHelperCreate(t *testing.T) {
	out := os.Getenv(helperEnv)
	if out == "" {
		t.Skip("helper process for TestCreateTwoProcesses")
	}
	r, err := Create(out, "same", opts())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	os.Stdout.WriteString("DIR " + r.Dir() + "\n")
}

// TestCreateTwoProcesses: processes creating a run of the same name at the
// same moment (as two `ssdgm train --name same` would) get distinct
// folders, each complete.
func TestCreateTwoProcesses(t *testing.T) {
	out := t.TempDir()
	const n = 4
	outs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCreate$", "-test.v")
			cmd.Env = append(os.Environ(), helperEnv+"="+out)
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("helper %d: %v\n%s", i, err, b)
			}
			outs[i] = string(b)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, o := range outs {
		var dir string
		for _, line := range strings.Split(o, "\n") {
			if d, ok := strings.CutPrefix(line, "DIR "); ok {
				dir = d
			}
		}
		if dir == "" {
			t.Fatalf("a helper printed no folder:\n%s", o)
		}
		if seen[dir] {
			t.Errorf("two processes got %s", dir)
		}
		seen[dir] = true
		for _, f := range []string{SpecFile, ConfigFile, MetaFile, MetricsFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: %v", dir, err)
			}
		}
	}
}

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

func checkpoint(step int64, n int) *ckpt.Checkpoint {
	p, m, v := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i] = float32(step) + float32(i)/float32(n)
	}
	t := func(x []float32) []ckpt.Tensor { return []ckpt.Tensor{{Name: "w", Shape: []int{n}, F32: x}} }
	return &ckpt.Checkpoint{Step: step, Epoch: step, AdamStep: step, Params: t(p), AdamM: t(m), AdamV: t(v),
		SpecHash: strings.Repeat("ab", 32), ConfigHash: strings.Repeat("cd", 32)}
}

// TestFullDisk: when the disk fills while a checkpoint or the metrics are
// written, the writer returns the error (no silent loss), the previous
// checkpoint stays readable and is what a resume loads, no temporary file
// is left, and once there is space again saving continues.
func TestFullDisk(t *testing.T) {
	disk := smallDisk(t, "1m")
	r, err := Create(disk, "m", opts())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ckdir := r.Path("checkpoints")
	if err := os.Mkdir(ckdir, 0o755); err != nil {
		t.Fatal(err)
	}
	const n = 20000 // 3 tensors of 80 kB: a checkpoint of about 240 kB
	if _, err := ckpt.Save(ckdir, checkpoint(1, n)); err != nil {
		t.Fatal(err)
	}
	// Fill what is left.
	filler, err := os.Create(filepath.Join(disk, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	filler.Close()
	if _, err := ckpt.Save(ckdir, checkpoint(2, n)); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("checkpoint on a full disk: err = %v, want no space left", err)
	}
	// A row may still fit in the file's last page; rows keep coming until
	// one does not, and that one's error must reach the caller.
	var merr error
	for i := 0; i < 10000 && merr == nil; i++ {
		merr = r.Metrics(map[string]any{"epoch": 2, "loss": 1.5, "acc_val": 0.5, "time": 3})
	}
	if merr == nil || !strings.Contains(merr.Error(), "no space left") {
		t.Errorf("metrics on a full disk: err = %v, want no space left", merr)
	}
	entries, _ := os.ReadDir(ckdir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	c, _, skipped, err := ckpt.LoadLatest(ckdir)
	if err != nil || c.Step != 1 || len(skipped) != 0 {
		t.Fatalf("after the failed save: step %v, skipped %v, err %v; want checkpoint 1 intact", c, skipped, err)
	}
	// Space again: the next save (a resumed run's) works.
	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	if _, err := ckpt.Save(ckdir, checkpoint(2, n)); err != nil {
		t.Fatalf("save after freeing space: %v", err)
	}
	if c, _, _, err := ckpt.LoadLatest(ckdir); err != nil || c.Step != 2 {
		t.Errorf("after freeing space: %v, %v", c, err)
	}
}

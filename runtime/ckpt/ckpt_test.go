package ckpt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ssdgm/runtime/atomicfile"
)

func sample(step int64) *Checkpoint {
	rng := rand.NewPCG(1, 2)
	rng.Uint64()
	state, _ := rng.MarshalBinary()
	c := &Checkpoint{
		Step: step, Epoch: 3, AdamStep: step,
		Positions:  map[string]Position{"labelled": {Epoch: 40, Offset: 20}, "unlabelled": {Epoch: 2, Offset: 1280}},
		RNG:        map[string][]byte{"train": state},
		SpecHash:   strings.Repeat("ab", 32),
		ConfigHash: strings.Repeat("cd", 32),
		Meta:       map[string]string{"note": "hello"},
	}
	shapes := map[string][]int{"enc.w": {3, 4}, "enc.b": {4}, "scalar": {}}
	for _, n := range []string{"enc.w", "enc.b", "scalar"} {
		k := 1
		for _, d := range shapes[n] {
			k *= d
		}
		p, m, v := make([]float32, k), make([]float32, k), make([]float32, k)
		for i := range p {
			p[i] = float32(i) + 0.5 + float32(step)
			m[i] = -float32(i) / 3
			v[i] = float32(math.Ldexp(1, -i))
		}
		c.Params = append(c.Params, Tensor{Name: n, Shape: shapes[n], F32: p})
		c.AdamM = append(c.AdamM, Tensor{Name: n, Shape: shapes[n], F32: m})
		c.AdamV = append(c.AdamV, Tensor{Name: n, Shape: shapes[n], F32: v})
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	c := sample(120)
	c.Params = append(c.Params, Tensor{Name: "f64", Shape: []int{2}, F64: []float64{math.Pi, -0}})
	c.AdamM = append(c.AdamM, Tensor{Name: "f64", Shape: []int{2}, F64: []float64{1, 2}})
	c.AdamV = append(c.AdamV, Tensor{Name: "f64", Shape: []int{2}, F64: []float64{3, 4}})
	b, err := Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(b); (8+n)%8 != 0 {
		t.Errorf("data not 8-byte aligned: header %d", n)
	}
	got, err := Decode("x", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, c)
	}
	var pcg rand.PCG
	if err := pcg.UnmarshalBinary(got.RNG["train"]); err != nil {
		t.Fatal(err)
	}
	want := rand.NewPCG(1, 2)
	want.Uint64()
	if pcg.Uint64() != want.Uint64() {
		t.Error("restored RNG differs")
	}
	// No optimizer state is fine too.
	c.AdamM, c.AdamV = nil, nil
	if b, err = Encode(c); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode("x", b); err != nil {
		t.Fatal(err)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Checkpoint)
		want string
	}{
		{"shape", func(c *Checkpoint) { c.Params[0].Shape = []int{5} }, `tensor "param/enc.w" has shape [5] but 12 values`},
		{"dup", func(c *Checkpoint) { c.Params[1].Name = "enc.w" }, `duplicate tensor "param/enc.w"`},
		{"noname", func(c *Checkpoint) { c.Params[0].Name = "" }, `has no name`},
		{"reserved", func(c *Checkpoint) { c.Meta["step"] = "1" }, `metadata key "step" is reserved`},
		{"adam", func(c *Checkpoint) { c.AdamV = c.AdamV[:1] }, `3 parameters but 3 first and 1 second moments`},
		{"adam-shape", func(c *Checkpoint) { c.AdamM[1].Name = "zz" }, `optimizer state "zz"`},
	}
	for _, tt := range tests {
		c := sample(1)
		tt.edit(c)
		if _, err := Encode(c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// rewriteHeader returns b with its JSON header edited by f.
func rewriteHeader(t *testing.T, b []byte, f func(h map[string]any)) []byte {
	n := binary.LittleEndian.Uint64(b)
	var h map[string]any
	if err := json.Unmarshal(b[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	f(h)
	nh, _ := json.Marshal(h)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(nh)))
	return append(append(out, nh...), b[8+n:]...)
}

func TestCorrupt(t *testing.T) {
	good, err := Encode(sample(7))
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(good)
	flip := append([]byte(nil), good...)
	flip[len(flip)-3] ^= 0x40
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "0 bytes, shorter than the 8-byte header length"},
		{"short", good[:5], "5 bytes"},
		{"huge-header", binary.LittleEndian.AppendUint64(nil, 1<<40), "header length 1099511627776 is implausible"},
		{"cut-header", good[:8+n/2], "only"},
		{"cut-data", good[:len(good)-10], "outside the"},
		{"extra-data", append(append([]byte(nil), good...), 1, 2, 3, 4), "tensors cover"},
		{"bitflip", flip, "data does not match its SHA-256"},
		{"not-json", append(binary.LittleEndian.AppendUint64(nil, 3), "abc"...), "not a JSON object"},
		{"no-meta", rewriteHeader(t, good, func(h map[string]any) { delete(h, "__metadata__") }), "no __metadata__"},
		{"format", rewriteHeader(t, good, func(h map[string]any) {
			h["__metadata__"].(map[string]any)["format"] = "other"
		}), `format is "other"`},
		{"dtype", rewriteHeader(t, good, func(h map[string]any) { h["param/enc.b"].(map[string]any)["dtype"] = "BF16" }), `unsupported dtype "BF16"`},
		{"shape", rewriteHeader(t, good, func(h map[string]any) { h["param/enc.b"].(map[string]any)["shape"] = []int{5} }), `shape [5] needs 20 bytes`},
		{"offsets", rewriteHeader(t, good, func(h map[string]any) {
			h["param/enc.b"].(map[string]any)["data_offsets"] = []int{0, 1 << 30}
		}), "outside the"},
		{"step", rewriteHeader(t, good, func(h map[string]any) { h["__metadata__"].(map[string]any)["step"] = "x" }), `step = "x" is not an integer`},
		{"stray", rewriteHeader(t, good, func(h map[string]any) {
			h["weird/x"] = h["param/scalar"]
			delete(h, "param/scalar")
		}), `unexpected tensor "weird/x"`},
	}
	for _, tt := range tests {
		_, err := Decode("runs/m/ckpt-x.safetensors", tt.b)
		var ce *CorruptError
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) ||
			!strings.Contains(err.Error(), "runs/m/ckpt-x.safetensors") {
			t.Errorf("%s: err = %v, want CorruptError naming the file with %q", tt.name, err, tt.want)
		}
	}
}

func TestSaveKeepsTwo(t *testing.T) {
	dir := t.TempDir()
	for _, step := range []int64{100, 200, 300, 50} {
		if _, err := Save(dir, sample(step)); err != nil {
			t.Fatal(err)
		}
	}
	paths, _ := List(dir)
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if want := []string{FileName(200), FileName(300)}; !reflect.DeepEqual(names, want) {
		t.Errorf("kept %v, want %v", names, want)
	}
	c, path, skipped, err := LoadLatest(dir)
	if err != nil || c.Step != 300 || len(skipped) != 0 || filepath.Base(path) != FileName(300) {
		t.Errorf("LoadLatest = step %v %s %v %v", c, path, skipped, err)
	}
	// Saving the same step again replaces it.
	if _, err := Save(dir, sample(300)); err != nil {
		t.Fatal(err)
	}
	if paths, _ := List(dir); len(paths) != 2 {
		t.Errorf("after re-save: %v", paths)
	}
}

// TestCrashMidWrite simulates a crash during Save: a partial temporary
// file is left behind; the previous checkpoint is still what loads, and
// the next Save cleans the temporary file up.
func TestCrashMidWrite(t *testing.T) {
	dir := t.TempDir()
	if _, err := Save(dir, sample(100)); err != nil {
		t.Fatal(err)
	}
	full, _ := Encode(sample(200))
	tmp := filepath.Join(dir, "."+FileName(200)+"-123456"+atomicfile.TempSuffix)
	if err := os.WriteFile(tmp, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, _, err := LoadLatest(dir)
	if err != nil || c.Step != 100 {
		t.Fatalf("after crash: %v, %v", c, err)
	}
	if _, err := Save(dir, sample(300)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Error("stale temporary file not removed")
	}
	// A damaged newest file (disk error) falls back to the previous one.
	newest := filepath.Join(dir, FileName(300))
	b, _ := os.ReadFile(newest)
	os.WriteFile(newest, b[:len(b)-1], 0o644)
	c, path, skipped, err := LoadLatest(dir)
	if err != nil || c.Step != 100 || len(skipped) != 1 || !strings.Contains(skipped[0].Error(), newest) {
		t.Errorf("fallback: step %v path %s skipped %v err %v", c, path, skipped, err)
	}
	os.WriteFile(filepath.Join(dir, FileName(100)), []byte("junk"), 0o644)
	if _, _, _, err := LoadLatest(dir); err == nil || !strings.Contains(err.Error(), FileName(100)) {
		t.Errorf("all damaged: %v", err)
	}
	if _, _, _, err := LoadLatest(t.TempDir()); !errors.Is(err, ErrNone) {
		t.Errorf("empty dir: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	for _, s := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	ents, _ := os.ReadDir(dir)
	if string(b) != "two" || len(ents) != 1 {
		t.Errorf("content %q, %d files", b, len(ents))
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no/such/x"), nil, 0o600); err == nil {
		t.Error("write into a missing folder succeeded")
	}
}

// pythonSnippet returns the Python reader from FORMAT.md.
func pythonSnippet(t *testing.T) string {
	b, err := os.ReadFile("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```python\n")
	code, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no python block in FORMAT.md")
	}
	if lines := strings.Count(strings.TrimSpace(code), "\n") + 1; lines > 14 {
		t.Errorf("Python reader has %d lines", lines)
	}
	return code
}

// TestPython runs the FORMAT.md reader on a checkpoint with
// /usr/bin/python3 when numpy is installed there. Under SSDGM_CI (set by
// .ci/run, which installs both) it fails instead of skipping.
func TestPython(t *testing.T) {
	code := pythonSnippet(t)
	const py = "/usr/bin/python3"
	skip := t.Skip
	if os.Getenv("SSDGM_CI") != "" {
		skip = func(args ...any) { t.Fatal(append(args, "(CI installs it: apt-get install python3-numpy)")...) }
	}
	if _, err := os.Stat(py); err != nil {
		skip("no " + py)
	}
	path, err := Save(t.TempDir(), sample(42))
	if err != nil {
		t.Fatal(err)
	}
	// Without numpy, at least the header layout is checked with json alone.
	hdr := `import json, sys
with open(sys.argv[1], "rb") as f:
    n = int.from_bytes(f.read(8), "little"); h = json.loads(f.read(n))
print(h["__metadata__"]["step"], sorted(k for k in h if k != "__metadata__")[0])
`
	out, err := exec.Command(py, "-c", hdr, path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "42 adam_m/enc.b" {
		t.Errorf("python json header check: %s %v", out, err)
	}
	if exec.Command(py, "-c", "import numpy").Run() != nil {
		skip("numpy is not installed for " + py)
	}
	driver := code + `
import sys
t, meta = read_checkpoint(sys.argv[1])
w = t["param/enc.w"]
print(w.shape, w.dtype, float(w[1, 2]), t["param/scalar"].shape, meta["step"], json.loads(meta["positions"])["labelled"]["offset"])
`
	out, err = exec.Command(py, "-c", driver, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "(3, 4) float32 48.5 () 42 20"; got != want {
		t.Errorf("python printed %q, want %q", got, want)
	}
}

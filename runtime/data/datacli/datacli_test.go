package datacli

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIdx writes a gzipped idx file.
func writeIdx(t *testing.T, path string, magic uint32, dims []int, payload []byte) {
	t.Helper()
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&raw, binary.BigEndian, uint32(d))
	}
	raw.Write(payload)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(raw.Bytes())
	zw.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fashionDir makes DATA/fashion-mnist with 12 training and 3 test images of
// 28×28, labelled i mod 10, and returns DATA.
func fashionData(t *testing.T) string {
	data := t.TempDir()
	dir := filepath.Join(data, "fashion-mnist")
	os.MkdirAll(dir, 0o755)
	for _, f := range []struct {
		prefix string
		n      int
	}{{"train", 12}, {"t10k", 3}} {
		pix := make([]byte, f.n*28*28)
		labs := make([]byte, f.n)
		for i := range labs {
			labs[i] = byte(i % 10)
			for j := 0; j < 28*28; j += 3 {
				pix[i*784+j] = byte(20 * i)
			}
		}
		writeIdx(t, filepath.Join(dir, f.prefix+"-images-idx3-ubyte.gz"), 2051, []int{f.n, 28, 28}, pix)
		writeIdx(t, filepath.Join(dir, f.prefix+"-labels-idx1-ubyte.gz"), 2049, []int{f.n}, labs)
	}
	return data
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := DataCommand(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDataCommandExitCodes(t *testing.T) {
	data := fashionData(t)
	png := filepath.Join(t.TempDir(), "g.png")
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 2, "", "usage: ssdgm data"},
		{[]string{"help"}, 0, "usage: ssdgm data", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"list", "extra"}, 2, "", "takes no arguments"},
		{[]string{"list", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"show"}, 2, "", "want one dataset name"},
		{[]string{"show", "a", "b"}, 2, "", "got 2 arguments"},
		{[]string{"show", "fashion-mnist", "-n", "0", "--data", data}, 2, "", "-n 0"},
		{[]string{"show", "fashion-mnist", "--yaleb-size", "64by56"}, 2, "", "--yaleb-size"},
		{[]string{"show", "fashion-mnist", "--mm-sizes", "1,2"}, 2, "", "--mm-sizes"},
		{[]string{"stats", "cifar10"}, 1, "", "unknown dataset"},
		{[]string{"show", "fashion-mnist", "--data", data, "--split", "dev", "-o", png}, 1, "", `--split "dev"`},
		{[]string{"show", "fashion-mnist", "--data", data, "--start", "99", "-o", png}, 1, "", "has 10 examples"},
		{[]string{"show", "svhn", "--data", data}, 1, "", "test_32x32.mat (md5 eb5a983be6a315427106f1b164d9cef3"},
		{[]string{"list", "--data", data}, 0, "svhn           not found", ""},
		{[]string{"stats", "fashion-mnist", "--data", data}, 0, "train: 10 examples", ""},
	}
	for _, tt := range tests {
		code, out, errs := run(tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
			t.Errorf("data %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tt.args, code, out, errs, tt.code, tt.stdout, tt.stderr)
		}
	}
}

func TestList(t *testing.T) {
	code, out, _ := run("list", "--data", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"mnist", "fashion-mnist", "yaleb", "svhn", "multimnist",
		"label digit: categorical over 10", "label lighting: continuous of dimension 3",
		"label digits: categorical over 10, 3 slots", "to get it:", "looked in:"} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
}

func TestShowAndStats(t *testing.T) {
	data := fashionData(t)
	out := filepath.Join(t.TempDir(), "fashion.png")
	code, stdout, stderr := run("show", "fashion-mnist", "-n", "5", "--scale", "1", "--data", data, "-o", out, "--start", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("stdout %q", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// 5 images: 2 rows of 3 cells of 28 px with 1 px lines.
	if cfg.Width != 3*28+4 || cfg.Height != 2*28+3 {
		t.Errorf("PNG %d×%d, want 88×59", cfg.Width, cfg.Height)
	}
	legend, err := os.ReadFile(strings.TrimSuffix(out, ".png") + ".labels.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(legend)), "\n")
	if len(lines) != 6 || lines[1] != "r0 c0 #1 item=trouser" || lines[5] != `r1 c1 #5 item=sandal` {
		t.Errorf("legend:\n%s", legend)
	}
	// A class name with a space is quoted.
	if code, _, stderr := run("show", "fashion-mnist", "-n", "1", "--data", data, "-o", out, "--start", "9"); code != 0 {
		t.Fatal(stderr)
	}
	legend, _ = os.ReadFile(strings.TrimSuffix(out, ".png") + ".labels.txt")
	if !strings.Contains(string(legend), `r0 c0 #9 item="ankle boot"`) {
		t.Errorf("legend:\n%s", legend)
	}
	// Without -o: a new temporary folder, named on the first line, never
	// the current folder.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	code, stdout, stderr = run("show", "fashion-mnist", "-n", "2", "--data", data)
	if code != 0 {
		t.Fatalf("show without -o: exit %d: %s", code, stderr)
	}
	first, _, _ := strings.Cut(stdout, "\n")
	pngs, _ := filepath.Glob(filepath.Join(tmp, "ssdgm-data-show-*", "fashion-mnist.png"))
	if len(pngs) != 1 || !strings.HasPrefix(first, "wrote "+pngs[0]+" ") {
		t.Errorf("show without -o: first line %q, PNGs in the temporary folder %v", first, pngs)
	}
	if _, err := os.Stat("fashion-mnist.png"); err == nil {
		t.Error("show without -o wrote into the current folder")
	}
	code, stdout, _ = run("stats", "fashion-mnist", "--data", data)
	for _, want := range []string{"train: 10 examples", "val: 2 examples", "test: 3 examples",
		"item (categorical over 10): 10 of 10 examples labelled", "T-shirt/top:1 trouser:1"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("stats lacks %q:\n%s", want, stdout)
		}
	}
}

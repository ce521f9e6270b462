package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGraphRender renders a spec with -T svg and -T png when Graphviz is
// installed, and checks that without dot on the PATH the error names the
// package to install.
func TestGraphRender(t *testing.T) {
	cmd := exec.Command(binary, "graph", "-T", "svg", "specs/mnist.ssdgm")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "PATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Graphviz's `dot` program, which is not installed (Debian/Ubuntu: apt-get install graphviz") {
		t.Errorf("without dot: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not installed (apt-get install graphviz): checked only the error")
	}
	svg, errOut, code := ssdgm(t, "graph", "-T", "svg", "specs/mnist.ssdgm")
	if code != 0 || !strings.Contains(svg, "<svg") || !strings.Contains(svg, "encoder q") {
		t.Errorf("-T svg: exit %d %s\n%.300s", code, errOut, svg)
	}
	png := filepath.Join(t.TempDir(), "m.png")
	if _, errOut, code := ssdgm(t, "graph", "-T", "png", "-o", png, "specs/mnist.ssdgm"); code != 0 {
		t.Fatalf("-T png: exit %d %s", code, errOut)
	}
	if b, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("-T png wrote %v %.20q", err, b)
	}
	if _, errOut, code := ssdgm(t, "graph", "-T", "pdf", "specs/mnist.ssdgm"); code != 2 || !strings.Contains(errOut, "-T pdf: want one of svg, png") {
		t.Errorf("-T pdf: exit %d %s", code, errOut)
	}
}

package dot

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"ssdgm/lang/check"
)

func model(t *testing.T, path string) *check.Model {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source(path, src)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPicture checks the marks a reader relies on: observed data shaded,
// supervised variables double-circled, deterministic values as dashed
// boxes, repeats as plates with their count, prev edges dashed.
func TestPicture(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, model(t, "../../specs/multimnist.ssdgm")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`encoder_x [label="x\n[1, 50, 50]", shape=ellipse, style=filled, fillcolor=gray80];`,
		`decoder_x [label="x\n[1, 50, 50]\nBernoulli", shape=ellipse, style=filled, fillcolor=gray80];`,
		`shape=doublecircle`, `supervised: count`,
		`encoder_hx [label="hx\n[256]", shape=box, style=dashed];`,
		`label="repeat k (at most 3)"`,
		`encoder_h -> encoder_h [style=dashed, label="prev"];`,
		`encoder_x -> encoder_hx;`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("DOT lacks %s", want)
		}
	}
	if strings.Count(out, "{") != strings.Count(out, "}") {
		t.Error("unbalanced braces")
	}
}

// TestRender renders a shipped spec through Graphviz when it is installed
// and checks the picture's kind; without dot it checks the error names
// the package to install.
func TestRender(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, model(t, "../../specs/mnist.ssdgm")); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		_, err := Render([]byte(b.String()), "svg")
		if err != ErrNoDot || !strings.Contains(err.Error(), "apt-get install graphviz") {
			t.Errorf("without dot: %v", err)
		}
		t.Skip("Graphviz's dot is not installed (apt-get install graphviz); checked only the error")
	}
	svg, err := Render([]byte(b.String()), "svg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), ">digit<") && !strings.Contains(string(svg), ">y<") {
		t.Errorf("not an SVG of the model: %.300s", svg)
	}
	png, err := Render([]byte(b.String()), "png")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("not a PNG: %.20q", png)
	}
	if _, err := Render([]byte("digraph { a -> }"), "svg"); err == nil || !strings.Contains(err.Error(), "dot -Tsvg") {
		t.Errorf("bad DOT: %v", err)
	}
	if _, err := Render(nil, "pdf"); err == nil {
		t.Error("pdf: no error")
	}
}

// TestParams: each param is drawn once, outside both blocks, with an edge
// into every node that reads it (and none into nodes that do not).
func TestParams(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, model(t, "../../testdata/specs/good/tiny_param.ssdgm")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`param_pixel_bias [label="pixel_bias\nreal[6]", shape=diamond, style=filled, fillcolor=khaki];`,
		`param_z_log_scale [label="z_log_scale\nreal[1]", shape=diamond, style=filled, fillcolor=khaki];`,
		`param_z_log_scale -> encoder_z [style=dashed, arrowhead=empty];`,
		`param_pixel_bias -> decoder_x [style=dashed, arrowhead=empty];`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "param_pixel_bias ->") + strings.Count(out, "param_z_log_scale ->"); n != 2 {
		t.Errorf("want 2 param edges, got %d:\n%s", n, out)
	}
}

package dot

import (
	"os"
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

package train

import (
	"os"
	"path/filepath"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
)

// TestShippedConfigs loads every run config in specs/: they must be valid.
func TestShippedConfigs(t *testing.T) {
	files, err := filepath.Glob("../../specs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no run configs in specs/: %v", err)
	}
	for _, f := range files {
		if _, err := config.Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestEvalBatch: models that enumerate many values evaluate smaller
// batches; relaxed variables do not count.
func TestEvalBatch(t *testing.T) {
	cases := []struct {
		spec  string
		relax bool
		want  int
	}{
		{"mnist", false, 250},
		{"mnist", true, 250},
		{"faces", false, 65},
	}
	for _, c := range cases {
		src, err := os.ReadFile("../../specs/" + c.spec + ".ssdgm")
		if err != nil {
			t.Fatal(err)
		}
		m, err := check.Source(c.spec, src)
		if err != nil {
			t.Fatal(err)
		}
		opts := compiler.Options{Samples: 1, Default: compiler.Discrete{Relax: c.relax}}
		if got := evalBatchFor(m, opts); got != c.want {
			t.Errorf("%s (relax %v): batch %d, want %d", c.spec, c.relax, got, c.want)
		}
	}
}

package compiler

import (
	"path/filepath"
	"testing"

	"ssdgm/lang/check"
)

// TestParamCountMatchesChecker: the checker's parameter count, which its
// resource limits use before anything is allocated, equals what the
// networks allocate, for every shipped and test spec.
func TestParamCountMatchesChecker(t *testing.T) {
	var files []string
	for _, pat := range []string{"../specs/*.ssdgm", "../testdata/specs/good/*.ssdgm"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no specs")
	}
	for _, path := range files {
		m := loadSpec(t, path)
		w, err := NewWeights(m, false, 1)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		counts := w.NetParams()
		for i, n := range m.Nets {
			if got, want := check.NetParamCount(n), int64(counts[i].Count); got != want {
				t.Errorf("%s: network %s (%s): checker counts %d parameters, the compiler allocates %d", filepath.Base(path), n.Name, n.Kind, got, want)
			}
		}
	}
}

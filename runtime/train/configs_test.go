package train

import (
	"path/filepath"
	"testing"

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

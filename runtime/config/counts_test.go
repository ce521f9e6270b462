package config

import (
	"strings"
	"testing"
)

// TestLabelledCounts: labelled.counts parses from files and --set, prints
// back, and gives M for the α rule as the expected size of the union.
func TestLabelledCounts(t *testing.T) {
	c, err := Parse("c.yaml", []byte("labelled:\n  counts: {identity: 848, lighting: 424}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Labelled.Counts["identity"] != 848 || c.Labelled.Counts["lighting"] != 424 {
		t.Fatalf("counts %v", c.Labelled.Counts)
	}
	back, err := Parse("m.yaml", c.Marshal())
	if err != nil || back.Labelled.Counts["lighting"] != 424 || len(back.Labelled.Counts) != 2 {
		t.Fatalf("round trip: %v %v", back, err)
	}
	// 1696 examples, half carry identity, a quarter lighting, independently:
	// 1 − (1/2)(3/4) = 5/8 carry at least one.
	if got := c.LabelledM(1696); got != 1060 {
		t.Errorf("LabelledM = %d, want 1060", got)
	}
	if got := Default().LabelledM(1696); got != 100 {
		t.Errorf("default LabelledM = %d, want labelled.count = 100", got)
	}
	d := Default()
	if err := d.Set("labelled.counts.count", "5000"); err != nil || d.Labelled.Counts["count"] != 5000 {
		t.Errorf("Set: %v %v", err, d.Labelled.Counts)
	}
	for _, tt := range []struct{ key, value, err string }{
		{"labelled.counts.identity", "-1", "labelled.counts.identity: must be >= 0, got -1"},
		{"labelled.counts.identity", "many", `labelled.counts.identity: expected an integer, got string "many"`},
		{"labelled.counts", "7", "labelled.counts: expected a mapping from label names to counts, got integer 7"},
	} {
		if err := Default().Set(tt.key, tt.value); err == nil || err.Error() != tt.err {
			t.Errorf("Set(%s, %s) = %v, want %s", tt.key, tt.value, err, tt.err)
		}
	}
	_, err = Parse("bad.yaml", []byte("labelled:\n  counts: {identity: 1.5}\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2:22: labelled.counts.identity: expected an integer") {
		t.Errorf("bad count: %v", err)
	}
}

// TestCountsKeepHash: a config without labelled.counts hashes as before
// the key existed, so older runs still resume; with counts it differs.
func TestCountsKeepHash(t *testing.T) {
	c := Default()
	if !strings.Contains(string(c.Marshal()), "counts: {}") {
		t.Errorf("labelled.counts missing from the canonical form:\n%s", c.Marshal())
	}
	h := c.Hash()
	c.Labelled.Counts = map[string]int{"identity": 3}
	if c.Hash() == h {
		t.Error("labelled.counts does not change the hash")
	}
	c.Labelled.Counts = map[string]int{}
	if c.Hash() != h {
		t.Error("an empty labelled.counts changes the hash")
	}
}

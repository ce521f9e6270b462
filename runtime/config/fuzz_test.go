package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that whatever it
// accepts round-trips through Marshal.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("<<: {epochs: 3}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse("fuzz", src)
		if err != nil {
			return
		}
		back, err := Parse("again", c.Marshal())
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("accepted config does not round-trip: %v\n%s", err, c.Marshal())
		}
	})
}

func TestValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Batch.Labelled = 0
	c.Discrete.Vars["y"] = "sample"
	err := c.Validate()
	want := "discrete.vars.y: must be enumerate or relax; got \"sample\"\nbatch.labelled: must be >= 1, got 0"
	if err == nil || err.Error() != want {
		t.Errorf("Validate = %v\nwant %s", err, want)
	}
}

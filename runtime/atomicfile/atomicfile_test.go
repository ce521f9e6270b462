package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	for _, s := range []string{"one", "two"} {
		if err := Write(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	ents, _ := os.ReadDir(dir)
	if string(b) != "two" || len(ents) != 1 {
		t.Errorf("content %q, %d files", b, len(ents))
	}
	if info, _ := os.Stat(p); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if got := ModeOf(p, 0o644); got != 0o600 {
		t.Errorf("ModeOf = %v, want 0600", got)
	}
	if got := ModeOf(filepath.Join(dir, "none"), 0o644); got != 0o644 {
		t.Errorf("ModeOf of a missing file = %v, want the default", got)
	}
	if err := Write(filepath.Join(dir, "no/such/x"), nil, 0o600); err == nil {
		t.Error("write into a missing folder succeeded")
	}
}

// TestWriteFuncFailure: a failing writer leaves the old file whole and no
// temporary file behind.
func TestWriteFuncFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	if err := Write(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFunc(p, 0o644, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	b, _ := os.ReadFile(p)
	ents, _ := os.ReadDir(dir)
	if string(b) != "old" || len(ents) != 1 {
		t.Errorf("content %q, %d files", b, len(ents))
	}
}

func TestIsTemp(t *testing.T) {
	for _, c := range []struct {
		name, prefix string
		want         bool
	}{
		{".ckpt-000000001.safetensors-123.tmp", "ckpt-", true},
		{".ckpt-1.tmp", ".ckpt-", true},
		{"ckpt-000000001.safetensors", "ckpt-", false},
		{".meta.json-1.tmp", "ckpt-", false},
	} {
		if got := IsTemp(c.name, c.prefix); got != c.want {
			t.Errorf("IsTemp(%q, %q) = %v", c.name, c.prefix, got)
		}
	}
}

package runs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestExtend rewrites a run's config and hash, records the change, lets
// Open accept the new hash, finishes an extension stopped between its two
// writes without recording it twice, and refuses foreign hashes.
func TestExtend(t *testing.T) {
	out := t.TempDir()
	o := opts()
	r, err := Create(out, "mnist", o)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	dir := r.Dir()
	spec, old := Hash(o.Spec), Hash(o.Config)
	cfg := []byte("seed: 1\nepochs: 5\n")
	hash := Hash(cfg)

	var mismatch *HashMismatchError
	if err := Extend(dir, "other", old, cfg, hash, 3, 5); !errors.As(err, &mismatch) || mismatch.What != "spec" {
		t.Errorf("another spec: got %v, want a spec mismatch", err)
	}
	if err := Extend(dir, spec, "other", cfg, hash, 3, 5); !errors.As(err, &mismatch) || mismatch.What != "config" {
		t.Errorf("another config: got %v, want a config mismatch", err)
	}
	if _, err := Open(dir, spec, hash); err == nil {
		t.Error("Open accepted the new hash before Extend")
	}
	if err := Extend(dir, spec, old, cfg, hash, 3, 5); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, ConfigFile)); got != string(cfg) {
		t.Errorf("config.yaml = %q, want %q", got, cfg)
	}
	meta := func() Meta {
		var m Meta
		if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, MetaFile))), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := meta()
	if m.ConfigHash != hash || len(m.Extensions) != 1 || m.Extensions[0].From != 3 || m.Extensions[0].To != 5 || m.Extensions[0].FromHash != old {
		t.Errorf("meta after Extend: hash %s, extensions %+v", m.ConfigHash, m.Extensions)
	}
	if hs := m.ConfigHashes(); len(hs) != 2 || hs[0] != hash || hs[1] != old {
		t.Errorf("ConfigHashes = %v, want [new old]", hs)
	}
	// Stopped between the writes: meta.json has the new hash, config.yaml
	// the old text. Extending again writes the config, records nothing.
	if err := writeRaw(dir, ConfigFile, o.Config); err != nil {
		t.Fatal(err)
	}
	if err := Extend(dir, spec, old, cfg, hash, 3, 5); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, ConfigFile)); got != string(cfg) {
		t.Errorf("config.yaml after the repeated Extend = %q", got)
	}
	if n := len(meta().Extensions); n != 1 {
		t.Errorf("the repeated Extend recorded %d extensions, want 1", n)
	}
	r2, err := Open(dir, spec, hash)
	if err != nil {
		t.Fatal(err)
	}
	if len(r2.Meta().Extensions) != 1 {
		t.Errorf("the reopened run's meta has %d extensions", len(r2.Meta().Extensions))
	}
	r2.Close()
	if err := Extend(filepath.Join(out, "none"), spec, old, cfg, hash, 3, 5); err == nil {
		t.Error("Extend of a folder that is not a run succeeded")
	}
}

func writeRaw(dir, name string, b []byte) error {
	return os.WriteFile(filepath.Join(dir, name), b, 0o644)
}

// TestOpenCountsPause: reopening a run that had ended adds the time since
// its end to paused_seconds; a run without an end adds nothing.
func TestOpenCountsPause(t *testing.T) {
	o := opts()
	r, err := Create(t.TempDir(), "mnist", o)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(StatusDone, ""); err != nil {
		t.Fatal(err)
	}
	end := time.Now().UTC().Add(-time.Hour)
	m := r.Meta()
	m.End = &end
	if err := (&Run{dir: r.Dir(), meta: m}).writeMeta(); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(r.Dir(), Hash(o.Spec), Hash(o.Config))
	if err != nil {
		t.Fatal(err)
	}
	if p := r2.Meta().PausedSeconds; p < 3599 || p > 3700 {
		t.Errorf("paused_seconds = %v after a pause of an hour", p)
	}
	r2.Close() // killed: no end
	r3, err := Open(r.Dir(), Hash(o.Spec), Hash(o.Config))
	if err != nil {
		t.Fatal(err)
	}
	if p, q := r2.Meta().PausedSeconds, r3.Meta().PausedSeconds; p != q {
		t.Errorf("reopening a run without an end changed paused_seconds from %v to %v", p, q)
	}
	r3.Close()
}

package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"ssdgm/runtime/atomicfile"
)

// Extension records one change of a run's epoch count by Extend.
type Extension struct {
	At   time.Time `json:"at"`
	From int       `json:"from_epochs"`
	To   int       `json:"to_epochs"`
	// FromHash is the config hash before the change, which the run's
	// earlier checkpoints carry.
	FromHash string `json:"from_config_hash"`
}

// ConfigHashes returns every config hash the run has had: the current one
// first, then those before each extension.
func (m Meta) ConfigHashes() []string {
	out := []string{m.ConfigHash}
	for i := len(m.Extensions) - 1; i >= 0; i-- {
		out = append(out, m.Extensions[i].FromHash)
	}
	return out
}

// Extend prepares the run folder dir, before Open, to train more epochs
// than it was started with: it replaces config.yaml with config (the run's
// resolved config with only its epoch count changed, from → to) and the
// config hash in meta.json with newHash, and records the change in
// meta.json's extensions. It refuses, with a *HashMismatchError, a run
// whose spec hash is not specHash or whose config hash is neither oldHash
// nor newHash. meta.json is written first: when an earlier Extend stopped
// between the two writes, the run already has newHash and Extend only
// writes config.yaml.
func Extend(dir, specHash, oldHash string, config []byte, newHash string, from, to int) error {
	m, err := readMeta(dir)
	if err != nil {
		return err
	}
	if m.SpecHash != specHash {
		return &HashMismatchError{Dir: dir, What: "spec", Run: m.SpecHash, Now: specHash, FileInRun: filepath.Join(dir, SpecFile)}
	}
	switch m.ConfigHash {
	case newHash:
	case oldHash:
		m.ConfigHash = newHash
		m.Extensions = append(m.Extensions, Extension{At: time.Now().UTC(), From: from, To: to, FromHash: oldHash})
		r := &Run{dir: dir, meta: m}
		if err := r.writeMeta(); err != nil {
			return err
		}
	default:
		return &HashMismatchError{Dir: dir, What: "config", Run: m.ConfigHash, Now: oldHash, FileInRun: filepath.Join(dir, ConfigFile)}
	}
	if err := atomicfile.Write(filepath.Join(dir, ConfigFile), config, 0o644); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	return nil
}

// readMeta reads and decodes the meta.json of the run folder dir.
func readMeta(dir string) (Meta, error) {
	var m Meta
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, fmt.Errorf("runs: %s is not a run folder (no %s)", dir, MetaFile)
		}
		return m, fmt.Errorf("runs: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("runs: %s: %v", filepath.Join(dir, MetaFile), err)
	}
	return m, nil
}

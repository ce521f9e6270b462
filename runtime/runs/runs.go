// Package runs manages run folders: created under new names that never
// overwrite an earlier run, holding the spec and config a run used, its
// metadata, metrics and log, and reopened for resuming only with the same
// spec and config.
//
// A run folder OUT/NAME (or NAME_1, NAME_2, ... when taken) holds:
//
//	spec.ssdgm    the spec the run trains
//	config.yaml   the resolved run config
//	meta.json     tool and Go versions, seed, spec and config hashes, start,
//	              end, status, resume times and pauses, epoch-count
//	              extensions
//	metrics.csv   one row per epoch; the header is fixed at creation
//	steps.jsonl   one JSON object per training step
//	train.log     the human-readable log
//
// Files whose content is replaced (meta.json, and the others on Rewind) are
// written atomically; the logs are appended and flushed per record.
package runs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"ssdgm/runtime/atomicfile"
)

// File names inside a run folder.
const (
	SpecFile    = "spec.ssdgm"
	ConfigFile  = "config.yaml"
	MetaFile    = "meta.json"
	MetricsFile = "metrics.csv"
	StepsFile   = "steps.jsonl"
	LogFile     = "train.log"
)

// Run statuses.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	StatusStopped = "stopped" // interrupted cleanly (Ctrl-C); resumable
	StatusFailed  = "failed"
)

// Meta is the content of meta.json.
type Meta struct {
	Tool       string      `json:"tool_version"`
	GoVersion  string      `json:"go_version"`
	Seed       int64       `json:"seed"`
	SpecHash   string      `json:"spec_hash"`
	ConfigHash string      `json:"config_hash"`
	Command    []string    `json:"command,omitempty"`
	Start      time.Time   `json:"start"`
	End        *time.Time  `json:"end,omitempty"`
	Status     string      `json:"status"`
	Message    string      `json:"message,omitempty"`
	Resumes    []time.Time `json:"resumes,omitempty"`
	Extensions []Extension `json:"extensions,omitempty"` // epoch counts changed by Extend
	// PausedSeconds sums the time between an end (done, stopped, failed)
	// and the next resume: start to end less this is the time a process
	// had the run open. A process killed without an end leaves its pause
	// uncounted.
	PausedSeconds float64 `json:"paused_seconds,omitempty"`
}

// Options is what Create writes into a new run folder.
type Options struct {
	Spec    []byte   // the spec source, copied to spec.ssdgm
	Config  []byte   // the resolved config (config.Marshal), written to config.yaml
	Meta    Meta     // hashes default to the SHA-256 of Spec and Config; Start, Status, GoVersion are filled in
	Columns []string // metrics.csv columns, e.g. epoch, loss, acc_val
}

// Run is an open run folder. Its methods are safe for concurrent use.
type Run struct {
	dir     string
	mu      sync.Mutex
	meta    Meta
	columns []string
	metrics *os.File
	steps   *os.File
	log     *os.File
}

// Hash returns the hex SHA-256 of b, the form of the spec and config
// hashes.
func Hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// maxSuffix bounds the search for a free run name.
const maxSuffix = 100000

// Create makes a new run folder outDir/name, or name_1, name_2, ... if
// that exists (os.Mkdir decides, so two processes never get the same
// folder), and writes its files.
func Create(outDir, name string, opt Options) (*Run, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := checkColumns(opt.Columns); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	var dir string
	for i := 0; ; i++ {
		if i == maxSuffix {
			return nil, fmt.Errorf("runs: no free name for %q in %s", name, outDir)
		}
		dir = filepath.Join(outDir, name)
		if i > 0 {
			dir = filepath.Join(outDir, fmt.Sprintf("%s_%d", name, i))
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("runs: %w", err)
		}
	}
	m := opt.Meta
	if m.SpecHash == "" {
		m.SpecHash = Hash(opt.Spec)
	}
	if m.ConfigHash == "" {
		m.ConfigHash = Hash(opt.Config)
	}
	if m.GoVersion == "" {
		m.GoVersion = runtime.Version()
	}
	if m.Start.IsZero() {
		m.Start = time.Now().UTC()
	}
	m.Status = StatusRunning
	r := &Run{dir: dir, meta: m, columns: append([]string(nil), opt.Columns...)}
	files := []struct {
		name string
		data []byte
	}{
		{SpecFile, opt.Spec},
		{ConfigFile, opt.Config},
		{MetricsFile, []byte(csvLine(opt.Columns))},
		{StepsFile, nil},
		{LogFile, nil},
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return nil, fmt.Errorf("runs: %w", err)
		}
	}
	if err := r.writeMeta(); err != nil {
		return nil, err
	}
	if err := r.openLogs(); err != nil {
		return nil, err
	}
	return r, nil
}

func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("runs: empty run name")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, "."):
		return fmt.Errorf("runs: run name %q must be a plain folder name", name)
	}
	return nil
}

func checkColumns(cols []string) error {
	seen := map[string]bool{}
	for _, c := range cols {
		if c == "" || strings.ContainsAny(c, ",\"\n\r") {
			return fmt.Errorf("runs: bad metrics column name %q", c)
		}
		if seen[c] {
			return fmt.Errorf("runs: duplicate metrics column %q", c)
		}
		seen[c] = true
	}
	return nil
}

// HashMismatchError says that a run cannot be resumed because the spec or
// the config differs from the one it was started with.
type HashMismatchError struct {
	Dir       string
	What      string // "spec" or "config"
	Run, Now  string // the hashes
	FileInRun string // the run's copy, to compare with
}

// Error names the run, which hash differs, and both values.
func (e *HashMismatchError) Error() string {
	return fmt.Sprintf("cannot resume %s: the %s differs from the one the run was started with (%s hash %s in the run, %s now); compare with %s, or start a new run",
		e.Dir, e.What, e.What, short(e.Run), short(e.Now), e.FileInRun)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Open reopens the run folder dir for resuming. It refuses, with a
// *HashMismatchError, when specHash or configHash differs from the run's,
// and marks the run running again.
func Open(dir, specHash, configHash string) (*Run, error) {
	m, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	if m.SpecHash != specHash {
		return nil, &HashMismatchError{Dir: dir, What: "spec", Run: m.SpecHash, Now: specHash, FileInRun: filepath.Join(dir, SpecFile)}
	}
	if m.ConfigHash != configHash {
		return nil, &HashMismatchError{Dir: dir, What: "config", Run: m.ConfigHash, Now: configHash, FileInRun: filepath.Join(dir, ConfigFile)}
	}
	cols, err := readHeader(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, err
	}
	r := &Run{dir: dir, meta: m, columns: cols}
	now := time.Now().UTC()
	if m.End != nil && now.After(*m.End) {
		r.meta.PausedSeconds += now.Sub(*m.End).Seconds()
	}
	r.meta.Status = StatusRunning
	r.meta.End = nil
	r.meta.Message = ""
	r.meta.Resumes = append(r.meta.Resumes, now)
	if err := r.writeMeta(); err != nil {
		return nil, err
	}
	if err := r.openLogs(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Run) openLogs() error {
	var err error
	open := func(name string) *os.File {
		if err != nil {
			return nil
		}
		var f *os.File
		f, err = os.OpenFile(filepath.Join(r.dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		return f
	}
	r.metrics, r.steps, r.log = open(MetricsFile), open(StepsFile), open(LogFile)
	if err != nil {
		r.closeFiles()
		return fmt.Errorf("runs: %w", err)
	}
	return nil
}

func (r *Run) writeMeta() error {
	b, err := json.MarshalIndent(r.meta, "", "  ")
	if err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(r.dir, MetaFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	return nil
}

// Dir returns the run folder.
func (r *Run) Dir() string { return r.dir }

// Path returns the path of a file in the run folder.
func (r *Run) Path(name string) string { return filepath.Join(r.dir, name) }

// Meta returns a copy of the run's metadata.
func (r *Run) Meta() Meta {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.meta
	m.Resumes = append([]time.Time(nil), m.Resumes...)
	m.Command = append([]string(nil), m.Command...)
	m.Extensions = append([]Extension(nil), m.Extensions...)
	return m
}

// Columns returns the metrics columns.
func (r *Run) Columns() []string { return append([]string(nil), r.columns...) }

// WriteFile writes a file in the run folder atomically (pictures,
// reports).
func (r *Run) WriteFile(name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	return atomicfile.Write(r.Path(name), data, 0o644)
}

// Finish records the end time, status (StatusDone, StatusStopped or
// StatusFailed) and an optional message in meta.json, syncs the logs and
// closes the run.
func (r *Run) Finish(status, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now().UTC()
	r.meta.End, r.meta.Status, r.meta.Message = &now, status, message
	err := r.writeMeta()
	if cerr := r.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

// Close syncs and closes the logs without changing meta.json.
func (r *Run) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closeFiles()
}

func (r *Run) closeFiles() error {
	var errs []error
	for _, f := range []**os.File{&r.metrics, &r.steps, &r.log} {
		if *f == nil {
			continue
		}
		errs = append(errs, (*f).Sync(), (*f).Close())
		*f = nil
	}
	return errors.Join(errs...)
}

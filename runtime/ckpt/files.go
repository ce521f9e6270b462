package ckpt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"ssdgm/runtime/atomicfile"
)

// Keep is how many checkpoint files Save keeps in a folder: the newest and
// the one before it.
const Keep = 2

const (
	filePrefix = "ckpt-"
	fileSuffix = ".safetensors"
)

// FileName returns the name of the checkpoint of the given step:
// ckpt-000000123.safetensors.
func FileName(step int64) string {
	return fmt.Sprintf("%s%09d%s", filePrefix, step, fileSuffix)
}

// Save writes c atomically into dir as FileName(c.Step) and then removes
// all but the Keep newest checkpoints and any temporary files left by an
// interrupted Save. It returns the path written.
//
// The data go to a temporary file in dir, which is synced, closed and
// renamed over the final name; then dir itself is synced. A crash at any
// point leaves every earlier checkpoint intact.
func Save(dir string, c *Checkpoint) (string, error) {
	b, err := Encode(c)
	if err != nil {
		return "", err
	}
	removeTemps(dir)
	path := filepath.Join(dir, FileName(c.Step))
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return "", fmt.Errorf("ckpt: writing %s: %w", path, err)
	}
	paths, err := List(dir)
	if err != nil {
		return path, err
	}
	for i := 0; i+Keep < len(paths); i++ {
		if err := os.Remove(paths[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return path, fmt.Errorf("ckpt: removing old checkpoint: %w", err)
		}
	}
	return path, nil
}

// WriteFileAtomic is atomicfile.Write, kept for callers of this package.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}

// removeTemps deletes temporary checkpoint files left by a crash.
func removeTemps(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		if atomicfile.IsTemp(n, filePrefix) {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// stepOf parses the step from a checkpoint file name.
func stepOf(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, filePrefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, fileSuffix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// List returns the checkpoint files in dir, oldest (lowest step) first.
func List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type f struct {
		step int64
		path string
	}
	var fs []f
	for _, e := range ents {
		if s, ok := stepOf(e.Name()); ok && e.Type().IsRegular() {
			fs = append(fs, f{s, filepath.Join(dir, e.Name())})
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].step < fs[j].step })
	out := make([]string, len(fs))
	for i, x := range fs {
		out[i] = x.path
	}
	return out, nil
}

// ErrNone is returned by LoadLatest when a folder holds no checkpoint.
var ErrNone = errors.New("no checkpoint")

// LoadLatest reads the newest valid checkpoint in dir. A newer file that
// fails to read (damaged on disk) is skipped and reported in skipped; err
// is set only when no checkpoint can be read (ErrNone when there is none).
func LoadLatest(dir string) (c *Checkpoint, path string, skipped []error, err error) {
	paths, err := List(dir)
	if err != nil {
		return nil, "", nil, err
	}
	for i := len(paths) - 1; i >= 0; i-- {
		c, err := Read(paths[i])
		if err == nil {
			return c, paths[i], skipped, nil
		}
		skipped = append(skipped, err)
	}
	if len(skipped) > 0 {
		return nil, "", skipped, errors.Join(skipped...)
	}
	return nil, "", nil, fmt.Errorf("%s: %w", dir, ErrNone)
}

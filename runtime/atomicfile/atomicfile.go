// Package atomicfile writes files so that a reader, or the next run after a
// crash, sees either the old content or all of the new one, never a part:
// the data goes to a temporary file in the same folder, which is synced,
// renamed over the target, and the folder synced so the rename survives a
// power cut. Every writer of the project (checkpoints, run files, pictures,
// the dataset cache, `ssdgm fmt -w`, `ssdgm graph -o`) goes through it.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// TempSuffix ends the name of every temporary file Write creates; the
// name is "." + the target's base name + "-" + random digits + TempSuffix.
const TempSuffix = ".tmp"

// IsTemp reports whether name (a base name) is a temporary file that Write
// would create for a target whose base name starts with prefix, so that
// a folder's owner can delete those a crash left behind.
func IsTemp(name, prefix string) bool {
	return strings.HasPrefix(name, "."+strings.TrimPrefix(prefix, ".")) && strings.HasSuffix(name, TempSuffix)
}

// Write writes data to path with permission bits perm.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteFunc(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc writes what write writes (through a buffer) to path with
// permission bits perm. When write fails nothing changes at path and the
// temporary file is removed.
func WriteFunc(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+strings.TrimPrefix(base, ".")+"-*"+TempSuffix)
	if err != nil {
		return err
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

// ModeOf returns the permission bits of the file at path, or def when
// there is none: a rewrite of a user's file keeps its mode.
func ModeOf(path string, def os.FileMode) os.FileMode {
	if info, err := os.Stat(path); err == nil {
		return info.Mode().Perm()
	}
	return def
}

// syncDir makes a rename in dir durable. Folders that cannot be synced
// (some file systems answer EINVAL) are left as they are.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

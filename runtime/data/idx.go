package data

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The idx magic numbers of image and label files (LeCun's MNIST format).
const (
	idxImageMagic = 2051 // 0x00000803: unsigned bytes, 3 dimensions
	idxLabelMagic = 2049 // 0x00000801: unsigned bytes, 1 dimension
)

// idxFile names one gzipped idx file and, when known, the md5 of the file.
type idxFile struct {
	path string
	md5  string // hex md5 of the .gz file; "" skips the check
}

// readIDXGz reads a whole gzipped file, checks its md5 when one is given and
// returns the decompressed header and payload. wantDims is the number of
// dimensions the magic number promises (3 for images, 1 for labels).
func readIDXGz(f idxFile, wantMagic uint32, wantDims int) (dims []int, payload []byte, err error) {
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return nil, nil, err
	}
	if f.md5 != "" {
		sum := md5.Sum(raw)
		if got := hex.EncodeToString(sum[:]); got != f.md5 {
			return nil, nil, fmt.Errorf("%s: md5 is %s, want %s (the official file); the file is corrupt or not the official one, fetch it again", f.path, got, f.md5)
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a gzip file: %v", f.path, err)
	}
	head := make([]byte, 4+4*wantDims)
	if _, err := io.ReadFull(zr, head); err != nil {
		return nil, nil, fmt.Errorf("%s: idx header: %v (file truncated?)", f.path, noEOF(err))
	}
	magic := binary.BigEndian.Uint32(head)
	if magic != wantMagic {
		return nil, nil, fmt.Errorf("%s: idx magic number is %d, want %d", f.path, magic, wantMagic)
	}
	total := 1
	dims = make([]int, wantDims)
	for i := range dims {
		d := binary.BigEndian.Uint32(head[4+4*i:])
		if d == 0 || d > 1<<24 {
			return nil, nil, fmt.Errorf("%s: idx dimension %d is %d, out of range", f.path, i, d)
		}
		dims[i] = int(d)
		total *= int(d)
		if total > 1<<31 {
			return nil, nil, fmt.Errorf("%s: idx dimensions %v are too large", f.path, dims[:i+1])
		}
	}
	payload = make([]byte, total)
	if n, err := io.ReadFull(zr, payload); err != nil {
		return nil, nil, fmt.Errorf("%s: idx data ends after %d of %d bytes: %v (file truncated?)", f.path, n, total, noEOF(err))
	}
	// The payload must end exactly here, and the gzip stream must be intact
	// (its CRC is checked at EOF).
	extra, err := io.Copy(io.Discard, io.LimitReader(zr, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: gzip stream: %v (file truncated or corrupt?)", f.path, noEOF(err))
	}
	if extra > 0 {
		return nil, nil, fmt.Errorf("%s: %d bytes after the %d promised by the idx header", f.path, extra, total)
	}
	return dims, payload, nil
}

// noEOF turns a bare EOF into ErrUnexpectedEOF so messages say "unexpected".
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readIDXPair reads an image file and its label file, checks that they agree
// and that every label is below classes, and returns a split whose label is
// named by lab.
func readIDXPair(images, labels idxFile, lab Label) (*Split, error) {
	dims, pix, err := readIDXGz(images, idxImageMagic, 3)
	if err != nil {
		return nil, err
	}
	ldims, lab8, err := readIDXGz(labels, idxLabelMagic, 1)
	if err != nil {
		return nil, err
	}
	if dims[0] != ldims[0] {
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels", images.path, dims[0], labels.path, ldims[0])
	}
	n, h, w := dims[0], dims[1], dims[2]
	s := newSplit(n, [3]int{1, h, w}, Schema{lab})
	for i, b := range pix {
		s.Images[i] = float32(b) / 255
	}
	vals := s.Labels[lab.Name].Values
	for i, b := range lab8 {
		if int(b) >= lab.Classes {
			return nil, fmt.Errorf("%s: label %d of example %d is not below %d", labels.path, b, i, lab.Classes)
		}
		vals[i] = float32(b)
	}
	return s, nil
}

// The four official file names of MNIST and Fashion-MNIST.
const (
	idxTrainImages = "train-images-idx3-ubyte.gz"
	idxTrainLabels = "train-labels-idx1-ubyte.gz"
	idxTestImages  = "t10k-images-idx3-ubyte.gz"
	idxTestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// The md5 sums of the four official MNIST files.
const (
	md5MNISTTrainImages = "f68b3c2dcbeaaa9fbdd348bbdeb94873"
	md5MNISTTrainLabels = "d53e105ee54ea40749a09fcbcd1e9432"
	md5MNISTTestImages  = "9fb629c4189551a2d022fa330f9573f3"
	md5MNISTTestLabels  = "ec29112dd5afa0611ce80d1b7f02629c"
)

// idxNames returns the four file names in the order train images, train
// labels, test images, test labels.
func idxNames() [4]string {
	return [4]string{idxTrainImages, idxTrainLabels, idxTestImages, idxTestLabels}
}

// mnistMD5 returns the official MNIST md5 sums in idxNames order.
func mnistMD5() *[4]string {
	return &[4]string{md5MNISTTrainImages, md5MNISTTrainLabels, md5MNISTTestImages, md5MNISTTestLabels}
}

// hasIDXFiles reports whether dir holds all four idx files.
func hasIDXFiles(dir string) bool {
	if dir == "" {
		return false
	}
	for _, n := range idxNames() {
		if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// readIDXDataset reads the four idx files in dir (checking md5 sums when
// sums is not nil) and splits them: train is the first 5/6 of the official
// training set (50,000 of 60,000), val the last 1/6, test the official test set.
func readIDXDataset(name, dir string, sums *[4]string, lab Label) (*Dataset, error) {
	files := make([]idxFile, 4)
	for i, n := range idxNames() {
		files[i] = idxFile{path: filepath.Join(dir, n)}
		if sums != nil {
			files[i].md5 = sums[i]
		}
	}
	full, err := readIDXPair(files[0], files[1], lab)
	if err != nil {
		return nil, err
	}
	test, err := readIDXPair(files[2], files[3], lab)
	if err != nil {
		return nil, err
	}
	if full.Shape != test.Shape {
		return nil, fmt.Errorf("%s: images are %v but %s has %v", files[0].path, full.Shape, files[2].path, test.Shape)
	}
	nval := full.N / 6
	train, val := splitAt(full, full.N-nval)
	return &Dataset{
		Name: name, Schema: Schema{lab}, Shape: full.Shape,
		Train: train, Val: val, Test: test, Source: dir,
	}, nil
}

// splitAt cuts s into examples [0, k) and [k, N) without copying.
func splitAt(s *Split, k int) (*Split, *Split) {
	a := &Split{N: k, Shape: s.Shape, Labels: map[string]*LabelData{}}
	b := &Split{N: s.N - k, Shape: s.Shape, Labels: map[string]*LabelData{}}
	n := s.ImageSize()
	a.Images, b.Images = s.Images[:k*n:k*n], s.Images[k*n:]
	if s.IDs != nil {
		a.IDs, b.IDs = s.IDs[:k:k], s.IDs[k:]
	}
	for name, d := range s.Labels {
		per := d.Label.PerExample()
		da := &LabelData{Label: d.Label, Values: d.Values[: k*per : k*per], Has: d.Has[:k:k]}
		db := &LabelData{Label: d.Label, Values: d.Values[k*per:], Has: d.Has[k:]}
		if sl := d.Label.Slots; sl > 0 {
			da.SlotHas, db.SlotHas = d.SlotHas[:k*sl:k*sl], d.SlotHas[k*sl:]
		}
		a.Labels[name], b.Labels[name] = da, db
	}
	return a, b
}

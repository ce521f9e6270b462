package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"ssdgm/runtime/atomicfile"
)

// multiMNISTCacheMagic starts every multi-MNIST cache file (inside the gzip
// stream).
const multiMNISTCacheMagic = "SSDGM-multimnist-cache\n"

// multiMNISTCachePath returns the cache file for the options.
func multiMNISTCachePath(o Options, m MultiMNISTOptions) (string, error) {
	dir, err := o.cacheDir()
	if err != nil {
		return "", fmt.Errorf("multimnist: no cache folder: %v (set Options.CacheDir)", err)
	}
	_, hash := m.key()
	return filepath.Join(dir, "multimnist-"+hash+".bin.gz"), nil
}

func locateMultiMNIST(o Options) (string, []string, string) {
	m := o.MultiMNIST.withDefaults()
	var tried []string
	if p, err := multiMNISTCachePath(o, m); err == nil {
		tried = append(tried, p+" (cache)")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, tried, ""
		}
	}
	dir, more := o.mnistDir()
	tried = append(tried, more...)
	if hasIDXFiles(dir) {
		return "generated from MNIST in " + dir, tried, ""
	}
	return "", tried, "multi-MNIST is generated from MNIST; " + mnistHint
}

// openMultiMNIST loads the generated dataset from the cache, or generates it
// from MNIST and writes the cache. A cache file that cannot be read is
// regenerated, and the dataset's Notes say why.
func openMultiMNIST(o Options) (*Dataset, error) {
	m := o.MultiMNIST.withDefaults()
	if err := m.validate(); err != nil {
		return nil, err
	}
	var notes []string
	cachePath := ""
	if !m.NoCache {
		p, err := multiMNISTCachePath(o, m)
		if err != nil {
			return nil, err
		}
		cachePath = p
		ds, err := readMultiMNISTCache(p, m)
		if err == nil {
			return ds, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			notes = append(notes, fmt.Sprintf("cache unreadable, regenerated: %v", err))
		}
	}
	mn, err := openMNIST(o)
	if err != nil {
		return nil, fmt.Errorf("multimnist: generating needs MNIST: %v", err)
	}
	ds, err := GenerateMultiMNIST(m, mn)
	if err != nil {
		return nil, err
	}
	ds.Notes = append(ds.Notes, notes...)
	if cachePath != "" {
		if err := writeMultiMNISTCache(cachePath, m, ds); err != nil {
			ds.Notes = append(ds.Notes, fmt.Sprintf("could not write the cache: %v", err))
		} else {
			ds.Source = cachePath
		}
	}
	return ds, nil
}

// GenerateMultiMNIST draws a multi-MNIST dataset (see MultiMNISTOptions)
// from an MNIST dataset, without touching any cache.
func GenerateMultiMNIST(m MultiMNISTOptions, mnist *Dataset) (*Dataset, error) {
	m = m.withDefaults()
	if err := m.validate(); err != nil {
		return nil, err
	}
	ds := &Dataset{Name: "multimnist", Schema: multiMNISTSchema(m), Shape: [3]int{1, m.Canvas, m.Canvas}, Source: "generated from " + mnist.Source}
	var err error
	if ds.Train, err = generateMultiMNIST(m, sourceOf(mnist.Train), m.Train, 1); err != nil {
		return nil, err
	}
	if ds.Val, err = generateMultiMNIST(m, sourceOf(mnist.Val), m.Val, 2); err != nil {
		return nil, err
	}
	if ds.Test, err = generateMultiMNIST(m, sourceOf(mnist.Test), m.Test, 3); err != nil {
		return nil, err
	}
	desc, _ := m.key()
	ds.Notes = append(ds.Notes, desc)
	return ds, nil
}

// writeMultiMNISTCache writes the dataset atomically (atomicfile).
//
// Layout, inside one gzip stream, all integers little-endian: the magic
// line, the key description (uint32 length + bytes), then for train, val and
// test: uint32 N, N×C×C image bytes (value×255), N count bytes, N×Max digit
// bytes (255 = absent), N×Max×3 float32 positions.
func writeMultiMNISTCache(path string, m MultiMNISTOptions, ds *Dataset) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFunc(path, 0o644, func(w io.Writer) error {
		return encodeMultiMNISTCache(w, m, ds)
	})
}

// encodeMultiMNISTCache writes the cache's bytes (see writeMultiMNISTCache).
func encodeMultiMNISTCache(w io.Writer, m MultiMNISTOptions, ds *Dataset) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<20)
	desc, _ := m.key()
	bw.WriteString(multiMNISTCacheMagic)
	binary.Write(bw, binary.LittleEndian, uint32(len(desc)))
	bw.WriteString(desc)
	for _, ns := range ds.Splits() {
		s := ns.Split
		binary.Write(bw, binary.LittleEndian, uint32(s.N))
		for _, v := range s.Images {
			bw.WriteByte(byte(math.Round(float64(v) * 255)))
		}
		for _, v := range s.Labels["count"].Values {
			bw.WriteByte(byte(v))
		}
		for _, v := range s.Labels["digits"].Values {
			bw.WriteByte(byte(int8(v)))
		}
		var b [4]byte
		for _, v := range s.Labels["positions"].Values {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// readMultiMNISTCache reads a cache file written by writeMultiMNISTCache
// and checks that it was made with the same options and is complete.
func readMultiMNISTCache(path string, m MultiMNISTOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip file: %v", path, err)
	}
	r := bufio.NewReaderSize(zr, 1<<20)
	fail := func(what string, err error) (*Dataset, error) {
		return nil, fmt.Errorf("%s: %s: %v (delete the file to regenerate)", path, what, noEOF(err))
	}
	magic := make([]byte, len(multiMNISTCacheMagic))
	if _, err := io.ReadFull(r, magic); err != nil {
		return fail("header", err)
	}
	if string(magic) != multiMNISTCacheMagic {
		return fail("header", errors.New("not a multi-MNIST cache file"))
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 4096 {
		return fail("key length", cmpErr(err, "out of range"))
	}
	desc := make([]byte, n)
	if _, err := io.ReadFull(r, desc); err != nil {
		return fail("key", err)
	}
	want, _ := m.key()
	if string(desc) != want {
		return fail("key", fmt.Errorf("made for %q, want %q", desc, want))
	}
	schema := multiMNISTSchema(m)
	ds := &Dataset{Name: "multimnist", Schema: schema, Shape: [3]int{1, m.Canvas, m.Canvas}, Source: path}
	sizes := [3]int{m.Train, m.Val, m.Test}
	var splits [3]*Split
	for k := range splits {
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return fail("split size", err)
		}
		if int(n) != sizes[k] {
			return fail("split size", fmt.Errorf("split %d holds %d images, want %d", k, n, sizes[k]))
		}
		s := newSplit(int(n), ds.Shape, schema)
		buf := make([]byte, len(s.Images))
		if _, err := io.ReadFull(r, buf); err != nil {
			return fail("images", err)
		}
		for i, b := range buf {
			s.Images[i] = float32(b) / 255
		}
		counts := make([]byte, s.N)
		if _, err := io.ReadFull(r, counts); err != nil {
			return fail("counts", err)
		}
		digits := make([]byte, s.N*m.MaxDigits)
		if _, err := io.ReadFull(r, digits); err != nil {
			return fail("digits", err)
		}
		pos := make([]byte, 4*s.N*m.MaxDigits*3)
		if _, err := io.ReadFull(r, pos); err != nil {
			return fail("positions", err)
		}
		cl, dl, pl := s.Labels["count"], s.Labels["digits"], s.Labels["positions"]
		for i, c := range counts {
			if int(c) < m.MinDigits || int(c) > m.MaxDigits {
				return fail("counts", fmt.Errorf("count %d of image %d outside %d..%d", c, i, m.MinDigits, m.MaxDigits))
			}
			cl.Values[i] = float32(c)
			for slot := 0; slot < m.MaxDigits; slot++ {
				j := i*m.MaxDigits + slot
				d := int8(digits[j])
				if (slot < int(c)) != (d >= 0 && d < 10) || (slot >= int(c) && d != -1) {
					return fail("digits", fmt.Errorf("slot %d of image %d holds %d with count %d", slot, i, d, c))
				}
				dl.Values[j] = float32(d)
				dl.SlotHas[j], pl.SlotHas[j] = slot < int(c), slot < int(c)
			}
		}
		for i := range pl.Values {
			pl.Values[i] = math.Float32frombits(binary.LittleEndian.Uint32(pos[4*i:]))
		}
		splits[k] = s
	}
	if extra, err := io.Copy(io.Discard, r); err != nil || extra != 0 {
		return fail("end", cmpErr(err, fmt.Sprintf("%d bytes after the data", extra)))
	}
	ds.Train, ds.Val, ds.Test = splits[0], splits[1], splits[2]
	ds.Notes = append(ds.Notes, "read from the cache: "+want)
	return ds, nil
}

// cmpErr returns err, or an error with msg when err is nil.
func cmpErr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

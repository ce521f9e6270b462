package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// matVar is one variable for the test MAT writer.
type matVar struct {
	name  string
	class int
	dims  []int
	typ   int    // storage type of the data
	data  []byte // raw data in the file's byte order
	flags uint32 // extra array flag bits (0x800 complex)
}

// matWriter writes MATLAB 5 MAT files the way MATLAB does: a 128-byte
// header, then one element per variable, each miMATRIX padded to 8 bytes or
// wrapped in an miCOMPRESSED element.
type matWriter struct {
	order    binary.ByteOrder
	compress bool
}

func (m matWriter) element(typ int, body []byte) []byte {
	var b bytes.Buffer
	if len(body) <= 4 && typ != miMATRIX && typ != miCOMPRESSED {
		// Small data element format.
		binary.Write(&b, m.order, uint32(len(body))<<16|uint32(typ))
		pad := make([]byte, 4)
		copy(pad, body)
		b.Write(pad)
		return b.Bytes()
	}
	binary.Write(&b, m.order, uint32(typ))
	binary.Write(&b, m.order, uint32(len(body)))
	b.Write(body)
	if typ != miCOMPRESSED {
		for b.Len()%8 != 0 {
			b.WriteByte(0)
		}
	}
	return b.Bytes()
}

func (m matWriter) file(vars ...matVar) []byte {
	var out bytes.Buffer
	head := make([]byte, 128)
	copy(head, "MATLAB 5.0 MAT-file, written by the ssdgm tests")
	for i := 47; i < 116; i++ {
		head[i] = ' '
	}
	m.order.PutUint16(head[124:], 0x0100)
	m.order.PutUint16(head[126:], 'M'<<8|'I') // "IM" in little-endian, "MI" in big-endian
	out.Write(head)
	for _, v := range vars {
		var mat bytes.Buffer
		flags := make([]byte, 8)
		m.order.PutUint32(flags, uint32(v.class)|v.flags)
		mat.Write(m.element(miUINT32, flags))
		dims := make([]byte, 4*len(v.dims))
		for i, d := range v.dims {
			m.order.PutUint32(dims[4*i:], uint32(d))
		}
		mat.Write(m.element(miINT32, dims))
		mat.Write(m.element(miINT8, []byte(v.name)))
		mat.Write(m.element(v.typ, v.data))
		el := m.element(miMATRIX, mat.Bytes())
		if m.compress {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(el)
			zw.Close()
			el = m.element(miCOMPRESSED, z.Bytes())
		}
		out.Write(el)
	}
	return out.Bytes()
}

// svhnVars returns X and y for n 32×32×3 images, X(r, c, ch, i) = (r + 2c +
// 3ch + 5i) mod 256, labels 1..10 cycling, y stored as doubles (or as uint8
// when small is set, as MATLAB does for integral doubles).
func svhnVars(m matWriter, n int, small bool) (x, y matVar) {
	xd := make([]byte, 32*32*3*n)
	for i := 0; i < n; i++ {
		for ch := 0; ch < 3; ch++ {
			for c := 0; c < 32; c++ {
				for r := 0; r < 32; r++ {
					xd[r+32*c+1024*ch+3072*i] = byte(r + 2*c + 3*ch + 5*i)
				}
			}
		}
	}
	x = matVar{name: "X", class: mxUINT8, dims: []int{32, 32, 3, n}, typ: miUINT8, data: xd}
	y = matVar{name: "y", class: mxDOUBLE, dims: []int{n, 1}, typ: miDOUBLE}
	if small {
		y.typ = miUINT8
	}
	for i := 0; i < n; i++ {
		label := float64(i%10 + 1)
		if small {
			y.data = append(y.data, byte(label))
		} else {
			y.data = must(binary.Append(y.data, m.order, label))
		}
	}
	return x, y
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseSVHN(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    matWriter
		n    int
		u8y  bool
	}{
		{"plain little-endian", matWriter{order: binary.LittleEndian}, 3, false},
		{"compressed", matWriter{order: binary.LittleEndian, compress: true}, 12, false},
		{"compressed, y as uint8", matWriter{order: binary.LittleEndian, compress: true}, 2, true},
		{"big-endian", matWriter{order: binary.BigEndian}, 11, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x, y := svhnVars(tt.m, tt.n, tt.u8y)
			other := matVar{name: "junk", class: mxDOUBLE, dims: []int{1, 1}, typ: miDOUBLE, data: must(binary.Append(nil, tt.m.order, 3.0))}
			s, err := parseSVHN(tt.m.file(other, x, y))
			if err != nil {
				t.Fatal(err)
			}
			if s.N != tt.n || s.Shape != [3]int{3, 32, 32} {
				t.Fatalf("N %d shape %v", s.N, s.Shape)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tt.n; i++ {
				img := s.Image(i)
				for _, p := range [][3]int{{0, 0, 0}, {1, 5, 7}, {2, 31, 0}, {0, 0, 31}, {2, 17, 23}} {
					ch, r, c := p[0], p[1], p[2]
					want := float32(byte(r+2*c+3*ch+5*i)) / 255
					if got := img[ch*1024+r*32+c]; got != want {
						t.Fatalf("image %d channel %d row %d column %d = %v, want %v", i, ch, r, c, got, want)
					}
				}
				if got, want := s.Labels["digit"].Class(i, 0), (i%10+1)%10; got != want {
					t.Errorf("label %d = %d, want %d (label 10 is digit 0)", i, got, want)
				}
			}
		})
	}
}

func TestParseSVHNErrors(t *testing.T) {
	le := matWriter{order: binary.LittleEndian}
	x, y := svhnVars(le, 2, false)
	good := le.file(x, y)
	gzGood := matWriter{order: binary.LittleEndian, compress: true}.file(x, y)
	with := func(f func(x, y *matVar)) []byte {
		x2, y2 := x, y
		f(&x2, &y2)
		return le.file(x2, y2)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "shorter than its 128-byte header"},
		{"no endian mark", append(make([]byte, 126), 'x', 'x'), "not a MATLAB 5 MAT file"},
		{"version", func() []byte { b := append([]byte{}, good...); b[124] = 2; return b }(), "version"},
		{"missing y", le.file(x), "want variables X and y"},
		{"X not uint8", with(func(x, _ *matVar) { x.class = mxDOUBLE }), "X has class 6"},
		{"X dims", with(func(x, _ *matVar) { x.dims = []int{32, 32, 6, 1} }), "X is [32 32 6 1]"},
		{"y count", with(func(_, y *matVar) { y.dims = []int{1, 1}; y.data = y.data[:8] }), "y is [1 1], want [2 1]"},
		{"y out of range", with(func(_, y *matVar) { y.data = must(binary.Append(nil, binary.LittleEndian, []float64{11, 1})) }), "y(1) is 11"},
		{"y not integral", with(func(_, y *matVar) { y.data = must(binary.Append(nil, binary.LittleEndian, []float64{1, 2.5})) }), "y(2) is 2.5"},
		{"data short for dims", with(func(x, _ *matVar) { x.data = x.data[:100] }), "needs 6144 values"},
		{"complex y", with(func(_, y *matVar) { y.flags = 0x800 }), "want [2 1]"},
		{"truncated", good[:len(good)-30], "truncated"},
		{"truncated compressed", gzGood[:len(gzGood)-30], "truncated"},
		{"corrupt zlib", func() []byte {
			b := append([]byte{}, gzGood...)
			b[128+8] ^= 0xff
			return b
		}(), "zlib"},
		{"corrupt compressed data", func() []byte {
			b := append([]byte{}, gzGood...)
			b[len(b)-3] ^= 0xff
			return b
		}(), "compressed element"},
		{"huge element", func() []byte {
			b := append([]byte{}, good...)
			binary.LittleEndian.PutUint32(b[132:], 0xfffffff0)
			return b
		}(), "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSVHN(tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReadSVHN(t *testing.T) {
	dir := t.TempDir()
	m := matWriter{order: binary.LittleEndian, compress: true}
	x, y := svhnVars(m, 20, false)
	os.WriteFile(filepath.Join(dir, "train_32x32.mat"), m.file(x, y), 0o644)
	x, y = svhnVars(m, 5, true)
	os.WriteFile(filepath.Join(dir, "test_32x32.mat"), m.file(x, y), 0o644)
	ds, err := ReadSVHN(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N != 18 || ds.Val.N != 2 || ds.Test.N != 5 {
		t.Errorf("splits %d/%d/%d, want 18/2/5", ds.Train.N, ds.Val.N, ds.Test.N)
	}
	if len(ds.Notes) != 2 || !strings.Contains(ds.Notes[0], "md5 not checked") {
		t.Errorf("notes %q should say the md5 was not checked", ds.Notes)
	}
	// Through the registry, with the data folder.
	base := t.TempDir()
	os.Rename(dir, filepath.Join(base, "svhn"))
	if _, err := Open("svhn", Options{DataDir: base}); err != nil {
		t.Error(err)
	}
	// A corrupt test file is an error naming it.
	os.WriteFile(filepath.Join(base, "svhn", "test_32x32.mat"), []byte("not a mat file"), 0o644)
	if _, err := Open("svhn", Options{DataDir: base}); err == nil || !strings.Contains(err.Error(), "test_32x32.mat") {
		t.Errorf("err = %v, want one naming test_32x32.mat", err)
	}
	// Missing files: the error names them with their md5 and size.
	_, err = Open("svhn", Options{DataDir: t.TempDir()})
	for _, want := range []string{"train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373", "182040794", "test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing files: err = %v, want one containing %q", err, want)
		}
	}
}

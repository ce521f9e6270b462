package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math"
)

// EncodeSVHNMat writes a split of 3×32×32 images with a "digit" label in
// the layout of the official SVHN files: a MATLAB 5 MAT file, little
// endian, each variable in a zlib-compressed (miCOMPRESSED) element; X is
// uint8 [32, 32, 3, N] in column-major order (row, column, channel, image),
// y is double [N, 1] with the label 10 for the digit 0. It makes small
// SVHN-shaped files for tests and for trying the SVHN model without the
// official files.
func EncodeSVHNMat(s *Split) ([]byte, error) {
	if s.Shape != [3]int{3, 32, 32} {
		return nil, fmt.Errorf("svhn mat: images are %v, want 3×32×32", s.Shape)
	}
	lab := s.Labels["digit"]
	if lab == nil {
		return nil, fmt.Errorf("svhn mat: the split has no digit label")
	}
	const h, w, c = 32, 32, 3
	x := make([]byte, h*w*c*s.N)
	for i := 0; i < s.N; i++ {
		img := s.Image(i)
		for ch := 0; ch < c; ch++ {
			for col := 0; col < w; col++ {
				for r := 0; r < h; r++ {
					v := math.Round(float64(img[ch*h*w+r*w+col]) * 255)
					x[r+h*col+h*w*ch+h*w*c*i] = byte(max(0, min(255, v)))
				}
			}
		}
	}
	y := make([]byte, 0, 8*s.N)
	for i := 0; i < s.N; i++ {
		d := lab.Class(i, 0)
		if d < 0 || d > 9 {
			return nil, fmt.Errorf("svhn mat: example %d has digit %d", i, d)
		}
		if d == 0 {
			d = 10
		}
		y = binary.LittleEndian.AppendUint64(y, math.Float64bits(float64(d)))
	}
	var out bytes.Buffer
	head := make([]byte, 128)
	copy(head, "MATLAB 5.0 MAT-file, Platform: GLNXA64, written by ssdgm")
	for i := len("MATLAB 5.0 MAT-file, Platform: GLNXA64, written by ssdgm"); i < 116; i++ {
		head[i] = ' '
	}
	binary.LittleEndian.PutUint16(head[124:], 0x0100)
	copy(head[126:], "IM")
	out.Write(head)
	for _, v := range []struct {
		name       string
		class, typ int
		dims       []int
		data       []byte
	}{
		{"X", mxUINT8, miUINT8, []int{h, w, c, s.N}, x},
		{"y", mxDOUBLE, miDOUBLE, []int{s.N, 1}, y},
	} {
		var m bytes.Buffer
		flags := make([]byte, 8)
		binary.LittleEndian.PutUint32(flags, uint32(v.class))
		m.Write(matElem(miUINT32, flags))
		dims := make([]byte, 4*len(v.dims))
		for i, d := range v.dims {
			binary.LittleEndian.PutUint32(dims[4*i:], uint32(d))
		}
		m.Write(matElem(miINT32, dims))
		m.Write(matElem(miINT8, []byte(v.name)))
		m.Write(matElem(v.typ, v.data))
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		if _, err := zw.Write(matElem(miMATRIX, m.Bytes())); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		out.Write(matElem(miCOMPRESSED, z.Bytes()))
	}
	return out.Bytes(), nil
}

// matElem is one MAT data element: the small format for up to 4 bytes of
// data, otherwise an 8-byte tag and the data padded to 8 bytes (compressed
// elements are not padded).
func matElem(typ int, body []byte) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	if len(body) <= 4 && typ != miMATRIX && typ != miCOMPRESSED {
		b.Write(le.AppendUint32(nil, uint32(len(body))<<16|uint32(typ)))
		pad := make([]byte, 4)
		copy(pad, body)
		b.Write(pad)
		return b.Bytes()
	}
	b.Write(le.AppendUint32(nil, uint32(typ)))
	b.Write(le.AppendUint32(nil, uint32(len(body))))
	b.Write(body)
	if typ != miCOMPRESSED {
		for b.Len()%8 != 0 {
			b.WriteByte(0)
		}
	}
	return b.Bytes()
}

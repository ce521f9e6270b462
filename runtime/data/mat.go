package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MATLAB level 5 MAT-file data types (the "mi" types of the format).
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
)

// MATLAB array classes (the "mx" classes) this reader understands.
const (
	mxDOUBLE = 6
	mxSINGLE = 7
	mxUINT8  = 9
)

// matArray is one numeric variable of a MAT file, its real part kept in the
// storage type the file used (MATLAB may store a double array as uint8).
type matArray struct {
	name    string
	class   int
	complex bool
	dims    []int
	typ     int    // mi type of data
	data    []byte // raw real part
	order   binary.ByteOrder
}

// numel returns the product of the dimensions.
func (a *matArray) numel() int {
	n := 1
	for _, d := range a.dims {
		n *= d
	}
	return n
}

// matTypeSize returns the byte size of a numeric mi type, or 0.
func matTypeSize(t int) int {
	switch t {
	case miINT8, miUINT8:
		return 1
	case miINT16, miUINT16:
		return 2
	case miINT32, miUINT32, miSINGLE:
		return 4
	case miDOUBLE, miINT64, miUINT64:
		return 8
	}
	return 0
}

// float64s converts the real part to float64.
func (a *matArray) float64s() []float64 {
	size := matTypeSize(a.typ)
	out := make([]float64, len(a.data)/size)
	o := a.order
	for i := range out {
		b := a.data[i*size:]
		switch a.typ {
		case miINT8:
			out[i] = float64(int8(b[0]))
		case miUINT8:
			out[i] = float64(b[0])
		case miINT16:
			out[i] = float64(int16(o.Uint16(b)))
		case miUINT16:
			out[i] = float64(o.Uint16(b))
		case miINT32:
			out[i] = float64(int32(o.Uint32(b)))
		case miUINT32:
			out[i] = float64(o.Uint32(b))
		case miSINGLE:
			out[i] = float64(math.Float32frombits(o.Uint32(b)))
		case miDOUBLE:
			out[i] = math.Float64frombits(o.Uint64(b))
		case miINT64:
			out[i] = float64(int64(o.Uint64(b)))
		case miUINT64:
			out[i] = float64(o.Uint64(b))
		}
	}
	return out
}

// maxMATElement bounds one element so that a corrupt length cannot make the
// reader allocate without limit.
const maxMATElement = 1 << 31

// readMAT parses a MATLAB level 5 MAT file and returns its numeric
// variables whose names are in want (all when want is nil). Variables of
// other classes (cells, structs, chars, sparse) are skipped. Top-level
// elements may be miMATRIX or miCOMPRESSED (a zlib stream holding one
// element).
func readMAT(b []byte, want map[string]bool) (map[string]*matArray, error) {
	if len(b) < 128 {
		return nil, fmt.Errorf("MAT file is %d bytes, shorter than its 128-byte header (file truncated?)", len(b))
	}
	var order binary.ByteOrder
	switch string(b[126:128]) {
	case "IM":
		order = binary.LittleEndian
	case "MI":
		order = binary.BigEndian
	default:
		return nil, errors.New("not a MATLAB 5 MAT file (no IM/MI endian mark at byte 126); v7.3 (HDF5) files are not supported, save with -v7")
	}
	if v := order.Uint16(b[124:]); v != 0x0100 {
		return nil, fmt.Errorf("MAT file version is %#x, want 0x0100 (MATLAB 5)", v)
	}
	out := map[string]*matArray{}
	rest := b[128:]
	for len(rest) > 0 {
		typ, body, next, err := matElement(rest, order, true)
		if err != nil {
			return nil, fmt.Errorf("at byte %d: %v", len(b)-len(rest), err)
		}
		rest = next
		if typ == miCOMPRESSED {
			inner, err := inflate(body)
			if err != nil {
				return nil, fmt.Errorf("at byte %d: compressed element: %v", len(b)-len(rest), err)
			}
			typ, body, _, err = matElement(inner, order, false)
			if err != nil {
				return nil, fmt.Errorf("inside compressed element: %v", err)
			}
		}
		if typ != miMATRIX || len(body) == 0 {
			continue
		}
		arr, err := parseMatrix(body, order)
		if err != nil {
			return nil, err
		}
		if arr != nil && (want == nil || want[arr.name]) {
			out[arr.name] = arr
		}
	}
	return out, nil
}

// inflate decompresses a zlib stream, bounded by maxMATElement.
func inflate(b []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not a zlib stream: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxMATElement+16))
	if err != nil {
		return nil, fmt.Errorf("zlib: %v (file truncated or corrupt?)", noEOF(err))
	}
	return out, nil
}

// matElement reads one data element (in the normal or the small format) and
// returns its type, its data and what follows it. With pad, the element is
// followed by padding to an 8-byte boundary, except a compressed one.
func matElement(b []byte, order binary.ByteOrder, pad bool) (typ int, body, rest []byte, err error) {
	if len(b) < 8 {
		return 0, nil, nil, fmt.Errorf("element tag needs 8 bytes, %d left (file truncated?)", len(b))
	}
	w := order.Uint32(b)
	if small := w >> 16; small != 0 {
		// Small data element: 2 bytes size, 2 bytes type, 4 bytes data.
		if small > 4 {
			return 0, nil, nil, fmt.Errorf("small element claims %d bytes, at most 4 fit", small)
		}
		return int(w & 0xffff), b[4 : 4+small], b[8:], nil
	}
	typ = int(w)
	n := int64(order.Uint32(b[4:]))
	if n > maxMATElement {
		return 0, nil, nil, fmt.Errorf("element of %d bytes is too large", n)
	}
	if int64(len(b)-8) < n {
		return 0, nil, nil, fmt.Errorf("element (type %d) claims %d bytes, only %d left (file truncated?)", typ, n, len(b)-8)
	}
	end := 8 + int(n)
	body = b[8:end]
	if pad && typ != miCOMPRESSED {
		end = min((end+7)&^7, len(b))
	}
	return typ, body, b[end:], nil
}

// parseMatrix decodes the subelements of an miMATRIX element: array flags,
// dimensions, name and the real part. It returns nil for classes it skips.
func parseMatrix(b []byte, order binary.ByteOrder) (*matArray, error) {
	next := func(what string, wantTyp ...int) ([]byte, int, error) {
		typ, body, rest, err := matElement(b, order, true)
		if err != nil {
			return nil, 0, fmt.Errorf("array %s: %v", what, err)
		}
		if len(wantTyp) > 0 && typ != wantTyp[0] && !(len(wantTyp) > 1 && typ == wantTyp[1]) {
			return nil, 0, fmt.Errorf("array %s has type %d, want %d", what, typ, wantTyp[0])
		}
		b = rest
		return body, typ, nil
	}
	flags, _, err := next("flags", miUINT32)
	if err != nil {
		return nil, err
	}
	if len(flags) != 8 {
		return nil, fmt.Errorf("array flags are %d bytes, want 8", len(flags))
	}
	f := order.Uint32(flags)
	arr := &matArray{class: int(f & 0xff), complex: f&0x800 != 0, order: order}
	if arr.class != mxDOUBLE && arr.class != mxSINGLE && !(arr.class >= 8 && arr.class <= 15) {
		return nil, nil // not a numeric array: skip
	}
	dims, _, err := next("dimensions", miINT32)
	if err != nil {
		return nil, err
	}
	if len(dims) < 8 || len(dims)%4 != 0 {
		return nil, fmt.Errorf("array dimensions are %d bytes, want a multiple of 4, at least 8", len(dims))
	}
	total := int64(1)
	for i := 0; i < len(dims); i += 4 {
		d := int32(order.Uint32(dims[i:]))
		if d < 0 {
			return nil, fmt.Errorf("array dimension %d is negative", d)
		}
		arr.dims = append(arr.dims, int(d))
		total *= int64(d)
		if total > maxMATElement {
			return nil, fmt.Errorf("array dimensions %v are too large", arr.dims)
		}
	}
	name, _, err := next("name", miINT8, miUINT8)
	if err != nil {
		return nil, err
	}
	arr.name = string(name)
	re, typ, err := next(arr.name + " data")
	if err != nil {
		return nil, err
	}
	size := matTypeSize(typ)
	if size == 0 {
		return nil, fmt.Errorf("variable %s: data type %d is not numeric", arr.name, typ)
	}
	if int64(len(re)) != total*int64(size) {
		return nil, fmt.Errorf("variable %s: %v needs %d values, data holds %d bytes of type %d", arr.name, arr.dims, total, len(re), typ)
	}
	arr.typ, arr.data = typ, re
	return arr, nil
}

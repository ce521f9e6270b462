package pictures

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"ssdgm/runtime/atomicfile"
)

// npyMagic starts every .npy file (format version 1.0).
const npyMagic = "\x93NUMPY"

// EncodeNPY returns data as a .npy file (NumPy format 1.0): the magic, a
// header dict padded so that the data start on a 64-byte boundary, then
// the values as little-endian float32 in C order. The shape's product
// must equal len(data).
func EncodeNPY(shape []int, data []float32) ([]byte, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		n *= d
	}
	if n != len(data) {
		return nil, fmt.Errorf("npy: shape %v holds %d values, got %d", shape, n, len(data))
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", tuple)
	// magic (6) + version (2) + header length (2) + header + '\n', padded to 64.
	total := 10 + len(header) + 1
	pad := (64 - total%64) % 64
	header += strings.Repeat(" ", pad) + "\n"
	if len(header) > math.MaxUint16 {
		return nil, errors.New("npy: header too long")
	}
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	b.Write(buf)
	return b.Bytes(), nil
}

// WriteNPY writes data as a .npy file (see EncodeNPY), atomically.
func WriteNPY(path string, shape []int, data []float32) error {
	b, err := EncodeNPY(shape, data)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}

var (
	npyDescr = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// DecodeNPY reads a .npy file of little-endian float32 in C order, as
// EncodeNPY writes them, returning its shape and values.
func DecodeNPY(b []byte) ([]int, []float32, error) {
	shape, data, descr, err := DecodeNPYAny(b)
	if err == nil && descr != "<f4" {
		return nil, nil, fmt.Errorf("npy: want dtype '<f4', got '%s'", descr)
	}
	return shape, data, err
}

// DecodeNPYAny reads a .npy file in C order of little-endian float32
// ('<f4'), float64 ('<f8') or unsigned bytes ('|u1'), returning its shape,
// its values as float32 (bytes as 0..255) and the dtype.
func DecodeNPYAny(b []byte) ([]int, []float32, string, error) {
	if len(b) < 10 || string(b[:6]) != npyMagic {
		return nil, nil, "", errors.New("npy: not a .npy file (bad magic)")
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, nil, "", errors.New("npy: truncated header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, nil, "", fmt.Errorf("npy: unknown format version %d.%d", b[6], b[7])
	}
	if off+hlen > len(b) {
		return nil, nil, "", errors.New("npy: truncated header")
	}
	h := string(b[off : off+hlen])
	d := npyDescr.FindStringSubmatch(h)
	size := map[string]int{"<f4": 4, "<f8": 8, "|u1": 1, "<u1": 1}
	if d == nil || size[d[1]] == 0 {
		return nil, nil, "", fmt.Errorf("npy: want dtype float32 ('<f4'), float64 ('<f8') or uint8 ('|u1') in header %q", h)
	}
	descr := d[1]
	if o := npyOrder.FindStringSubmatch(h); o == nil || o[1] != "False" {
		return nil, nil, "", fmt.Errorf("npy: want C order in header %q", h)
	}
	s := npyShape.FindStringSubmatch(h)
	if s == nil {
		return nil, nil, "", fmt.Errorf("npy: no shape in header %q", h)
	}
	var shape []int
	n := 1
	for _, f := range strings.Split(s[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, err := strconv.Atoi(f)
		if err != nil || k < 0 || k > 1<<31 {
			return nil, nil, "", fmt.Errorf("npy: bad dimension %q in header %q", f, h)
		}
		shape = append(shape, k)
		n *= k
		if n > 1<<31 {
			return nil, nil, "", fmt.Errorf("npy: shape %v is too large", shape)
		}
	}
	body := b[off+hlen:]
	w := size[descr]
	if len(body) != w*n {
		return nil, nil, "", fmt.Errorf("npy: shape %v wants %d bytes of data, file has %d", shape, w*n, len(body))
	}
	data := make([]float32, n)
	for i := range data {
		switch descr {
		case "<f4":
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
		case "<f8":
			data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:])))
		default:
			data[i] = float32(body[i])
		}
	}
	return shape, data, descr, nil
}

// ReadNPY reads a .npy file written by WriteNPY.
func ReadNPY(path string) ([]int, []float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return DecodeNPY(b)
}

package ckpt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// CorruptError says that a checkpoint file is damaged or not a checkpoint.
type CorruptError struct {
	File   string
	Reason string
}

// Error names the file and the problem.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("checkpoint %s is corrupt or truncated: %s", e.File, e.Reason)
}

// Read reads and validates the checkpoint file at path.
func Read(path string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, b)
}

// Decode parses and validates a checkpoint; name is used in errors. Every
// size and offset is checked against the data, and the data against its
// SHA-256, before any value is returned.
func Decode(name string, b []byte) (*Checkpoint, error) {
	bad := func(format string, args ...any) error {
		return &CorruptError{File: name, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) < 8 {
		return nil, bad("%d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader {
		return nil, bad("header length %d is implausible", n)
	}
	if uint64(len(b)-8) < n {
		return nil, bad("header of %d bytes but only %d bytes follow", n, len(b)-8)
	}
	hdr, data := b[8:8+n], b[8+n:]
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if err := dec.Decode(&raw); err != nil {
		return nil, bad("header is not a JSON object: %v", err)
	}
	var meta map[string]string
	if m, ok := raw["__metadata__"]; !ok {
		return nil, bad("header has no __metadata__")
	} else if err := json.Unmarshal(m, &meta); err != nil {
		return nil, bad("__metadata__ is not a map of strings: %v", err)
	}
	delete(raw, "__metadata__")
	if meta[keyFormat] != FormatVersion {
		return nil, bad("format is %q, want %q", meta[keyFormat], FormatVersion)
	}

	type located struct {
		name string
		e    entry
	}
	var ts []located
	for tn, r := range raw {
		var e entry
		d := json.NewDecoder(bytes.NewReader(r))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, bad("tensor %q: %v", tn, err)
		}
		size := map[string]int{"F32": 4, "F64": 8}[e.DType]
		if size == 0 {
			return nil, bad("tensor %q has unsupported dtype %q", tn, e.DType)
		}
		cnt, ok := numel(e.Shape)
		if !ok {
			return nil, bad("tensor %q has invalid shape %v", tn, e.Shape)
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > int64(len(data)) {
			return nil, bad("tensor %q has data offsets [%d, %d] outside the %d data bytes", tn, lo, hi, len(data))
		}
		if hi-lo != int64(cnt*size) {
			return nil, bad("tensor %q: shape %v needs %d bytes, offsets give %d", tn, e.Shape, cnt*size, hi-lo)
		}
		ts = append(ts, located{tn, e})
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].e.DataOffsets[0] != ts[j].e.DataOffsets[0] {
			return ts[i].e.DataOffsets[0] < ts[j].e.DataOffsets[0]
		}
		return ts[i].e.DataOffsets[1] < ts[j].e.DataOffsets[1]
	})
	end := int64(0)
	for _, t := range ts {
		if t.e.DataOffsets[0] != end {
			return nil, bad("tensor %q starts at byte %d, want %d (tensors must be contiguous)", t.name, t.e.DataOffsets[0], end)
		}
		end = t.e.DataOffsets[1]
	}
	if end != int64(len(data)) {
		return nil, bad("tensors cover %d data bytes, the file has %d", end, len(data))
	}
	if want := meta[keyDataSHA]; want != "" {
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != want {
			return nil, bad("data does not match its SHA-256")
		}
	}

	c := &Checkpoint{SpecHash: meta[keySpecHash], ConfigHash: meta[keyConfigHash],
		RNG: map[string][]byte{}, Meta: map[string]string{}}
	var err error
	for _, k := range []struct {
		key string
		dst *int64
	}{{keyStep, &c.Step}, {keyEpoch, &c.Epoch}, {keyAdamStep, &c.AdamStep}} {
		if *k.dst, err = strconv.ParseInt(meta[k.key], 10, 64); err != nil {
			return nil, bad("metadata %s = %q is not an integer", k.key, meta[k.key])
		}
	}
	if err := json.Unmarshal([]byte(meta[keyPositions]), &c.Positions); err != nil {
		return nil, bad("metadata positions: %v", err)
	}
	if c.Positions == nil {
		c.Positions = map[string]Position{}
	}
	for k, v := range meta {
		if rn, ok := strings.CutPrefix(k, prefixRNG); ok {
			if c.RNG[rn], err = base64.StdEncoding.DecodeString(v); err != nil {
				return nil, bad("metadata %s is not base64: %v", k, err)
			}
		} else if !reserved(k) {
			c.Meta[k] = v
		}
	}
	for _, t := range ts {
		tensor := Tensor{Shape: t.e.Shape}
		if tensor.Shape == nil {
			tensor.Shape = []int{}
		}
		bs := data[t.e.DataOffsets[0]:t.e.DataOffsets[1]]
		if t.e.DType == "F64" {
			tensor.F64 = make([]float64, len(bs)/8)
			for i := range tensor.F64 {
				tensor.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(bs[8*i:]))
			}
		} else {
			tensor.F32 = make([]float32, len(bs)/4)
			for i := range tensor.F32 {
				tensor.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(bs[4*i:]))
			}
		}
		switch {
		case strings.HasPrefix(t.name, prefixParam):
			tensor.Name = t.name[len(prefixParam):]
			c.Params = append(c.Params, tensor)
		case strings.HasPrefix(t.name, prefixAdamM):
			tensor.Name = t.name[len(prefixAdamM):]
			c.AdamM = append(c.AdamM, tensor)
		case strings.HasPrefix(t.name, prefixAdamV):
			tensor.Name = t.name[len(prefixAdamV):]
			c.AdamV = append(c.AdamV, tensor)
		default:
			return nil, bad("unexpected tensor %q (want param/, adam_m/ or adam_v/ names)", t.name)
		}
	}
	if err := c.checkAdam(); err != nil {
		return nil, bad("%v", strings.TrimPrefix(err.Error(), "ckpt: "))
	}
	return c, nil
}

// Param returns the parameter with the given name.
func (c *Checkpoint) Param(name string) (Tensor, bool) {
	for _, t := range c.Params {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// CopyInto is CopyTo for a destination whose element type is known only at
// run time: a model parameter of either dtype.
func CopyInto(dst Floats, t Tensor) error {
	if d := dst.F32(); d != nil {
		return CopyTo(d, t)
	}
	if d := dst.F64(); d != nil {
		return CopyTo(d, t)
	}
	return fmt.Errorf("destination holds no float32 or float64 values")
}

// Floats is a tensor of float32 or float64 values (a model parameter):
// exactly one of F32 and F64 returns its values, the other nil.
type Floats interface {
	F32() []float32
	F64() []float64
}

// CopyTo copies t's values into dst, converting between float32 and
// float64; the sizes must match.
func CopyTo[T ~float32 | ~float64](dst []T, t Tensor) error {
	switch {
	case t.F32 != nil && len(t.F32) == len(dst):
		for i, v := range t.F32 {
			dst[i] = T(v)
		}
	case t.F64 != nil && len(t.F64) == len(dst):
		for i, v := range t.F64 {
			dst[i] = T(v)
		}
	default:
		return fmt.Errorf("size mismatch: checkpoint has %d/%d values, model %d", len(t.F32), len(t.F64), len(dst))
	}
	return nil
}

// Package ckpt writes and reads ssdgm training checkpoints as safetensors
// files, so that Python can read them with json and numpy alone.
//
// A file is an 8-byte little-endian header length n, n bytes of JSON, then
// the raw little-endian tensor data. The JSON maps each tensor name to
// {"dtype": "F32"|"F64", "shape": [...], "data_offsets": [begin, end]}
// (byte offsets into the data) and "__metadata__" to a map of strings.
// Tensors are named param/NAME, adam_m/NAME and adam_v/NAME; the metadata
// holds the step, epoch, data positions, RNG states (base64), the spec and
// config hashes and a SHA-256 of the data. FORMAT.md gives the details and
// a Python reader.
//
// Files are written atomically (temporary file, fsync, rename, fsync of the
// folder) as ckpt-STEP.safetensors; the two newest are kept.
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
	"strconv"
	"strings"
)

// FormatVersion is the value of the "format" metadata key.
const FormatVersion = "ssdgm-checkpoint/1"

// maxHeader bounds the JSON header, as the safetensors library does.
const maxHeader = 100 << 20

// Tensor is a named array of float32 or float64 values in row-major
// order; exactly one of F32 and F64 is set (or neither, for an empty
// tensor written as F32).
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	F64   []float64
}

// Position is where a data sampler stands: epoch and offset within it. It
// converts to and from labelled.SamplerState.
type Position struct {
	Epoch  int `json:"epoch"`
	Offset int `json:"offset"`
}

// Checkpoint is the state of a run after Step training steps.
type Checkpoint struct {
	Step       int64               // training steps done
	Epoch      int64               // epoch in progress (or completed, by the caller's convention)
	Positions  map[string]Position // data samplers by name ("labelled", "unlabelled")
	RNG        map[string][]byte   // RNG states by name (e.g. PCG.MarshalBinary)
	SpecHash   string
	ConfigHash string
	Params     []Tensor          // model parameters
	AdamStep   int64             // optimizer step count
	AdamM      []Tensor          // Adam first moments, same names and shapes as Params (or none)
	AdamV      []Tensor          // Adam second moments, likewise
	Meta       map[string]string // any other metadata; keys must not be reserved
}

// Reserved metadata keys and prefixes.
const (
	keyFormat     = "format"
	keyStep       = "step"
	keyEpoch      = "epoch"
	keyAdamStep   = "adam_step"
	keySpecHash   = "spec_hash"
	keyConfigHash = "config_hash"
	keyPositions  = "positions"
	keyDataSHA    = "data_sha256"
	prefixRNG     = "rng/"
	prefixParam   = "param/"
	prefixAdamM   = "adam_m/"
	prefixAdamV   = "adam_v/"
)

func reserved(k string) bool {
	switch k {
	case keyFormat, keyStep, keyEpoch, keyAdamStep, keySpecHash, keyConfigHash, keyPositions, keyDataSHA:
		return true
	}
	return strings.HasPrefix(k, prefixRNG)
}

func (t Tensor) dtype() (string, int) {
	if t.F64 != nil {
		return "F64", 8
	}
	return "F32", 4
}

func (t Tensor) len() int {
	if t.F64 != nil {
		return len(t.F64)
	}
	return len(t.F32)
}

func numel(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		if d < 0 || d > 0 && n > math.MaxInt32*8/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// entry is one tensor in the JSON header.
type entry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Encode returns c in the safetensors format.
func Encode(c *Checkpoint) ([]byte, error) {
	meta := map[string]string{
		keyFormat:     FormatVersion,
		keyStep:       strconv.FormatInt(c.Step, 10),
		keyEpoch:      strconv.FormatInt(c.Epoch, 10),
		keyAdamStep:   strconv.FormatInt(c.AdamStep, 10),
		keySpecHash:   c.SpecHash,
		keyConfigHash: c.ConfigHash,
	}
	pos, err := json.Marshal(c.Positions)
	if err != nil {
		return nil, err
	}
	if c.Positions == nil {
		pos = []byte("{}")
	}
	meta[keyPositions] = string(pos)
	for name, state := range c.RNG {
		meta[prefixRNG+name] = base64.StdEncoding.EncodeToString(state)
	}
	for k, v := range c.Meta {
		if reserved(k) {
			return nil, fmt.Errorf("ckpt: metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	var data bytes.Buffer
	header := map[string]any{}
	groups := []struct {
		prefix string
		ts     []Tensor
	}{{prefixParam, c.Params}, {prefixAdamM, c.AdamM}, {prefixAdamV, c.AdamV}}
	for _, g := range groups {
		for _, t := range g.ts {
			name := g.prefix + t.Name
			if t.Name == "" {
				return nil, fmt.Errorf("ckpt: a tensor under %s has no name", g.prefix)
			}
			if _, dup := header[name]; dup {
				return nil, fmt.Errorf("ckpt: duplicate tensor %q", name)
			}
			if t.F32 != nil && t.F64 != nil {
				return nil, fmt.Errorf("ckpt: tensor %q has both float32 and float64 data", name)
			}
			n, ok := numel(t.Shape)
			if !ok || n != t.len() {
				return nil, fmt.Errorf("ckpt: tensor %q has shape %v but %d values", name, t.Shape, t.len())
			}
			dt, size := t.dtype()
			begin := int64(data.Len())
			data.Grow(n * size)
			var b [8]byte
			for _, v := range t.F32 {
				binary.LittleEndian.PutUint32(b[:4], math.Float32bits(v))
				data.Write(b[:4])
			}
			for _, v := range t.F64 {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				data.Write(b[:])
			}
			shape := append([]int{}, t.Shape...)
			header[name] = entry{DType: dt, Shape: shape, DataOffsets: [2]int64{begin, int64(data.Len())}}
		}
	}
	if err := c.checkAdam(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data.Bytes())
	meta[keyDataSHA] = hex.EncodeToString(sum[:])
	header["__metadata__"] = meta
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ') // pad so that the data starts 8-byte aligned
	}
	out := make([]byte, 8, 8+len(h)+data.Len())
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	out = append(out, h...)
	return append(out, data.Bytes()...), nil
}

// checkAdam checks that the moments match the parameters.
func (c *Checkpoint) checkAdam() error {
	if len(c.AdamM) == 0 && len(c.AdamV) == 0 {
		return nil
	}
	if len(c.AdamM) != len(c.Params) || len(c.AdamV) != len(c.Params) {
		return fmt.Errorf("ckpt: %d parameters but %d first and %d second moments", len(c.Params), len(c.AdamM), len(c.AdamV))
	}
	for i, p := range c.Params {
		for _, m := range []Tensor{c.AdamM[i], c.AdamV[i]} {
			if m.Name != p.Name || !equalShape(m.Shape, p.Shape) || (m.F64 != nil) != (p.F64 != nil) {
				return fmt.Errorf("ckpt: optimizer state %q %v does not match parameter %q %v", m.Name, m.Shape, p.Name, p.Shape)
			}
		}
	}
	return nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package ckpt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"ssdgm/runtime/labelled"
)

// Position converts to and from labelled.SamplerState.
var _ = Position(labelled.SamplerState{})

// FuzzDecode checks that no input makes Decode panic and that whatever it
// accepts is what the file declares: every tensor of the header, and no
// other, with the declared dtype and shape, as many values as the shape
// holds, the values' bytes equal to the tensor's data bytes, and the data
// section equal to its declared SHA-256. The header is read here without
// Decode's code. The seeds include the sample with one data byte flipped,
// which must be refused by its hash.
func FuzzDecode(f *testing.F) {
	good, err := Encode(sample(5))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-1] ^= 1
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode("fuzz", b)
		if err != nil {
			return
		}
		if c == nil {
			t.Fatal("nil checkpoint without error")
		}
		checkDeclared(t, b, c)
	})
}

// checkDeclared checks a decoded checkpoint against the header and data of
// the file b it came from.
func checkDeclared(t *testing.T, b []byte, c *Checkpoint) {
	t.Helper()
	n := binary.LittleEndian.Uint64(b)
	hdr, data := b[8:8+n], b[8+n:]
	var raw map[string]json.RawMessage
	// Like Decode, the first JSON value of the header counts (safetensors
	// headers may be padded).
	if err := json.NewDecoder(bytes.NewReader(hdr)).Decode(&raw); err != nil {
		t.Fatalf("accepted a header that is not JSON: %v", err)
	}
	var meta map[string]string
	if err := json.Unmarshal(raw["__metadata__"], &meta); err != nil {
		t.Fatalf("accepted bad metadata: %v", err)
	}
	delete(raw, "__metadata__")
	if want, ok := meta["data_sha256"]; ok && want != "" {
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != want {
			t.Fatalf("accepted data whose SHA-256 %x is not the declared %s", sum, want)
		}
	}
	got := map[string]Tensor{}
	for prefix, ts := range map[string][]Tensor{"param/": c.Params, "adam_m/": c.AdamM, "adam_v/": c.AdamV} {
		for _, x := range ts {
			got[prefix+x.Name] = x
		}
	}
	if len(got) != len(raw) {
		t.Fatalf("decoded %d tensors, the header declares %d", len(got), len(raw))
	}
	for name, r := range raw {
		var e struct {
			DType       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(r, &e); err != nil {
			t.Fatalf("tensor %q: accepted %v", name, err)
		}
		x, ok := got[name]
		if !ok {
			t.Fatalf("declared tensor %q was not decoded", name)
		}
		if len(x.Shape) != len(e.Shape) || (len(e.Shape) > 0 && !reflect.DeepEqual(x.Shape, e.Shape)) {
			t.Fatalf("tensor %q has shape %v, declared %v", name, x.Shape, e.Shape)
		}
		cnt := 1
		for _, d := range e.Shape {
			cnt *= d
		}
		bs := data[e.DataOffsets[0]:e.DataOffsets[1]]
		var enc []byte
		switch e.DType {
		case "F32":
			if x.F64 != nil || len(x.F32) != cnt {
				t.Fatalf("tensor %q: F32 of shape %v decoded as %d float32 and %d float64 values", name, e.Shape, len(x.F32), len(x.F64))
			}
			for _, v := range x.F32 {
				enc = binary.LittleEndian.AppendUint32(enc, math.Float32bits(v))
			}
		case "F64":
			if x.F32 != nil || len(x.F64) != cnt {
				t.Fatalf("tensor %q: F64 of shape %v decoded as %d float32 and %d float64 values", name, e.Shape, len(x.F32), len(x.F64))
			}
			for _, v := range x.F64 {
				enc = binary.LittleEndian.AppendUint64(enc, math.Float64bits(v))
			}
		default:
			t.Fatalf("tensor %q: accepted dtype %q", name, e.DType)
		}
		if string(enc) != string(bs) {
			t.Fatalf("tensor %q: values do not match its data bytes", name)
		}
	}
}

package ckpt

import (
	"testing"

	"ssdgm/runtime/labelled"
)

// Position converts to and from labelled.SamplerState.
var _ = Position(labelled.SamplerState{})

// FuzzDecode checks that no input makes Decode panic.
func FuzzDecode(f *testing.F) {
	good, _ := Encode(sample(5))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode("fuzz", b)
		if err == nil && c == nil {
			t.Fatal("nil checkpoint without error")
		}
	})
}

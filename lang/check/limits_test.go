package check

import (
	"math"
	"strings"
	"testing"

	"ssdgm/lang/syntax"
)

func TestParseLimits(t *testing.T) {
	def := DefaultLimits()
	for _, tc := range []struct {
		in      string
		want    Limits
		wantErr string
	}{
		{in: "", want: def},
		{in: "params=2e9", want: Limits{Params: 2e9, Elements: def.Elements, Classes: def.Classes, Slots: def.Slots, Bytes: def.Bytes}},
		{in: "elements=100, classes=7,slots=3", want: Limits{Params: def.Params, Elements: 100, Classes: 7, Slots: 3, Bytes: def.Bytes}},
		{in: "bytes=1e11", want: Limits{Params: def.Params, Elements: def.Elements, Classes: def.Classes, Slots: def.Slots, Bytes: 1e11}},
		{in: "byte=1e11", wantErr: "did you mean `bytes`"},
		{in: "param=3", wantErr: "did you mean `params`"},
		{in: "params", wantErr: "not key=value"},
		{in: "params=1.5", wantErr: "not a positive integer"},
		{in: "slots=0", wantErr: "not a positive integer"},
	} {
		got, err := ParseLimits(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseLimits(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLimits(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestLimitsConfigurable: a spec refused under the defaults checks once
// the limit is raised, and a tighter limit refuses a small spec.
func TestLimitsConfigurable(t *testing.T) {
	src := []byte(`model m
data x: vector[784]
net big = mlp(hidden: [300000], out: 784)
encoder { z ~ Normal(loc: 0, scale: 1, shape: [2]) }
decoder {
  z ~ Normal(loc: 0, scale: 1, shape: [2])
  x ~ Bernoulli(logits: big(z))
}
`)
	if _, err := Source("big.ssdgm", src); err == nil || !strings.Contains(err.Error(), "network `big` would have 236,100,784 parameters") {
		t.Fatalf("default limits: %v", err)
	}
	if _, err := SourceWith("big.ssdgm", src, Limits{Params: 3e8}); err != nil {
		t.Fatalf("raised limit: %v", err)
	}
	if _, err := SourceWith("big.ssdgm", src, Limits{Params: 3e8, Elements: 1000}); err == nil || !strings.Contains(err.Error(), "layer 1 of network `big` would have 300,000 values per data point") {
		t.Fatalf("element limit: %v", err)
	}
}

func TestSaturatingSizes(t *testing.T) {
	if got := mulSat(math.MaxInt64/2, 3); got != math.MaxInt64 {
		t.Errorf("mulSat overflow = %d", got)
	}
	if got := addSat(math.MaxInt64, 1); got != math.MaxInt64 {
		t.Errorf("addSat overflow = %d", got)
	}
	if got := (Shape{1 << 40, 1 << 40}).Size(); got != math.MaxInt64 {
		t.Errorf("Size of a huge shape = %d, want saturation", got)
	}
	if got := Count(1234567); got != "1,234,567" {
		t.Errorf("count = %q", got)
	}
}

// TestLimitsBeforeAllocation: the checker refuses gigantic specs fast,
// without building anything of their size.
func TestLimitsBeforeAllocation(t *testing.T) {
	src := []byte(`model m
data x: image[3, 1000000, 1000000]
net f = conv([1000000, 1000000], kernel: 3)
encoder { z ~ Normal(loc: 0, scale: 1, shape: [1000000000000]) }
decoder {
  z ~ Normal(loc: 0, scale: 1, shape: [1000000000000])
  x ~ Normal(loc: 0, scale: 1, shape: [3, 1000000, 1000000])
}
`)
	f, err := syntax.Parse("huge.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Check(f)
	if err == nil {
		t.Fatal("gigantic spec checked")
	}
	for _, want := range []string{"data `x` of shape [3, 1000000, 1000000] would have 3,000,000,000,000 values", "`z` of shape [1000000000000] would have"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
)

const initSrc = `model src
data x: vector[6]
net enc = linear(out: 2)
net render = mlp(hidden: [5], out: 6, act: relu)
encoder { z ~ Normal(loc: enc(x), scale: 1) }
decoder {
  z ~ Normal(loc: 0, scale: 1, shape: [2])
  x ~ Bernoulli(logits: render(z))
}
`

// initSpec checks a tiny spec.
func initSpec(t *testing.T, src string) *check.Model {
	t.Helper()
	m, err := check.Source("init.ssdgm", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const dstTmpl = `model dst
data x: vector[6]
net enc = linear(out: ZDIM)
net draw = mlp(hidden: [5], out: 6, act: relu)
encoder { z ~ Normal(loc: enc(x), scale: 1) }
decoder {
  z ~ Normal(loc: 0, scale: 1, shape: [ZDIM])
  x ~ Bernoulli(logits: draw(z))
}
`

// saveRun writes a checkpoint of m's freshly initialised networks into a
// run-like folder and returns the folder and the weights.
func saveRun(t *testing.T, m *check.Model) (string, *compiler.Weights) {
	t.Helper()
	w, err := compiler.NewWeights(m, true, 42)
	if err != nil {
		t.Fatal(err)
	}
	c := &ckpt.Checkpoint{Step: 7}
	for _, p := range w.Params.List() {
		c.Params = append(c.Params, tensorOf(p.Name, p.Shape, p.F64()))
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, checkpointDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ckpt.Save(filepath.Join(dir, checkpointDir), c); err != nil {
		t.Fatal(err)
	}
	return dir, w
}

// TestInitNets: networks start from another run's checkpoint by name or
// renamed; mismatched shapes, unknown networks and different layers are
// errors that name what differs.
func TestInitNets(t *testing.T) {
	srcM := initSpec(t, initSrc)
	run, srcW := saveRun(t, srcM)
	param := func(w *compiler.Weights, name string) []float64 {
		for _, p := range w.Params.List() {
			if p.Name == name {
				return p.F64()
			}
		}
		t.Fatalf("no parameter %s", name)
		return nil
	}
	cases := []struct {
		name, nets string
		zdim       string
		want       []string // parameters set
		err        string
	}{
		{"renamed", "draw=render", "2", []string{"draw.l0.W", "draw.l0.b", "draw.l1.W", "draw.l1.b"}, ""},
		{"same name by default", "", "2", []string{"enc.W", "enc.b"}, ""},
		{"both", "enc, draw=render", "2", []string{"enc.W", "enc.b", "draw.l0.W", "draw.l1.b"}, ""},
		{"shape mismatch", "draw=render", "3", nil, "draw.l0.W has shape [3 5] here, but render.l0.W in"},
		{"unknown here", "drow=render", "2", nil, "the spec has no network `drow` (did you mean `draw`?)"},
		{"unknown there", "draw=rendr", "2", nil, "the checkpoint has no network `rendr` (did you mean `render`?)"},
		{"different layers", "draw=enc", "2", nil, "has no enc.l0.W"},
		{"bad item", "draw=", "2", nil, `"draw=" is not NAME or NAME=OTHER`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := initSpec(t, strings.ReplaceAll(dstTmpl, "ZDIM", c.zdim))
			w, err := compiler.NewWeights(m, true, 1)
			if err != nil {
				t.Fatal(err)
			}
			set, path, err := InitNets(w, m, config.Init{From: run, Nets: c.nets, Freeze: true})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(path, run) {
				t.Errorf("checkpoint path %s is not in %s", path, run)
			}
			for _, name := range c.want {
				src := strings.Replace(name, "draw.", "render.", 1)
				got, want := param(w, name), param(srcW, src)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s[%d] = %g, want %s's %g", name, i, got[i], src, want[i])
					}
				}
			}
			for i, p := range w.Params.List() {
				net, _, _ := strings.Cut(p.Name, ".")
				wantSet := false
				for _, n := range c.want {
					wantSet = wantSet || strings.HasPrefix(n, net+".")
				}
				if set[i] != wantSet {
					t.Errorf("%s set = %v, want %v", p.Name, set[i], wantSet)
				}
			}
		})
	}
}

// TestZeroFrozen: frozen parameters get no update.
func TestZeroFrozen(t *testing.T) {
	g := compiler.Grads{F32: [][]float32{{1, 2}, {3}, {4}}}
	zeroFrozen(g, []bool{true, true, false})
	if g.F32[0][1] != 0 || g.F32[1][0] != 0 || g.F32[2][0] != 4 {
		t.Errorf("zeroFrozen gave %v", g.F32)
	}
	h := compiler.Grads{F64: [][]float64{{1}, {2}}}
	zeroFrozen(h, []bool{false, true})
	if h.F64[0][0] != 1 || h.F64[1][0] != 0 {
		t.Errorf("zeroFrozen gave %v", h.F64)
	}
}

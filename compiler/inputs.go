package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/lang/check"
)

// newInput adds an [R, d] input tensor; fill (when set) refills it before
// every run (noise), otherwise bind copies data into it.
func (b *branch) newInput(name string, d int, fill func(*tensor.Dense, *rand.Rand) error) *input {
	t := tensor.New(tensor.Of(b.p.dt), tensor.WithShape(b.R, d))
	n := G.NewMatrix(b.p.g, b.p.dt, G.WithShape(b.R, d), G.WithName(name))
	if err := G.Let(n, t); err != nil {
		panic(err) // cannot happen: same shape and dtype
	}
	in := &input{node: n, t: t, fill: fill}
	if fill != nil {
		b.noise = append(b.noise, in)
	}
	return in
}

// labelInput returns the input holding a clamped variable's label (a
// one-hot row for a categorical label, the vector otherwise).
func (b *branch) labelInput(key slotKey) *input {
	if in, ok := b.labels[key]; ok {
		return in
	}
	in := b.newInput(fmt.Sprintf("%s.label.%s", b.name, slotName(key.v, key.slot)), key.v.Shape.Size(), nil)
	b.labels[key] = in
	return in
}

// enumerated returns the index of key among the enumerated slots, or -1.
func (b *branch) enumerated(key slotKey) int {
	for i, e := range b.enum {
		if e.key == key {
			return i
		}
	}
	return -1
}

// enumValue returns the constant one-hot [R, K] of an enumerated slot: row
// r = (e·S + s)·B + b takes value (e / stride) mod K.
func (b *branch) enumValue(key slotKey) *G.Node {
	e := b.enum[b.enumerated(key)]
	SB := b.lay.S * b.lay.B
	return b.constRows("enum."+slotName(key.v, key.slot), e.k, func(r, k int) float64 {
		if (r/SB/e.stride)%e.k == k {
			return 1
		}
		return 0
	})
}

// constRows returns a constant [R, d] node with entries f(row, col),
// cached by name (unique in the graph).
func (b *branch) constRows(name string, d int, f func(r, c int) float64) *G.Node {
	if n, ok := b.consts[name]; ok {
		return n
	}
	t := tensor.New(tensor.Of(b.p.dt), tensor.WithShape(b.R, d))
	switch data := t.Data().(type) {
	case []float32:
		for r := 0; r < b.R; r++ {
			for c := 0; c < d; c++ {
				data[r*d+c] = float32(f(r, c))
			}
		}
	case []float64:
		for r := 0; r < b.R; r++ {
			for c := 0; c < d; c++ {
				data[r*d+c] = f(r, c)
			}
		}
	}
	// A named input, not a Gorgonia constant: a constant's hash prints its
	// value, which the tensor package elides beyond a few rows, so two
	// large constants that differ only in the middle rows (the one-hots of
	// two enumerated slots) would be merged into one node.
	n := G.NewMatrix(b.p.g, b.p.dt, G.WithShape(b.R, d), G.WithName(b.name+"."+name), G.WithValue(t))
	b.consts[name] = n
	return n
}

// bind copies a batch into the branch's inputs, repeating each data point
// over its samples and enumerations, and draws the noise.
func (b *branch) bind(x []float32, labels map[string][]float32, rng *rand.Rand) error {
	B, R := b.lay.B, b.R
	xin := b.x
	if b.small != nil {
		xin = b.small.x // the graph tiles it to R rows
	}
	d := xin.t.Shape()[1]
	if len(x) != B*d {
		return fmt.Errorf("%s batch: got %d values, want %d (%d examples of %d)", b.name, len(x), B*d, B, d)
	}
	if err := fillData(xin.t, x); err != nil {
		return err
	}
	for key, in := range b.labels {
		v := key.v
		src, ok := labels[v.Label.Name]
		if !ok {
			return fmt.Errorf("labelled batch has no label %q for variable %s", v.Label.Name, v.Name)
		}
		slots := max(v.Slots, 1)
		slot := max(key.slot, 0)
		if v.Kind == check.Discrete {
			if len(src) != B*slots {
				return fmt.Errorf("label %q: got %d values, want %d", v.Label.Name, len(src), B*slots)
			}
			k := v.Classes
			err := fillRows(in.t, R, k, func(r, c int) float64 {
				cls := src[(r%B)*slots+slot]
				if cls >= 0 && int(cls) == c {
					return 1
				}
				return 0
			})
			if err != nil {
				return err
			}
			continue
		}
		dim := v.Shape.Size()
		if len(src) != B*slots*dim {
			return fmt.Errorf("label %q: got %d values, want %d", v.Label.Name, len(src), B*slots*dim)
		}
		if err := fillRows(in.t, R, dim, func(r, c int) float64 { return float64(src[((r%B)*slots+slot)*dim+c]) }); err != nil {
			return err
		}
	}
	for _, in := range b.noise {
		if err := in.fill(in.t, rng); err != nil {
			return err
		}
		if b.p.opts.SharedNoise {
			shareAcrossEnumeration(in.t, b.lay.E)
		}
	}
	return nil
}

// shareAcrossEnumeration copies the noise of the first block of rows
// (enumerated index e = 0) over the E−1 others: row (e·S + s)·B + b then
// holds the draw of row s·B + b, so every enumerated value of a data point
// and sample sees the same noise. The generator is advanced as without
// sharing.
func shareAcrossEnumeration(t *tensor.Dense, E int) {
	if E <= 1 {
		return
	}
	switch d := t.Data().(type) {
	case []float32:
		n := len(d) / E
		for e := 1; e < E; e++ {
			copy(d[e*n:(e+1)*n], d[:n])
		}
	case []float64:
		n := len(d) / E
		for e := 1; e < E; e++ {
			copy(d[e*n:(e+1)*n], d[:n])
		}
	}
}

// fillData copies the B data rows x into t [B, d].
func fillData(t *tensor.Dense, x []float32) error {
	switch data := t.Data().(type) {
	case []float32:
		copy(data, x)
	case []float64:
		for i, v := range x {
			data[i] = float64(v)
		}
	default:
		return fmt.Errorf("unsupported tensor data %T", data)
	}
	return nil
}

func fillRows(t *tensor.Dense, R, d int, f func(r, c int) float64) error {
	switch data := t.Data().(type) {
	case []float32:
		for r := 0; r < R; r++ {
			for c := 0; c < d; c++ {
				data[r*d+c] = float32(f(r, c))
			}
		}
	case []float64:
		for r := 0; r < R; r++ {
			for c := 0; c < d; c++ {
				data[r*d+c] = f(r, c)
			}
		}
	default:
		return fmt.Errorf("unsupported tensor data %T", data)
	}
	return nil
}

// terms returns the branch's reported terms: each per-row log-density
// weighted as the objective weighs log p − log q, averaged over points.
// A latent's "kl:" term is reported as E[log q − log p] (a KL estimate,
// positive), though it enters the objective with the opposite sign.
func (b *branch) terms() []Term {
	lw := floats(b.lwVal)
	lqe := floats(b.lqeVal)
	c := make([]float64, b.R)
	b.lay.weights(lw, lqe, c)
	out := []Term{{Name: b.name + ":objective", Value: scalarValue(b.objective.Value())}}
	for _, t := range b.termNodes {
		vals := floats(t.val)
		s := 0.0
		for r, v := range vals {
			s += c[r] * v
		}
		if strings.HasPrefix(t.name, "kl:") {
			s = -s
		}
		out = append(out, Term{Name: b.name + ":" + t.name, Value: s / float64(b.lay.B)})
	}
	for _, t := range b.balance {
		out = append(out, Term{Name: b.name + ":" + t.name, Value: floats(t.val)[0]})
	}
	return out
}

func floats(v G.Value) []float64 {
	if v == nil {
		return nil
	}
	switch d := v.Data().(type) {
	case []float64:
		return d
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	return []float64{math.NaN()}
}

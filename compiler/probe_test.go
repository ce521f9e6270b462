package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/compiler/internal/gradcheck"
	"ssdgm/lang/check"
)

// This file holds a probe: a tiny spec lowered through the real lowering
// (the unlabelled branch of a float64 program), whose latents drawn from
// Normal(0, 1) take exactly the values written into their noise inputs, so
// that a let's value and its gradient with respect to those values can be
// read and checked.

// probe is one lowered tiny spec, not yet run.
type probe struct {
	t *testing.T
	m *check.Model
	p *Program
	b *branch
}

// newProbe checks src and lowers its unlabelled branch at B data points,
// one sample each, in float64. Enumerated variables multiply the rows.
func newProbe(t *testing.T, src string, B int) *probe {
	t.Helper()
	return newProbeS(t, src, B, 1)
}

// newProbeS is newProbe with S samples per data point.
func newProbeS(t *testing.T, src string, B, S int) *probe {
	t.Helper()
	m, err := check.Source("probe.ssdgm", []byte(src))
	if err != nil {
		t.Fatalf("spec does not check: %v\n%s", err, src)
	}
	w, err := NewWeights(m, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := &Program{Model: m, opts: Options{Unlabelled: B, Samples: S, MaxEnumeration: 256}, dt: tensor.Float64, w: w, g: G.NewGraph()}
	var b *branch
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("gorgonia panicked: %v", r)
			}
		}()
		b, err = p.lowerBranch(plan{name: "u"}, B)
	}()
	if err != nil {
		t.Fatalf("lowering: %v\n%s", err, src)
	}
	return &probe{t: t, m: m, p: p, b: b}
}

// node returns the check node called name (decoder first).
func (pr *probe) node(name string) *check.Node {
	pr.t.Helper()
	for _, g := range []*check.Graph{pr.m.Decoder, pr.m.Encoder} {
		for _, n := range g.Nodes {
			if n.Name == name {
				return n
			}
		}
	}
	pr.t.Fatalf("no node %s", name)
	return nil
}

// let returns the lowered value of let `name` in slot (-1 outside repeats),
// from the decoder, or the encoder when the decoder has none.
func (pr *probe) let(name string, slot int) *G.Node {
	pr.t.Helper()
	n := pr.node(name)
	if v, ok := pr.b.dec[nodeKey{n, slot}]; ok {
		return v
	}
	if v, ok := pr.b.enc[nodeKey{n, slot}]; ok {
		return v
	}
	pr.t.Fatalf("let %s has no value in slot %d", name, slot)
	return nil
}

// eps returns the noise input of a latent (slot name as SlotName gives).
func (pr *probe) eps(name string) *input {
	pr.t.Helper()
	for _, in := range pr.b.noise {
		if in.node.Name() == "u.eps."+name {
			return in
		}
	}
	pr.t.Fatalf("no noise input for %s", name)
	return nil
}

// set writes a latent's value for every row: rows[r] is row r's value (the
// latent's per-example values, row-major).
func (pr *probe) set(name string, rows ...[]float64) {
	pr.t.Helper()
	in := pr.eps(name)
	d := in.t.Shape()[1]
	data := in.t.Data().([]float64)
	if len(rows) != pr.b.R {
		pr.t.Fatalf("%s: %d rows given, the branch has %d", name, len(rows), pr.b.R)
	}
	for r, v := range rows {
		if len(v) != d {
			pr.t.Fatalf("%s row %d: %d values, want %d", name, r, len(v), d)
		}
		copy(data[r*d:(r+1)*d], v)
	}
}

// run runs the graph forward once and returns the values of the nodes
// ([R, d] each, row-major).
func (pr *probe) run(nodes ...*G.Node) [][]float64 {
	pr.t.Helper()
	vals := make([]G.Value, len(nodes))
	for i, n := range nodes {
		G.Read(n, &vals[i])
	}
	vm := G.NewTapeMachine(pr.p.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		pr.t.Fatalf("run: %v", err)
	}
	out := make([][]float64, len(nodes))
	for i, v := range vals {
		out[i] = append([]float64(nil), floats(v)...)
	}
	return out
}

// gradCheck compares the gradient of Σ c ⊙ out (fixed random c) with
// respect to the named latents' values with central finite differences,
// and fails when the worst relative error exceeds tol.
func (pr *probe) gradCheck(out *G.Node, tol float64, latents ...string) gradcheck.Result {
	pr.t.Helper()
	wrt := make(G.Nodes, len(latents))
	for i, name := range latents {
		wrt[i] = pr.eps(name).node
	}
	res, err := gradcheck.CheckGraph(pr.p.g, out, wrt, 11)
	if err != nil {
		pr.t.Fatalf("gradient check: %v", err)
	}
	if !(res.MaxRel <= tol) {
		pr.t.Errorf("gradient of %s wrt %v: worst relative error %.3g > %g (%s)", out.Name(), latents, res.MaxRel, tol, res.Where)
	}
	return res
}

// latent is a latent of a probe spec: drawn from Normal(0, 1) with shape
// in both blocks, so that its value is its noise.
type latent struct {
	name  string
	shape string // "[3, 2]"
}

// exprSpec is a probe spec whose decoder computes out = expr from the
// latents, with the data of size n scored at flatten(out).
func exprSpec(expr string, n int, lats ...latent) string {
	var enc, dec strings.Builder
	for _, l := range lats {
		fmt.Fprintf(&enc, "  %s ~ Normal(loc: 0, scale: 1, shape: %s)\n", l.name, l.shape)
	}
	fmt.Fprintf(&dec, "%s  out = %s\n  x ~ Normal(loc: flatten(out), scale: 1)\n", enc.String(), expr)
	return fmt.Sprintf("model probe\ndata x: vector[%d]\nencoder {\n%s}\ndecoder {\n%s}\n", n, enc.String(), dec.String())
}

// randRows returns R rows of d values in [lo, hi) for a gradient check.
func randRows(r *rand.Rand, R, d int, lo, hi float64) [][]float64 {
	out := make([][]float64, R)
	for i := range out {
		out[i] = make([]float64, d)
		for j := range out[i] {
			out[i][j] = lo + (hi-lo)*r.Float64()
		}
	}
	return out
}

// near reports whether got and want agree to tol (relative, absolute
// below 1).
func near(got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !closeTo(got[i], want[i], tol) || math.IsNaN(got[i]) {
			return false
		}
	}
	return true
}

package compiler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
)

// The repeat probes: prev carried across slots (in the decoder through a
// let, in the encoder through a sampled variable's location), sum_slots
// over a constant and over an enumerated latent count, and the spatial
// transformers inside a repeat, each by value at hand-computed points and
// by gradient against finite differences.

const prevSpec = `model probe
data x: vector[2]
encoder {
  repeat 2 max 3 {
    c ~ Normal(loc: 0, scale: 1, shape: [2])
    d ~ Normal(loc: 0.5 * prev(d, ones(2)), scale: 1)
  }
}
decoder {
  repeat 2 max 3 {
    c ~ Normal(loc: 0, scale: 1, shape: [2])
    d ~ Normal(loc: 0, scale: 1, shape: [2])
    acc = 2 * prev(acc, ones(2)) + c
  }
  out = sum_slots(acc)
  x ~ Normal(loc: out, scale: 1)
}
`

// TestPrevAndSumSlots: acc_i = 2·acc_{i−1} + c_i from acc_{−1} = 1 gives
// acc = 2 + c0, 4 + 2c0 + c1, 8 + 4c0 + 2c1 + c2; with 2 of 3 slots active
// sum_slots(acc) = 6 + 3c0 + c1. In the encoder d_i ~ Normal(0.5 d_{i−1}, 1)
// with d_{−1} = 1 and noise e_i: d = 0.5 + e0, 0.25 + 0.5e0 + e1, ….
func TestPrevAndSumSlots(t *testing.T) {
	c := [][]vec{{{1, -2}, {0.5, 3}}, {{-1, 0}, {2, 1}}, {{10, 20}, {30, 40}}} // [slot][row]
	e := [][]vec{{{1, 2}, {0, -4}}, {{3, -1}, {0.5, 0.5}}, {{1, 1}, {-1, 2}}}
	build := func() (*probe, []*G.Node) {
		pr := newProbe(t, prevSpec, 2)
		for s := 0; s < 3; s++ {
			pr.set(fmt.Sprintf("c[%d]", s), c[s]...)
			pr.set(fmt.Sprintf("d[%d]", s), e[s]...)
		}
		return pr, []*G.Node{pr.let("acc", 0), pr.let("acc", 1), pr.let("acc", 2),
			pr.let("d", 0), pr.let("d", 1), pr.let("d", 2), pr.let("out", -1)}
	}
	pr, nodes := build()
	got := pr.run(nodes...)
	want := [][]float64{
		{2 + 1, 2 - 2, 2 + 0.5, 2 + 3},                                 // acc[0]
		{4 + 2 - 1, 4 - 4 + 0, 4 + 1 + 2, 4 + 6 + 1},                   // acc[1]
		{8 + 4 - 2 + 10, 8 - 8 + 20, 8 + 2 + 4 + 30, 8 + 12 + 2 + 40},  // acc[2]
		{0.5 + 1, 0.5 + 2, 0.5 + 0, 0.5 - 4},                           // d[0]
		{0.25 + 0.5 + 3, 0.25 + 1 - 1, 0.25 + 0 + 0.5, 0.25 - 2 + 0.5}, // d[1]
		{0.125 + 0.25 + 1.5 + 1, 0.125 + 0.5 - 0.5 + 1, 0.125 + 0 + 0.25 - 1, 0.125 - 1 + 0.25 + 2},
		{6 + 3 - 1, 6 - 6 + 0, 6 + 1.5 + 2, 6 + 9 + 1}, // sum_slots(acc): slot 2 is off
	}
	names := []string{"acc[0]", "acc[1]", "acc[2]", "d[0]", "d[1]", "d[2]", "sum_slots(acc)"}
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Errorf("%s = %v, want %v", names[i], got[i], want[i])
		}
	}
	// The inactive slot 2 is masked out of log q and log p (the data x is 0).
	dens := pr.run(pr.b.lq, pr.b.lp)
	for r := 0; r < 2; r++ {
		lq, lp := 0.0, 0.0
		for s := 0; s < 2; s++ {
			for j := 0; j < 2; j++ {
				d := want[3+s][2*r+j]
				lq += normalLogPdf(c[s][r][j], 0, 1) + normalLogPdf(e[s][r][j], 0, 1)
				lp += normalLogPdf(c[s][r][j], 0, 1) + normalLogPdf(d, 0, 1)
			}
		}
		for j := 0; j < 2; j++ {
			lp += normalLogPdf(0, want[6][2*r+j], 1)
		}
		if !closeTo(dens[0][r], lq, 1e-12) || !closeTo(dens[1][r], lp, 1e-12) {
			t.Errorf("row %d: log q %v log p %v, want %v %v (slots 0 and 1 only)", r, dens[0][r], dens[1][r], lq, lp)
		}
	}
	wrt := [][]string{{"c[0]"}, {"c[0]", "c[1]"}, {"c[0]", "c[1]", "c[2]"},
		{"d[0]"}, {"d[0]", "d[1]"}, {"d[0]", "d[1]", "d[2]"}, {"c[0]", "c[1]", "c[2]"}}
	for i := range nodes {
		// A graph takes one gradient: a fresh lowering per output.
		pr, nodes := build()
		res := pr.gradCheck(nodes[i], 1e-6, wrt[i]...)
		t.Logf("%s: worst relative gradient error %.2e", names[i], res.MaxRel)
	}
}

const countSpec = `model probe
data x: vector[2]
encoder {
  k ~ Categorical(probs: uniform(4))
  repeat k max 3 {
    c ~ Normal(loc: 0, scale: 1, shape: [2])
  }
}
decoder {
  k ~ Categorical(probs: uniform(4))
  repeat k max 3 {
    c ~ Normal(loc: 0, scale: 1, shape: [2])
    acc = 2 * prev(acc, ones(2)) + c
  }
  out = sum_slots(acc)
  x ~ Normal(loc: out, scale: 1)
}
`

// TestSumSlotsLatentCount: with the count k enumerated (rows e·B + b hold
// k = e), sum_slots adds exactly the first k slots, and its gradient
// reaches only those.
func TestSumSlotsLatentCount(t *testing.T) {
	const B = 2
	pr := newProbe(t, countSpec, B)
	if pr.b.lay.E != 4 || pr.b.R != 4*B {
		t.Fatalf("k should be enumerated over 4 values: E = %d, R = %d", pr.b.lay.E, pr.b.R)
	}
	c := [3][B]vec{{{1, -2}, {0.5, 3}}, {{-1, 0}, {2, 1}}, {{10, 20}, {30, 40}}}
	acc := func(s, b int) vec { // by hand, as in TestPrevAndSumSlots
		v := vec{1, 1}
		for i := 0; i <= s; i++ {
			v = vec{2*v[0] + c[i][b][0], 2*v[1] + c[i][b][1]}
		}
		return v
	}
	for s := 0; s < 3; s++ {
		rows := make([]vec, 4*B)
		for r := range rows {
			rows[r] = c[s][r%B]
		}
		pr.set(fmt.Sprintf("c[%d]", s), rows...)
	}
	out := pr.let("out", -1)
	got := pr.run(out)[0]
	for e := 0; e < 4; e++ {
		for b := 0; b < B; b++ {
			want := vec{0, 0}
			for s := 0; s < e; s++ {
				a := acc(s, b)
				want[0] += a[0]
				want[1] += a[1]
			}
			r := e*B + b
			if row := got[2*r : 2*r+2]; !near(row, want, 1e-12) {
				t.Errorf("k = %d, point %d: sum_slots(acc) = %v, want %v", e, b, row, want)
			}
		}
	}
	res := pr.gradCheck(out, 1e-6, "c[0]", "c[1]", "c[2]")
	t.Logf("worst relative gradient error %.2e", res.MaxRel)
}

const stSpec = `model probe
data x: vector[9]
encoder {
  canvas ~ Normal(loc: 0, scale: 1, shape: [1, 3, 3])
  repeat 2 {
    w ~ Normal(loc: 0, scale: 1, shape: [3])
    g ~ Normal(loc: 0, scale: 1, shape: [1, 2, 2])
  }
}
decoder {
  canvas ~ Normal(loc: 0, scale: 1, shape: [1, 3, 3])
  repeat 2 {
    w ~ Normal(loc: 0, scale: 1, shape: [3])
    g ~ Normal(loc: 0, scale: 1, shape: [1, 2, 2])
    glimpse = st_read(canvas, w, size: [3, 3])
    layer = st_write(g, w, size: [3, 3])
  }
  out = sum_slots(layer) + sum_slots(glimpse)
  x ~ Normal(loc: flatten(out), scale: 1)
}
`

// TestSpatialInRepeat: st_read and st_write in each slot of a repeat, with
// where = [scale, x, y]. The canvas holds 1 … 9, linear in the pixel
// position (3·row + col + 1), so a read at any position is 3·py + px + 1;
// the 2 × 2 glimpse written holds 1 … 4.
func TestSpatialInRepeat(t *testing.T) {
	pr := newProbe(t, stSpec, 2)
	canvas := vec{1, 2, 3, 4, 5, 6, 7, 8, 9}
	glyph := vec{1, 2, 3, 4}
	pr.set("canvas", canvas, canvas)
	pr.set("g[0]", glyph, glyph)
	pr.set("g[1]", glyph, glyph)
	pr.set("w[0]", vec{1, 0, 0}, vec{0.5, 0.5, 0})
	pr.set("w[1]", vec{0.5, 0, 0}, vec{1, 0, 0})
	nodes := []*G.Node{pr.let("glimpse", 0), pr.let("glimpse", 1), pr.let("layer", 0), pr.let("layer", 1), pr.let("out", -1)}
	got := pr.run(nodes...)
	identityRead := canvas
	// scale 0.5 at the centre: pixel positions 0.5, 1, 1.5 on both axes
	halfRead := vec{3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}
	// ... shifted by x = 0.5 (half the canvas's half-width): columns 1, 1.5, 2
	shiftedRead := vec{3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5}
	// the glimpse stretched over the canvas: positions 0, 0.5, 1 in it
	identityWrite := vec{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}
	// at scale 0.5 the canvas reads the glimpse at -0.5, 0.5, 1.5 (zero outside)
	halfWrite := vec{0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}
	// scale 0.5 shifted by x = 0.5: columns read at -1, 0, 1
	shiftedWrite := vec{0, 0.5, 1, 0, 2, 3, 0, 1.5, 2}
	sum := func(vs ...vec) vec {
		out := make(vec, 9)
		for _, v := range vs {
			for i := range v {
				out[i] += v[i]
			}
		}
		return out
	}
	want := []vec{
		cat(identityRead, shiftedRead),
		cat(halfRead, identityRead),
		cat(identityWrite, shiftedWrite),
		cat(halfWrite, identityWrite),
		cat(sum(identityRead, halfRead, identityWrite, halfWrite), sum(shiftedRead, identityRead, shiftedWrite, identityWrite)),
	}
	names := []string{"glimpse[0]", "glimpse[1]", "layer[0]", "layer[1]", "out"}
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Errorf("%s = %v, want %v", names[i], got[i], want[i])
		}
	}

	// Gradients at random points (pixel positions away from the grid, where
	// bilinear sampling has kinks): glimpses inside the canvas.
	random := func() *probe {
		rng := rand.New(rand.NewPCG(4, 4))
		g := newProbe(t, stSpec, 3)
		g.set("canvas", randRows(rng, 3, 9, -1, 1)...)
		for s := 0; s < 2; s++ {
			g.set(fmt.Sprintf("g[%d]", s), randRows(rng, 3, 4, -1, 1)...)
			w := randRows(rng, 3, 3, -0.3, 0.3)
			for _, row := range w {
				row[0] = 0.6 + row[0] // scale in (0.3, 0.9)
			}
			g.set(fmt.Sprintf("w[%d]", s), w...)
		}
		return g
	}
	wrt := [][]string{{"canvas", "w[0]"}, {"canvas", "w[1]"}, {"g[0]", "w[0]"}, {"g[1]", "w[1]"},
		{"canvas", "w[0]", "w[1]", "g[0]", "g[1]"}}
	for i, name := range names {
		slot := -1
		base := name
		if name != "out" {
			base, slot = name[:len(name)-3], int(name[len(name)-2]-'0')
		}
		g := random() // a graph takes one gradient: a fresh lowering per output
		res := g.gradCheck(g.let(base, slot), 1e-6, wrt[i]...)
		t.Logf("%s: worst relative gradient error %.2e", names[i], res.MaxRel)
	}
}

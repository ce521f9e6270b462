package pictures

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
)

// testRows returns the indices of the first n test images (fewer when the
// split is smaller).
func (d *Drawer) testRows(n int) []int {
	n = min(n, d.opt.Split.N)
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// odd returns n, or n+1 when n is even, so that a symmetric range has its
// middle value among the steps.
func odd(n int) int { return max(3, n|1) }

// clampNote says how the supervised variables were clamped in the encoder.
func (d *Drawer) clampNote(truth bool) string {
	if len(d.supervised()) == 0 {
		return ""
	}
	if truth {
		return " (encoder means with the true labels clamped)"
	}
	return " (encoder means; supervised variables clamped to the true labels where known, else to their inferred value)"
}

// recon: test inputs over their reconstructions.
func (d *Drawer) recon() (*picture, error) {
	n := d.opt.N
	cols := min(n, 10, d.opt.Split.N)
	n = min(n, d.opt.Split.N) / cols * cols
	rows := d.testRows(n)
	c, truth, err := d.encode(rows)
	if err != nil {
		return nil, err
	}
	means, err := d.generate(d.latentNames(), c.vals, n)
	if err != nil {
		return nil, err
	}
	size := d.opt.Split.ImageSize()
	var imgs []float32
	for p := 0; p < n/cols; p++ {
		for j := 0; j < cols; j++ {
			imgs = append(imgs, d.opt.Split.Image(rows[p*cols+j])...)
		}
		imgs = append(imgs, means[p*cols*size:(p+1)*cols*size]...)
	}
	return &picture{imgs: imgs, rows: 2 * (n / cols), cols: cols,
		caption: fmt.Sprintf("reconstructions (%s): each test input row above its reconstruction row; all latents at the inferred values%s", d.m.Name, d.clampNote(truth))}, nil
}

// analogy: rows are test images, columns the input and then every value
// of the discrete supervised variable name, decoded with the row's other
// latents (its style) as inferred.
func (d *Drawer) analogy(name string) (*picture, error) {
	v := d.m.Var(name)
	rows := d.testRows(d.opt.N)
	c, truth, err := d.encode(rows)
	if err != nil {
		return nil, err
	}
	// Many classes (38 identities) would make a picture too wide to read:
	// show at most maxAnalogy of them, evenly spaced.
	classes := analogyClasses(v.Classes)
	K, n := len(classes), len(rows)
	fixed := c.repeat(n*K, func(r int) int { return r / K })
	oneHot(fixed.vals[v.Name], v.Classes, func(r int) int { return classes[r%K] })
	means, err := d.generate(d.latentNames(), fixed.vals, n*K)
	if err != nil {
		return nil, err
	}
	size := d.opt.Split.ImageSize()
	var imgs []float32
	for i := 0; i < n; i++ {
		imgs = append(imgs, d.opt.Split.Image(rows[i])...)
		imgs = append(imgs, means[i*K*size:(i+1)*K*size]...)
	}
	which := fmt.Sprintf("0, 1, ..., %d", v.Classes-1)
	if K < v.Classes {
		which = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(classes)), ", "), "[]") + fmt.Sprintf(" (%d of %d)", K, v.Classes)
	}
	return &picture{imgs: imgs, rows: n, cols: K + 1,
		caption: fmt.Sprintf("analogies for %s: each row a test image (first column) decoded with its inferred other latents (its style) and %s = %s in the next columns%s",
			name, name, which, d.clampNote(truth))}, nil
}

// maxAnalogy is the most classes an analogy picture shows.
const maxAnalogy = 12

// analogyClasses returns the classes an analogy shows: all of k, or
// maxAnalogy of them evenly spaced.
func analogyClasses(k int) []int {
	n := min(k, maxAnalogy)
	out := make([]int, n)
	for i := range out {
		out[i] = i * k / n
	}
	return out
}

// oneHot overwrites the rows of vals (K values each) with one-hot rows of
// class(r).
func oneHot(vals []float32, K int, class func(r int) int) {
	for r := 0; r*K < len(vals); r++ {
		for j := 0; j < K; j++ {
			vals[r*K+j] = 0
		}
		vals[r*K+class(r)] = 1
	}
}

// conditional: row k has the discrete supervised variable name = k, the
// columns are prior samples of everything else.
func (d *Drawer) conditional(name string) (*picture, error) {
	v := d.m.Var(name)
	K, n := v.Classes, d.opt.N
	y := make([]float32, K*n*K)
	oneHot(y, K, func(r int) int { return r / n })
	means, err := d.generate([]string{name}, map[string][]float32{name: y}, K*n)
	if err != nil {
		return nil, err
	}
	return &picture{imgs: means, rows: K, cols: n,
		caption: fmt.Sprintf("conditional samples for %s: row k has %s = k (k = 0..%d, top to bottom); each column draws the other latents from the prior", name, name, K-1)}, nil
}

// sweep: row j moves component j of the continuous supervised variable
// name over the range of its labels in the split ([-3, 3] without
// labels), everything else at the first test image's inferred values.
func (d *Drawer) sweep(name string) (*picture, error) {
	v := d.m.Var(name)
	c, _, err := d.encode(d.testRows(1))
	if err != nil {
		return nil, err
	}
	D, steps := min(v.Shape.Size(), 16), odd(d.opt.N)
	lo, hi := d.labelRange(v)
	B := D * steps
	fixed := c.repeat(B, func(int) int { return 0 })
	vals := fixed.vals[name]
	w := v.Shape.Size()
	var ranges []string
	for j := 0; j < D; j++ {
		for s := 0; s < steps; s++ {
			vals[(j*steps+s)*w+j] = lo[j] + (hi[j]-lo[j])*float32(s)/float32(steps-1)
		}
		ranges = append(ranges, fmt.Sprintf("%s[%d] %.3g..%.3g", name, j, lo[j], hi[j]))
	}
	means, err := d.generate(d.latentNames(), fixed.vals, B)
	if err != nil {
		return nil, err
	}
	return &picture{imgs: withInput(d.opt.Split.Image(0), means, D, steps), rows: D, cols: steps + 1,
		caption: fmt.Sprintf("sweep of %s: the first column is test image 0; row j moves component j of %s from low to high (left to right: %s), every other latent at the image's inferred value (%s = %s)",
			name, name, strings.Join(ranges, ", "), name, fmtVec(c.row(name, 0)))}, nil
}

// labelRange returns, per component of v, the smallest and largest value
// of its label in the split, or -3 and 3 without labels.
func (d *Drawer) labelRange(v *check.Var) (lo, hi []float32) {
	w := v.Shape.Size()
	lo, hi = make([]float32, w), make([]float32, w)
	for j := range lo {
		lo[j], hi[j] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	if ld := d.opt.Split.Labels[v.Label.Name]; ld != nil {
		for i := 0; i < d.opt.Split.N; i++ {
			if !ld.Has[i] {
				continue
			}
			for j, x := range ld.Vector(i, 0)[:w] {
				lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
			}
		}
	}
	for j := range lo {
		if !(lo[j] < hi[j]) {
			lo[j], hi[j] = -3, 3
		}
	}
	return lo, hi
}

// withInput lays out rows×steps generated images with input in front of
// every row.
func withInput(input, gen []float32, rows, steps int) []float32 {
	size := len(input)
	var imgs []float32
	for j := 0; j < rows; j++ {
		imgs = append(imgs, input...)
		imgs = append(imgs, gen[j*steps*size:(j+1)*steps*size]...)
	}
	return imgs
}

func fmtVec(x []float32) string {
	parts := make([]string, len(x))
	for i, v := range x {
		parts[i] = fmt.Sprintf("%.2g", v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// maxTraverse bounds the rows of a traversal.
const maxTraverse = 10

// traverse: row j moves one unsupervised latent dimension over [-3, 3],
// the others at the first test image's inferred values. The dimensions
// shown are the most active: the largest variance of their inferred means
// over up to encBatch test images.
func (d *Drawer) traverse() (*picture, error) {
	rows := d.testRows(encBatch)
	c, _, err := d.encode(rows)
	if err != nil {
		return nil, err
	}
	type dim struct {
		key string
		j   int
		v   float64
	}
	var dims []dim
	for _, u := range d.unsupervised() {
		for k := range c.vals {
			if d.varOf(k) != u {
				continue
			}
			w := len(c.vals[k]) / c.n
			for j := 0; j < w; j++ {
				var s, s2 float64
				for i := 0; i < c.n; i++ {
					x := float64(c.vals[k][i*w+j])
					s, s2 = s+x, s2+x*x
				}
				m := s / float64(c.n)
				dims = append(dims, dim{k, j, s2/float64(c.n) - m*m})
			}
		}
	}
	if len(dims) == 0 {
		return nil, fmt.Errorf("%s has no continuous unsupervised latent to traverse", d.m.Name)
	}
	sort.SliceStable(dims, func(a, b int) bool {
		if dims[a].v != dims[b].v {
			return dims[a].v > dims[b].v
		}
		if dims[a].key != dims[b].key {
			return dims[a].key < dims[b].key
		}
		return dims[a].j < dims[b].j
	})
	dims = dims[:min(len(dims), maxTraverse)]
	steps := odd(d.opt.N)
	B := len(dims) * steps
	fixed := c.repeat(B, func(int) int { return 0 })
	var names []string
	for r, dm := range dims {
		w := len(fixed.vals[dm.key]) / B
		for s := 0; s < steps; s++ {
			fixed.vals[dm.key][(r*steps+s)*w+dm.j] = -3 + 6*float32(s)/float32(steps-1)
		}
		names = append(names, fmt.Sprintf("%s[%d]", dm.key, dm.j))
	}
	means, err := d.generate(d.latentNames(), fixed.vals, B)
	if err != nil {
		return nil, err
	}
	return &picture{imgs: withInput(d.opt.Split.Image(0), means, len(dims), steps), rows: len(dims), cols: steps + 1,
		caption: fmt.Sprintf("traversals: the first column is test image 0; each row sets one unsupervised latent dimension to -3 ... 3 (left to right), the others at the image's inferred values. Rows, top to bottom (the most active dimensions over %d test images): %s",
			c.n, strings.Join(names, ", "))}, nil
}

// prior: N×N samples from the prior with the latents of fixed held at one
// value each (one-hot for a discrete variable).
func (d *Drawer) prior(fixed map[string][]float32) (*picture, error) {
	n := d.opt.N
	B := n * n
	var vars, desc []string
	in := map[string][]float32{}
	for _, v := range d.m.Vars {
		val, ok := fixed[v.Name]
		if !ok {
			continue
		}
		vars = append(vars, v.Name)
		rows := make([]float32, 0, B*len(val))
		for r := 0; r < B; r++ {
			rows = append(rows, val...)
		}
		in[compiler.SlotName(v, -1)] = rows
		if v.Kind == check.Discrete {
			desc = append(desc, fmt.Sprintf("%s = %d", v.Name, argmax(val)))
		} else {
			desc = append(desc, fmt.Sprintf("%s = %s", v.Name, fmtVec(val)))
		}
	}
	if len(vars) != len(fixed) {
		return nil, fmt.Errorf("fixed values name variables %s does not have", d.m.Name)
	}
	means, err := d.generate(vars, in, B)
	if err != nil {
		return nil, err
	}
	caption := fmt.Sprintf("prior samples of %s: every latent drawn from the prior", d.m.Name)
	if len(desc) > 0 {
		caption = fmt.Sprintf("prior samples of %s with %s fixed; the other latents drawn from the prior", d.m.Name, strings.Join(desc, ", "))
	}
	return &picture{imgs: means, rows: n, cols: n, caption: caption}, nil
}

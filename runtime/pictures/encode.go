package pictures

import (
	"fmt"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
)

// codes holds latent values by compiler.SlotName for n rows.
type codes struct {
	n    int
	vals map[string][]float32
}

// row returns row i of key k.
func (c codes) row(k string, i int) []float32 {
	w := len(c.vals[k]) / c.n
	return c.vals[k][i*w : (i+1)*w]
}

// repeat returns codes of B rows, row r taken from row from(r) of c.
func (c codes) repeat(B int, from func(r int) int) codes {
	out := codes{n: B, vals: map[string][]float32{}}
	for k := range c.vals {
		w := len(c.vals[k]) / c.n
		dst := make([]float32, 0, B*w)
		for r := 0; r < B; r++ {
			dst = append(dst, c.row(k, from(r))...)
		}
		out.vals[k] = dst
	}
	return out
}

// varOf returns the variable a SlotName key belongs to.
func (d *Drawer) varOf(key string) *check.Var {
	name, _, _ := strings.Cut(key, "[")
	return d.m.Var(name)
}

// latentNames returns every latent variable's name: what the generator
// fixes to reconstruct.
func (d *Drawer) latentNames() []string {
	var out []string
	for _, v := range d.m.Vars {
		if v.Role != check.Data {
			out = append(out, v.Name)
		}
	}
	return out
}

// supervised returns the supervised variables.
func (d *Drawer) supervised() []*check.Var {
	var out []*check.Var
	for _, v := range d.m.Vars {
		if v.Role == check.Supervised {
			out = append(out, v)
		}
	}
	return out
}

// encoder returns the (cached) encoder, clamped or not.
func (d *Drawer) encoder(clamp bool) (*compiler.Encoder, error) {
	if e, ok := d.enc[clamp]; ok {
		return e, nil
	}
	e, err := compiler.NewEncoder(d.m, d.opt.Weights, encBatch, d.opt.Compile, clamp)
	if err != nil {
		return nil, err
	}
	d.enc[clamp] = e
	return e, nil
}

// runEncoder encodes the test images of rows in batches, with labels
// (label name → values for the rows, laid out as compiler.Batch.Labels)
// when clamped; noise is zero, so continuous latents are their means.
func (d *Drawer) runEncoder(rows []int, labels map[string][]float32) (codes, error) {
	clamp := labels != nil
	e, err := d.encoder(clamp)
	if err != nil {
		return codes{}, err
	}
	s := d.opt.Split
	size := s.ImageSize()
	out := codes{n: len(rows), vals: map[string][]float32{}}
	x := make([]float32, encBatch*size)
	for start := 0; start < len(rows); start += encBatch {
		n := min(encBatch, len(rows)-start)
		pick := func(i int) int { return start + min(i, n-1) } // pad by repeating the last row
		for i := 0; i < encBatch; i++ {
			copy(x[i*size:], s.Image(rows[pick(i)]))
		}
		var lb map[string][]float32
		if clamp {
			lb = map[string][]float32{}
			for name, all := range labels {
				w := len(all) / len(rows)
				buf := make([]float32, 0, encBatch*w)
				for i := 0; i < encBatch; i++ {
					r := pick(i)
					buf = append(buf, all[r*w:(r+1)*w]...)
				}
				lb[name] = buf
			}
		}
		got, err := e.Run(x, lb, d.rng, true)
		if err != nil {
			return codes{}, err
		}
		for k, v := range got {
			w := len(v) / encBatch
			out.vals[k] = append(out.vals[k], v[:n*w]...)
		}
	}
	return out, nil
}

// encode infers the latents of the test images of rows, with discrete
// latents made one-hot (argmax). The supervised variables are clamped to
// the rows' labels where the split has them, and elsewhere to what an
// unclamped encoder infers for them (the argmax class, the mean vector),
// so that the later latents are always computed from a hard value, as in
// training. truth says whether every clamped value was a true label.
func (d *Drawer) encode(rows []int) (c codes, truth bool, err error) {
	sup := d.supervised()
	if len(sup) == 0 {
		c, err = d.runEncoder(rows, nil)
		return d.hard(c), false, err
	}
	s := d.opt.Split
	truth = true
	for _, v := range sup {
		ld := s.Labels[v.Label.Name]
		for _, r := range rows {
			truth = truth && ld != nil && ld.Has[r]
		}
	}
	var free codes
	if !truth {
		if free, err = d.runEncoder(rows, nil); err != nil {
			return codes{}, false, err
		}
		free = d.hard(free)
	}
	labels := map[string][]float32{}
	for _, v := range sup {
		ld := s.Labels[v.Label.Name]
		slots := max(v.Slots, 1)
		width := v.Shape.Size()
		if v.Kind == check.Discrete {
			width = 1
		}
		buf := make([]float32, 0, len(rows)*slots*width)
		for i, r := range rows {
			if ld != nil && ld.Has[r] {
				buf = append(buf, ld.Values[r*slots*width:(r+1)*slots*width]...)
				continue
			}
			for k := 0; k < slots; k++ {
				key := v.Name
				if v.Slots > 0 {
					key = fmt.Sprintf("%s[%d]", v.Name, k)
				}
				val, ok := free.vals[key]
				switch {
				case !ok && v.Kind == check.Discrete:
					buf = append(buf, -1)
				case !ok:
					buf = append(buf, make([]float32, width)...)
				case v.Kind == check.Discrete:
					buf = append(buf, float32(argmax(free.row(key, i))))
				default:
					buf = append(buf, val[i*width:(i+1)*width]...)
				}
			}
		}
		labels[v.Label.Name] = buf
	}
	c, err = d.runEncoder(rows, labels)
	return d.hard(c), truth, err
}

// hard replaces the relaxed values of discrete latents by one-hot rows of
// their argmax.
func (d *Drawer) hard(c codes) codes {
	for k, vals := range c.vals {
		v := d.varOf(k)
		if v == nil || v.Kind != check.Discrete {
			continue
		}
		K := v.Classes
		for i := 0; i+K <= len(vals); i += K {
			a := argmax(vals[i : i+K])
			for j := 0; j < K; j++ {
				vals[i+j] = 0
			}
			vals[i+a] = 1
		}
	}
	return c
}

func argmax(p []float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// generate runs the decoder on B rows with the latents named in vars fixed
// to the values in fixed (by SlotName), the others drawn from the prior,
// and returns the data means.
func (d *Drawer) generate(vars []string, fixed map[string][]float32, B int) ([]float32, error) {
	g, err := compiler.NewGenerator(d.m, d.opt.Weights, B, vars)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	x, _, err := g.Run(fixed, d.rng)
	return x, err
}

package pictures

import (
	"fmt"
	"maps"
	"slices"

	"ssdgm/lang/check"
)

// slotColours colour the slots of a repeat: box edges on the input and
// each slot's decoded layer.
var slotColours = [][3]float32{{1, 0.25, 0.25}, {0.25, 1, 0.25}, {0.35, 0.55, 1}, {1, 0.9, 0.2}, {1, 0.3, 1}, {0.2, 1, 1}}

// slotModel is what the slots picture needs of a model: a repeat whose
// count is a discrete latent and whose slots read glimpses with st_read at
// a 3-vector latent where = [scale, x, y].
type slotModel struct {
	count *check.Var
	where *check.Var
	max   int
}

// slotsOf finds the model's repeat with glimpses, if any.
func slotsOf(m *check.Model) (slotModel, bool) {
	if m.Encoder == nil {
		return slotModel{}, false
	}
	for _, st := range m.Encoder.Steps {
		r := st.Repeat
		if r == nil {
			continue
		}
		ref, ok := r.Count.(*check.Ref)
		if !ok || ref.Node.Var == nil {
			continue
		}
		for _, n := range r.Nodes {
			if n.Op != check.Let {
				continue
			}
			if w := glimpseWhere(n.Value); w != nil && w.Shape.Size() == 3 {
				return slotModel{count: ref.Node.Var, where: w, max: r.Max}, true
			}
		}
	}
	return slotModel{}, false
}

// glimpseWhere returns the latent read as st_read's position anywhere in e.
func glimpseWhere(e check.Expr) *check.Var {
	switch e := e.(type) {
	case *check.Call:
		if e.Func == "st_read" && len(e.Args) == 2 {
			if r, ok := e.Args[1].(*check.Ref); ok && r.Node.Var != nil {
				return r.Node.Var
			}
		}
		for _, a := range e.Args {
			if v := glimpseWhere(a); v != nil {
				return v
			}
		}
	case *check.NetCall:
		for _, a := range e.Args {
			if v := glimpseWhere(a); v != nil {
				return v
			}
		}
	case *check.Binary:
		if v := glimpseWhere(e.X); v != nil {
			return v
		}
		return glimpseWhere(e.Y)
	case *check.Neg:
		return glimpseWhere(e.X)
	}
	return nil
}

// slots: per test image (row), the input with a coloured box around the
// glimpse of each active slot (the count and the glimpses as the encoder
// infers them, unclamped), its reconstruction, and then each active slot
// decoded alone in its colour (the count set to 1 and the first slot given
// that slot's latents, which is that slot's layer when slots do not read
// each other in the decoder).
func (d *Drawer) slots() (*picture, error) {
	sm, ok := slotsOf(d.m)
	if !ok {
		return nil, fmt.Errorf("%s has no repeat whose slots read glimpses at a latent position", d.m.Name)
	}
	if d.shape[0] != 1 {
		return nil, fmt.Errorf("slots pictures need grey images")
	}
	n := min(d.opt.N, d.opt.Split.N)
	rows := d.testRows(n)
	c, err := d.runEncoder(rows, nil)
	if err != nil {
		return nil, err
	}
	c = d.hard(c)
	names := d.latentNames()
	recon, err := d.generate(names, c.vals, n)
	if err != nil {
		return nil, err
	}
	K := sm.count.Classes
	counts := make([]int, n)
	for i := range counts {
		counts[i] = argmax(c.row(sm.count.Name, i))
	}
	// Each slot alone: count 1 (if the count has that class), slot 0 ← slot j.
	alone := make([][]float32, sm.max)
	for j := 0; j < sm.max && K > 1; j++ {
		vals := maps.Clone(c.vals)
		one := make([]float32, n*K)
		for i := 0; i < n; i++ {
			one[i*K+1] = 1
		}
		vals[sm.count.Name] = one
		for key := range c.vals {
			name, rest, found := cutSlot(key)
			if !found || rest != 0 {
				continue
			}
			vals[key] = c.vals[fmt.Sprintf("%s[%d]", name, j)]
		}
		if alone[j], err = d.generate(names, vals, n); err != nil {
			return nil, err
		}
	}
	H, W := d.shape[1], d.shape[2]
	size := H * W
	cols := 2 + sm.max
	imgs := make([]float32, 0, n*cols*3*size)
	for i := 0; i < n; i++ {
		in := grey3(d.opt.Split.Image(rows[i]), [3]float32{1, 1, 1})
		for j := 0; j < counts[i] && j < sm.max; j++ {
			box(in, H, W, c.row(fmt.Sprintf("%s[%d]", sm.where.Name, j), i), slotColours[j%len(slotColours)])
		}
		imgs = append(imgs, in...)
		imgs = append(imgs, grey3(recon[i*size:(i+1)*size], [3]float32{1, 1, 1})...)
		for j := 0; j < sm.max; j++ {
			if j >= counts[i] || alone[j] == nil {
				imgs = append(imgs, make([]float32, 3*size)...)
				continue
			}
			imgs = append(imgs, grey3(alone[j][i*size:(i+1)*size], slotColours[j%len(slotColours)])...)
		}
	}
	return &picture{imgs: imgs, rows: n, cols: cols, shape: [3]int{3, H, W},
		caption: fmt.Sprintf("slots (%s): each row a test input with a box around each active slot's glimpse (%s and %s as the encoder infers them, not clamped), its reconstruction, then slots 1 to %d each decoded alone in its box's colour (blank: inactive)", d.m.Name, sm.count.Name, sm.where.Name, sm.max)}, nil
}

// cutSlot splits "name[j]" into name and j.
func cutSlot(key string) (string, int, bool) {
	var name string
	var j int
	i := slices.Index([]byte(key), '[')
	if i < 0 {
		return key, 0, false
	}
	name = key[:i]
	if _, err := fmt.Sscanf(key[i:], "[%d]", &j); err != nil {
		return key, 0, false
	}
	return name, j, true
}

// grey3 turns a grey image into RGB planes tinted by colour.
func grey3(g []float32, colour [3]float32) []float32 {
	out := make([]float32, 3*len(g))
	for c := 0; c < 3; c++ {
		for i, v := range g {
			out[c*len(g)+i] = v * colour[c]
		}
	}
	return out
}

// box draws the one-pixel edge of the glimpse at where = [scale, x, y]
// (normalised canvas coordinates: the glimpse covers [x − scale, x + scale]
// × [y − scale, y + scale]) onto RGB planes of H × W.
func box(img []float32, H, W int, where []float32, colour [3]float32) {
	s, x, y := float64(where[0]), float64(where[1]), float64(where[2])
	px := func(u float64, n int) int { return int((u + 1) / 2 * float64(n-1)) }
	x0, x1 := px(x-s, W), px(x+s, W)
	y0, y1 := px(y-s, H), px(y+s, H)
	set := func(r, c int) {
		if r < 0 || r >= H || c < 0 || c >= W {
			return
		}
		for k := 0; k < 3; k++ {
			img[k*H*W+r*W+c] = colour[k]
		}
	}
	for c := x0; c <= x1; c++ {
		set(y0, c)
		set(y1, c)
	}
	for r := y0; r <= y1; r++ {
		set(r, x0)
		set(r, x1)
	}
}

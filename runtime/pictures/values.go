package pictures

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
)

// showable returns the decoder's deterministic values that can be drawn
// as images of the data's height and width: 1 channel (grey) or 3 (RGB).
func (d *Drawer) showable() []string {
	var out []string
	for _, name := range compiler.DecoderValues(d.m) {
		n := d.m.Decoder.Node(name)
		if n != nil && d.valueChannels(n.Shape) > 0 {
			out = append(out, name)
		}
	}
	return out
}

// valueChannels returns the channels of a value shaped [c, H, W] like the
// data image (c = 1 or 3), or 0.
func (d *Drawer) valueChannels(s check.Shape) int {
	if len(s) == 3 && (s[0] == 1 || s[0] == 3) && s[1] == d.shape[1] && s[2] == d.shape[2] {
		return s[0]
	}
	return 0
}

// values: each row a test image, its reconstruction and the decoder's
// deterministic values named in show (all showable ones when empty),
// computed at the image's inferred latents: an intrinsic decomposition such
// as albedo, shading and normals. A 3-channel value whose entries lie in
// [−1, 1] (a field of unit vectors such as normals) is drawn as RGB
// (v + 1)/2; other values are clamped to [0, 1].
func (d *Drawer) values(show []string) (*picture, error) {
	if len(show) == 0 {
		show = d.showable()
	}
	if len(show) == 0 {
		return nil, fmt.Errorf("the decoder of %s has no deterministic value shaped like the image [c, %d, %d]", d.m.Name, d.shape[1], d.shape[2])
	}
	for _, name := range show {
		n := d.m.Decoder.Node(name)
		if n == nil || n.Op != check.Let || n.Repeat != nil {
			return nil, fmt.Errorf("%q is not a deterministic value of the decoder; it has: %s", name, strings.Join(compiler.DecoderValues(d.m), ", "))
		}
		if d.valueChannels(n.Shape) == 0 {
			return nil, fmt.Errorf("%s has shape %s, not an image [1 or 3, %d, %d]; drawable values: %s", name, n.Shape, d.shape[1], d.shape[2], strings.Join(d.showable(), ", "))
		}
	}
	rows := d.testRows(min(d.opt.N, 8))
	n := len(rows)
	c, truth, err := d.encode(rows)
	if err != nil {
		return nil, err
	}
	g, err := compiler.NewGeneratorValues(d.m, d.opt.Weights, n, d.latentNames(), show)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	means, _, err := g.Run(c.vals, d.rng)
	if err != nil {
		return nil, err
	}
	vals := g.Values()
	H, W := d.shape[1], d.shape[2]
	plane := H * W
	size := d.shape[0] * plane
	rgb := func(src []float32, ch int, unit bool) []float32 {
		out := make([]float32, 3*plane)
		for k := 0; k < 3; k++ {
			for p := 0; p < plane; p++ {
				v := src[min(k, ch-1)*plane+p]
				if unit {
					v = (v + 1) / 2
				}
				out[k*plane+p] = max(0, min(1, v))
			}
		}
		return out
	}
	var imgs []float32
	var notes []string
	for _, name := range show {
		ch := d.valueChannels(d.m.Decoder.Node(name).Shape)
		v := vals[name]
		if len(v) != n*ch*plane {
			return nil, fmt.Errorf("value %s: got %d numbers, want %d", name, len(v), n*ch*plane)
		}
		if ch == 3 && inUnitRange(v) {
			notes = append(notes, name+" as RGB (v+1)/2")
		}
	}
	for i, r := range rows {
		imgs = append(imgs, rgb(d.opt.Split.Image(r), d.shape[0], false)...)
		imgs = append(imgs, rgb(means[i*size:(i+1)*size], d.shape[0], false)...)
		for _, name := range show {
			ch := d.valueChannels(d.m.Decoder.Node(name).Shape)
			v := vals[name]
			imgs = append(imgs, rgb(v[i*ch*plane:(i+1)*ch*plane], ch, ch == 3 && inUnitRange(v))...)
		}
	}
	how := ""
	if len(notes) > 0 {
		how = "; " + strings.Join(notes, ", ")
	}
	return &picture{imgs: imgs, rows: n, cols: 2 + len(show), shape: [3]int{3, H, W},
		caption: fmt.Sprintf("decoder values (%s): each row a test image, its reconstruction, then %s at its inferred latents%s%s",
			d.m.Name, strings.Join(show, ", "), how, d.clampNote(truth))}, nil
}

// inUnitRange reports whether v has a negative entry and none outside
// [−1, 1]: a field of unit vectors rather than intensities.
func inUnitRange(v []float32) bool {
	neg := false
	for _, x := range v {
		if x < -1.0001 || x > 1.0001 {
			return false
		}
		neg = neg || x < 0
	}
	return neg
}

// directions returns the continuous supervised 3-vectors outside repeats:
// the variables a relighting picture moves.
func (d *Drawer) directions() []string {
	var out []string
	for _, v := range d.m.Vars {
		if v.Role == check.Supervised && v.Kind == check.Continuous && v.Slots == 0 && v.Shape.Size() == 3 {
			out = append(out, v.Name)
		}
	}
	return out
}

// Angles of a direction in the camera frame (x right, y up, z towards the
// viewer): azimuth a = atan2(−x, z) (positive towards the viewer's left),
// elevation e = asin(y), in degrees; direction is their inverse.
func angles(v []float32) (a, e float64) {
	x, y, z := float64(v[0]), float64(v[1]), float64(v[2])
	n := math.Sqrt(x*x + y*y + z*z)
	if n == 0 {
		return 0, 0
	}
	return math.Atan2(-x, z) * 180 / math.Pi, math.Asin(y/n) * 180 / math.Pi
}

func direction(a, e float64) []float32 {
	ar, er := a*math.Pi/180, e*math.Pi/180
	return []float32{float32(-math.Cos(er) * math.Sin(ar)), float32(math.Sin(er)), float32(math.Cos(er) * math.Cos(ar))}
}

// relight: one test image's inferred latents decoded with the direction
// variable name moved around it: the first row sweeps the azimuth over the
// range its labels cover (at elevation 0), the second the elevation (at
// azimuth 0), angles in the camera frame (see angles). The first column is
// the test image.
func (d *Drawer) relight(name string) (*picture, error) {
	v := d.m.Var(name)
	if v == nil || !slices.Contains(d.directions(), name) {
		return nil, fmt.Errorf("relighting moves a supervised 3-vector; %q is not one (%s has: %s)", name, d.m.Name, strings.Join(d.directions(), ", "))
	}
	aLo, aHi, eLo, eHi := -90.0, 90.0, -60.0, 90.0
	if ld := d.opt.Split.Labels[v.Label.Name]; ld != nil {
		aLo, aHi, eLo, eHi = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for i := 0; i < d.opt.Split.N; i++ {
			if !ld.Has[i] {
				continue
			}
			a, e := angles(ld.Vector(i, 0))
			aLo, aHi, eLo, eHi = math.Min(aLo, a), math.Max(aHi, a), math.Min(eLo, e), math.Max(eHi, e)
		}
		if !(aLo < aHi) || !(eLo < eHi) {
			aLo, aHi, eLo, eHi = -90, 90, -60, 90
		}
	}
	c, _, err := d.encode(d.testRows(1))
	if err != nil {
		return nil, err
	}
	steps := odd(d.opt.N)
	fixed := c.repeat(2*steps, func(int) int { return 0 })
	vals := fixed.vals[name]
	for s := 0; s < steps; s++ {
		f := float64(s) / float64(steps-1)
		copy(vals[s*3:], direction(aLo+(aHi-aLo)*f, 0))
		copy(vals[(steps+s)*3:], direction(0, eLo+(eHi-eLo)*f))
	}
	means, err := d.generate(d.latentNames(), fixed.vals, 2*steps)
	if err != nil {
		return nil, err
	}
	return &picture{imgs: withInput(d.opt.Split.Image(0), means, 2, steps), rows: 2, cols: steps + 1,
		caption: fmt.Sprintf("relighting with %s: the first column is test image 0; row 1 moves the azimuth from %.0f to %.0f degrees at elevation 0, row 2 the elevation from %.0f to %.0f degrees at azimuth 0 (the range of the labels; camera frame, azimuth positive to the viewer's left), every other latent at the image's inferred value",
			name, aLo, aHi, eLo, eHi)}, nil
}

package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// stGeom describes one spatial-transformer sampling: a source image [C, Hs,
// Ws] is sampled at an output grid [C, Ho, Wo]. Output pixel (i, j) has
// normalised coordinates u = -1 + 2j/(Wo-1), v = -1 + 2i/(Ho-1) (0 for a
// size of 1); it reads the source at normalised (a·u + bx, a·v + by), which
// maps to source pixel ((X+1)/2·(Ws-1), (Y+1)/2·(Hs-1)) (corners aligned).
// For a read a = s, bx = tx, by = ty; for a write, the inverse placement,
// a = 1/s, bx = -tx/s, by = -ty/s.
type stGeom struct {
	c, hs, ws, ho, wo int
	write             bool
	everyPixel        bool // visit every output pixel, not only spans (tests)
}

func (p stGeom) String() string {
	return fmt.Sprintf("C=%d,src=%dx%d,out=%dx%d,write=%v", p.c, p.hs, p.ws, p.ho, p.wo, p.write)
}

// affine returns (a, bx, by) for theta = (s, tx, ty).
func (p stGeom) affine(s, tx, ty float64) (a, bx, by float64, err error) {
	if !p.write {
		return s, tx, ty, nil
	}
	if s == 0 {
		return 0, 0, 0, fmt.Errorf("STWrite: scale is 0")
	}
	return 1 / s, -tx / s, -ty / s, nil
}

func norm(k, n int) float64 {
	if n == 1 {
		return 0
	}
	return -1 + 2*float64(k)/float64(n-1)
}

// stRun walks every output pixel of example b: for each it computes the
// bilinear corners and weights, and calls visit with the source offsets
// (or -1 when a corner lies outside the image: zero padding), the weights,
// and the partial derivatives of the pixel position with respect to
// (a, bx, by).
type stCorner struct {
	off [4]int     // (y0,x0), (y0,x1), (y1,x0), (y1,x1); -1 if outside
	w   [4]float64 // bilinear weights
	wx  float64    // fractional offsets
	wy  float64
	u   float64 // normalised output coordinates
	v   float64
}

func (p stGeom) corner(i, j int, a, bx, by float64) stCorner {
	u, v := norm(j, p.wo), norm(i, p.ho)
	px := (a*u + bx + 1) / 2 * float64(p.ws-1)
	py := (a*v + by + 1) / 2 * float64(p.hs-1)
	x0, y0 := math.Floor(px), math.Floor(py)
	wx, wy := px-x0, py-y0
	var c stCorner
	c.wx, c.wy, c.u, c.v = wx, wy, u, v
	c.w = [4]float64{(1 - wy) * (1 - wx), (1 - wy) * wx, wy * (1 - wx), wy * wx}
	ix, iy := int(x0), int(y0)
	for k := 0; k < 4; k++ {
		xx, yy := ix+k%2, iy+k/2
		if px != px || py != py || xx < 0 || xx >= p.ws || yy < 0 || yy >= p.hs || math.Abs(x0) > 1e9 || math.Abs(y0) > 1e9 {
			c.off[k] = -1
		} else {
			c.off[k] = yy*p.ws + xx
		}
	}
	return c
}

// span returns the half-open range [lo, hi) of output indices k in [0, n)
// whose source coordinate c(k) = (a·norm(k, n) + b + 1)/2·(size-1) may
// have a bilinear corner inside the source, c ∈ [-1, size), widened by a
// pixel on each side (corner still tests every visited pixel exactly).
// Outside it every corner is outside the source: an output pixel there is
// 0 and contributes no gradient, so skipping it changes no number. A
// glyph written onto a canvas covers a small part of it.
func span(n, size int, a, b float64) (lo, hi int) {
	if n == 1 {
		return 0, 1
	}
	A := a / float64(n-1) * float64(size-1) // c(k) = A·k + C
	C := (-a + b + 1) / 2 * float64(size-1)
	if A == 0 || math.IsNaN(A) || math.IsInf(A, 0) || math.IsNaN(C) || math.IsInf(C, 0) {
		return 0, n
	}
	k1, k2 := (-1-C)/A, (float64(size)-C)/A
	if k1 > k2 {
		k1, k2 = k2, k1
	}
	f := func(x float64) int { return int(math.Max(0, math.Min(float64(n), x))) }
	return f(math.Floor(k1) - 1), f(math.Ceil(k2) + 2)
}

// spans returns the output rows [i0, i1) and columns [j0, j1) that may
// read the source for the transform (a, bx, by).
func (p stGeom) spans(a, bx, by float64) (i0, i1, j0, j1 int) {
	if p.everyPixel {
		return 0, p.ho, 0, p.wo
	}
	i0, i1 = span(p.ho, p.hs, a, by)
	j0, j1 = span(p.wo, p.ws, a, bx)
	return
}

// stFwd samples every example of src [B, C·Hs·Ws] into out [B, C·Ho·Wo].
func stFwd[T float](p stGeom, out, src, theta []T) error {
	ns, no := p.c*p.hs*p.ws, p.c*p.ho*p.wo
	for b := 0; b < len(theta)/3; b++ {
		a, bx, by, err := p.affine(float64(theta[3*b]), float64(theta[3*b+1]), float64(theta[3*b+2]))
		if err != nil {
			return err
		}
		s, o := src[b*ns:(b+1)*ns], out[b*no:(b+1)*no]
		clear(o)
		i0, i1, j0, j1 := p.spans(a, bx, by)
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				cr := p.corner(i, j, a, bx, by)
				for ch := 0; ch < p.c; ch++ {
					var v float64
					for k, off := range cr.off {
						if off >= 0 {
							v += cr.w[k] * float64(s[ch*p.hs*p.ws+off])
						}
					}
					o[ch*p.ho*p.wo+i*p.wo+j] = T(v)
				}
			}
		}
	}
	return nil
}

// stGradSrc scatters g [B, C·Ho·Wo] back onto the source pixels, into dsrc
// [B, C·Hs·Ws].
func stGradSrc[T float](p stGeom, dsrc, theta, g []T) error {
	ns, no := p.c*p.hs*p.ws, p.c*p.ho*p.wo
	for b := 0; b < len(theta)/3; b++ {
		a, bx, by, err := p.affine(float64(theta[3*b]), float64(theta[3*b+1]), float64(theta[3*b+2]))
		if err != nil {
			return err
		}
		d, gb := dsrc[b*ns:(b+1)*ns], g[b*no:(b+1)*no]
		i0, i1, j0, j1 := p.spans(a, bx, by)
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				cr := p.corner(i, j, a, bx, by)
				for ch := 0; ch < p.c; ch++ {
					gv := float64(gb[ch*p.ho*p.wo+i*p.wo+j])
					for k, off := range cr.off {
						if off >= 0 {
							d[ch*p.hs*p.ws+off] += T(cr.w[k] * gv)
						}
					}
				}
			}
		}
	}
	return nil
}

// stGradTheta returns the gradient with respect to theta [B, 3] given g.
func stGradTheta[T float](p stGeom, dtheta, src, theta, g []T) error {
	ns, no := p.c*p.hs*p.ws, p.c*p.ho*p.wo
	for b := 0; b < len(theta)/3; b++ {
		st, tx, ty := float64(theta[3*b]), float64(theta[3*b+1]), float64(theta[3*b+2])
		a, bx, by, err := p.affine(st, tx, ty)
		if err != nil {
			return err
		}
		s, gb := src[b*ns:(b+1)*ns], g[b*no:(b+1)*no]
		var da, dbx, dby float64
		i0, i1, j0, j1 := p.spans(a, bx, by)
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				cr := p.corner(i, j, a, bx, by)
				for ch := 0; ch < p.c; ch++ {
					gv := float64(gb[ch*p.ho*p.wo+i*p.wo+j])
					if gv == 0 {
						continue
					}
					var q [4]float64
					for k, off := range cr.off {
						if off >= 0 {
							q[k] = float64(s[ch*p.hs*p.ws+off])
						}
					}
					// d value / d px and d py
					dpx := (1-cr.wy)*(q[1]-q[0]) + cr.wy*(q[3]-q[2])
					dpy := (1-cr.wx)*(q[2]-q[0]) + cr.wx*(q[3]-q[1])
					dX := gv * dpx * float64(p.ws-1) / 2
					dY := gv * dpy * float64(p.hs-1) / 2
					da += dX*cr.u + dY*cr.v
					dbx += dX
					dby += dY
				}
			}
		}
		if p.write {
			is := 1 / st
			dtheta[3*b] = T(-da*is*is + dbx*tx*is*is + dby*ty*is*is)
			dtheta[3*b+1] = T(-dbx * is)
			dtheta[3*b+2] = T(-dby * is)
		} else {
			dtheta[3*b], dtheta[3*b+1], dtheta[3*b+2] = T(da), T(dbx), T(dby)
		}
	}
	return nil
}

// STRead reads a glimpse [B, C·h·w] out of images img [B, C·H·W] (channel
// planes in row-major order) with the per-example transform theta [B, 3] =
// (s, tx, ty): glimpse pixel at normalised (u, v) ∈ [-1, 1]² takes the
// bilinearly interpolated image value at normalised (s·u + tx, s·v + ty),
// with corners aligned ((-1,-1) is the centre of the top-left pixel) and
// zero padding outside the image. Gradients are exact with respect to both
// img and theta wherever no sampling point lies exactly on a pixel-grid line
// (bilinear sampling is piecewise smooth; on a line the one-sided
// derivative from the cell to the upper right is taken).
func STRead(img, theta *G.Node, c, h, w, gh, gw int) (*G.Node, error) {
	return st(img, theta, stGeom{c: c, hs: h, ws: w, ho: gh, wo: gw})
}

// STWrite places a glimpse [B, C·h·w] on a canvas [B, C·H·W], the inverse
// of STRead: canvas pixel at normalised (U, V) takes the glimpse's
// bilinearly interpolated value at ((U-tx)/s, (V-ty)/s), zero outside the
// glimpse. theta is [B, 3] = (s, tx, ty), s ≠ 0 (a zero scale is a run-time
// error). Gradients as for STRead.
func STWrite(glimpse, theta *G.Node, c, gh, gw, h, w int) (*G.Node, error) {
	return st(glimpse, theta, stGeom{c: c, hs: gh, ws: gw, ho: h, wo: w, write: true})
}

func st(src, theta *G.Node, p stGeom) (*G.Node, error) {
	name := "STRead(" + p.String() + ")"
	if p.write {
		name = "STWrite(" + p.String() + ")"
	}
	if p.c < 1 || p.hs < 1 || p.ws < 1 || p.ho < 1 || p.wo < 1 {
		return nil, fmt.Errorf("%s: sizes must be positive", name)
	}
	if src == nil || theta == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	shape := func(in []tensor.Shape) (tensor.Shape, error) {
		if len(in[0]) != 2 || in[0][1] != p.c*p.hs*p.ws {
			return nil, fmt.Errorf("%s: source must be [B, %d], got %v", name, p.c*p.hs*p.ws, in[0])
		}
		if len(in[1]) != 2 || in[1][1] != 3 || in[1][0] != in[0][0] {
			return nil, fmt.Errorf("%s: theta must be [%d, 3], got %v", name, in[0][0], in[1])
		}
		return tensor.Shape{in[0][0], p.c * p.ho * p.wo}, nil
	}
	o := &op{name: name, inDims: []int{2, 2}, outDims: 2, shape: shape, diff: []bool{true, true},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { return stFwd(p, out, in[0], in[1]) },
			f64: func(out []float64, in [][]float64) error { return stFwd(p, out, in[0], in[1]) },
		},
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		srcShape := in[0].Shape().Clone()
		gs := &op{name: name + "GradSrc", inDims: []int{2, 2}, outDims: 2, diff: []bool{false, false},
			shape: func([]tensor.Shape) (tensor.Shape, error) { return srcShape.Clone(), nil },
			k: kernel{
				f32: func(out []float32, in [][]float32) error { return stGradSrc(p, out, in[0], in[1]) },
				f64: func(out []float64, in [][]float64) error { return stGradSrc(p, out, in[0], in[1]) },
			},
		}
		gt := &op{name: name + "GradTheta", inDims: []int{2, 2, 2}, outDims: 2, diff: []bool{false, false, false},
			shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[1].Clone(), nil },
			k: kernel{
				f32: func(out []float32, in [][]float32) error { return stGradTheta(p, out, in[0], in[1], in[2]) },
				f64: func(out []float64, in [][]float64) error { return stGradTheta(p, out, in[0], in[1], in[2]) },
			},
		}
		ds, err := apply(gs, in[1], g)
		if err != nil {
			return nil, err
		}
		dt, err := apply(gt, in[0], in[1], g)
		return G.Nodes{ds, dt}, err
	}
	return apply(o, src, theta)
}

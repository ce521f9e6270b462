package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ChannelNorm scales each position's channel vector of x [B, C·P] to unit
// length: out[n, c·P + p] = x[n, c·P + p] / √(Σ_k x[n, k·P + p]² + eps).
// It is the spec language's normalize over a value's first axis, one fused
// op in place of C column slices, squares, sums, a square root and C
// divisions (each a Gorgonia op with its own allocation, and their
// gradients' slice-and-add passes): on the faces decoder's [3, 64, 56]
// normal maps that chain was about a tenth of a training step, and it
// was wrong there: at 3584 (and 2048) positions per channel every output
// was ±1/√3, as if each channel had been divided by the norm of three
// copies of itself, so the faces model's normal maps came out as one
// direction per octant whatever the network painted. The forward pass does
// the chain's arithmetic in the chain's order, so where the chain was right
// the values are the same to the bit (TestChannelNormValues); the gradient
// is the closed form (g − y Σ_k g_k y_k) / n.
func ChannelNorm(x *G.Node, c int, eps float64) (*G.Node, error) {
	name := fmt.Sprintf("ChannelNorm(C=%d,eps=%g)", c, eps)
	if x == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	if c < 1 {
		return nil, fmt.Errorf("%s: channels must be positive", name)
	}
	if x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: want a matrix [B, C·P], got shape %v", name, x.Shape())
	}
	w := x.Shape()[1]
	o := &op{name: fmt.Sprintf("%s(W=%d)", name, w), inDims: []int{2}, outDims: 2, diff: []bool{true}, full: true,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if len(in[0]) != 2 || in[0][1] != w || w%c != 0 {
				return nil, fmt.Errorf("%s: x %v is not [B, C·P]", name, in[0])
			}
			return in[0].Clone(), nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error {
				chanNormK(out, in[0], w, c, eps, defaultSplit())
				return nil
			},
			f64: func(out []float64, in [][]float64) error {
				chanNormK(out, in[0], w, c, eps, defaultSplit())
				return nil
			},
		},
	}
	o.grad = func(in G.Nodes, y, g *G.Node) (G.Nodes, error) {
		dx, err := chanNormGrad(in[0], g, c, eps)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

// chanNorm returns √(Σ_k x[k·p + j]² + eps) for one row, summed in
// channel order as the unfused chain did.
func chanNorm[T float](x []T, c, p, j int, eps T) T {
	s := x[j] * x[j]
	for k := 1; k < c; k++ {
		v := x[k*p+j]
		s += v * v
	}
	return T(math.Sqrt(float64(1*s + eps)))
}

// chanNormK writes x / n per position for rows of width w.
func chanNormK[T float](out, x []T, w, c int, eps float64, sp split) {
	if w == 0 {
		return
	}
	rows, p, e := len(x)/w, w/c, T(eps)
	sp.rows(rows, w, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, or := x[r*w:(r+1)*w], out[r*w:(r+1)*w]
			for j := 0; j < p; j++ {
				n := chanNorm(xr, c, p, j, e)
				for k := 0; k < c; k++ {
					or[k*p+j] = xr[k*p+j] / n
				}
			}
		}
	})
}

func chanNormGrad(x, g *G.Node, c int, eps float64) (*G.Node, error) {
	name := fmt.Sprintf("ChannelNormGrad(C=%d)", c)
	same := func(in []tensor.Shape) (tensor.Shape, error) {
		if !sameShape(in[0], in[1]) {
			return nil, fmt.Errorf("%s: x %v and gradient %v differ", name, in[0], in[1])
		}
		return in[0].Clone(), nil
	}
	w := x.Shape()[1]
	o := &op{name: fmt.Sprintf("%s(W=%d,eps=%g)", name, w, eps), inDims: []int{2, 2}, outDims: 2, shape: same, diff: []bool{false, false}, full: true,
		k: kernel{
			f32: func(out []float32, in [][]float32) error {
				chanNormGradK(out, in[0], in[1], w, c, eps, defaultSplit())
				return nil
			},
			f64: func(out []float64, in [][]float64) error {
				chanNormGradK(out, in[0], in[1], w, c, eps, defaultSplit())
				return nil
			},
		},
	}
	return apply(o, x, g)
}

// chanNormGradK writes dx = (g − y Σ_k g_k y_k) / n per position, with
// y = x / n, for rows of width w.
func chanNormGradK[T float](dx, x, g []T, w, c int, eps float64, sp split) {
	if w == 0 {
		return
	}
	rows, p, e := len(x)/w, w/c, T(eps)
	sp.rows(rows, w, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, gr, dr := x[r*w:(r+1)*w], g[r*w:(r+1)*w], dx[r*w:(r+1)*w]
			for j := 0; j < p; j++ {
				n := chanNorm(xr, c, p, j, e)
				var s T
				for k := 0; k < c; k++ {
					s += gr[k*p+j] * (xr[k*p+j] / n)
				}
				for k := 0; k < c; k++ {
					dr[k*p+j] = (gr[k*p+j] - xr[k*p+j]/n*s) / n
				}
			}
		}
	})
}

// ChannelDot contracts the channel axis of a [B, C·Pa] and b [B, C·Pb]:
// out[n, p] = Σ_c a[n, c·Pa + p] b[n, c·Pb + p], where Pa = Pb, or one of
// them is 1 and that operand's C values are broadcast over the other's
// positions (a light direction against a map of normals). It is the spec
// language's dot, one op in place of per-channel slices, broadcasts,
// products and sums; the forward pass adds the products in channel order,
// as the unfused chain did.
func ChannelDot(a, b *G.Node, c int) (*G.Node, error) {
	name := fmt.Sprintf("ChannelDot(C=%d)", c)
	if a == nil || b == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	if c < 1 {
		return nil, fmt.Errorf("%s: channels must be positive", name)
	}
	pa, pb, err := dotWidths(name, a.Shape(), b.Shape(), c)
	if err != nil {
		return nil, err
	}
	p := max(pa, pb)
	o := &op{name: fmt.Sprintf("%s(Pa=%d,Pb=%d)", name, pa, pb), inDims: []int{2, 2}, outDims: 2, diff: []bool{true, true}, full: true,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			qa, qb, err := dotWidths(name, in[0], in[1], c)
			if err != nil {
				return nil, err
			}
			return tensor.Shape{in[0][0], max(qa, qb)}, nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error {
				chanDotK(out, in[0], in[1], c, pa, pb, defaultSplit())
				return nil
			},
			f64: func(out []float64, in [][]float64) error {
				chanDotK(out, in[0], in[1], c, pa, pb, defaultSplit())
				return nil
			},
		},
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		da, err := chanDotGrad(g, in[1], c, pa, pb, p)
		if err != nil {
			return nil, err
		}
		db, err := chanDotGrad(g, in[0], c, pb, pa, p)
		return G.Nodes{da, db}, err
	}
	return apply(o, a, b)
}

// dotWidths checks ChannelDot's operands and returns their positions per
// channel.
func dotWidths(name string, sa, sb tensor.Shape, c int) (int, int, error) {
	if len(sa) != 2 || len(sb) != 2 || sa[0] != sb[0] || sa[1]%c != 0 || sb[1]%c != 0 {
		return 0, 0, fmt.Errorf("%s: operands %v and %v are not [B, C·P] with the same B", name, sa, sb)
	}
	pa, pb := sa[1]/c, sb[1]/c
	if pa != pb && pa != 1 && pb != 1 {
		return 0, 0, fmt.Errorf("%s: %d and %d positions per channel do not broadcast", name, pa, pb)
	}
	return pa, pb, nil
}

func chanDotK[T float](out, a, b []T, c, pa, pb int, sp split) {
	p := max(pa, pb)
	rows := len(out) / max(p, 1)
	wa, wb := c*pa, c*pb
	sa, sb := 1, 1 // position strides: 0 for a broadcast operand
	if pa == 1 && p > 1 {
		sa = 0
	}
	if pb == 1 && p > 1 {
		sb = 0
	}
	sp.rows(rows, p*c, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ar, br, or := a[r*wa:(r+1)*wa], b[r*wb:(r+1)*wb], out[r*p:(r+1)*p]
			for j := 0; j < p; j++ {
				s := ar[j*sa] * br[j*sb]
				for k := 1; k < c; k++ {
					s += ar[k*pa+j*sa] * br[k*pb+j*sb]
				}
				or[j] = s
			}
		}
	})
}

// chanDotGrad is the gradient of ChannelDot for the operand with ps
// positions per channel, given the output's gradient g [B, P] and the other
// operand [B, C·Po]: g ⊙ other_c per channel, summed over the positions
// when the operand was broadcast (ps = 1 < P).
func chanDotGrad(g, other *G.Node, c, ps, po, p int) (*G.Node, error) {
	name := fmt.Sprintf("ChannelDotGrad(C=%d,Ps=%d,Po=%d)", c, ps, po)
	o := &op{name: name, inDims: []int{2, 2}, outDims: 2, diff: []bool{false, false}, full: true,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if len(in[0]) != 2 || in[0][1] != p || len(in[1]) != 2 || in[1][1] != c*po {
				return nil, fmt.Errorf("%s: gradient %v or operand %v has the wrong width", name, in[0], in[1])
			}
			return tensor.Shape{in[0][0], c * ps}, nil
		},
		k: kernel{
			f32: func(out []float32, in [][]float32) error {
				chanDotGradK(out, in[0], in[1], c, ps, po, p, defaultSplit())
				return nil
			},
			f64: func(out []float64, in [][]float64) error {
				chanDotGradK(out, in[0], in[1], c, ps, po, p, defaultSplit())
				return nil
			},
		},
	}
	return apply(o, g, other)
}

func chanDotGradK[T float](out, g, other []T, c, ps, po, p int, sp split) {
	rows := len(g) / max(p, 1)
	so := 1
	if po == 1 && p > 1 {
		so = 0
	}
	ws, wo := c*ps, c*po
	sp.rows(rows, p*c, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			gr, orr, dr := g[r*p:(r+1)*p], other[r*wo:(r+1)*wo], out[r*ws:(r+1)*ws]
			for k := 0; k < c; k++ {
				oc := orr[k*po:]
				if ps == 1 && p > 1 {
					var s T
					for j := 0; j < p; j++ {
						s += gr[j] * oc[j*so]
					}
					dr[k] = s
					continue
				}
				d := dr[k*ps : (k+1)*ps]
				for j := range d {
					d[j] = gr[j] * oc[j*so]
				}
			}
		}
	})
}

package nn

import (
	"fmt"
	"math/rand/v2"

	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// convLayer is one (transposed) convolution with a per-channel bias.
type convLayer struct {
	in         [3]int // C, H, W of the layer's input
	out        [3]int
	k, s, p    int
	transposed bool
	act        ops.Act
	w, b       *Param
}

// Conv is a stack of 2-D convolutions (or transposed convolutions), each
// followed by a per-channel bias and an activation: Act on every layer but
// the last, OutAct on the last. Kernels are square (K×K), with stride S
// and zero padding P in every layer.
type Conv struct {
	name       string
	In         []int // [C, H, W]
	transposed bool
	layers     []convLayer
	ps         *Params
}

// NewConv2d registers a convolution stack name.l0, name.l1, … taking
// per-example input in = [C, H, W] through len(channels) layers with the
// given output channels. Weights name.lI.W are [Cout, Cin·K·K], biases
// name.lI.b [Cout]; weights initialised uniformly with fan_in = Cin·K·K and
// fan_out = Cout·K·K (He for relu/elu, Glorot otherwise), biases zero.
func NewConv2d(ps *Params, name string, r *rand.Rand, in []int, channels []int, k, s, p int, act, outAct ops.Act) (*Conv, error) {
	return newConv(ps, name, r, in, channels, k, s, p, act, outAct, false)
}

// NewConvTranspose2d registers a transposed-convolution stack (PyTorch's
// ConvTranspose2d without output padding): each layer maps [Cin, H, W] to
// [Cout, (H-1)·S - 2P + K, (W-1)·S - 2P + K]. Weights name.lI.W are
// [Cin, Cout·K·K], biases name.lI.b [Cout]; initialisation as NewConv2d.
func NewConvTranspose2d(ps *Params, name string, r *rand.Rand, in []int, channels []int, k, s, p int, act, outAct ops.Act) (*Conv, error) {
	return newConv(ps, name, r, in, channels, k, s, p, act, outAct, true)
}

func newConv(ps *Params, name string, r *rand.Rand, in []int, channels []int, k, s, p int, act, outAct ops.Act, transposed bool) (*Conv, error) {
	what := "conv " + name
	if transposed {
		what = "conv transpose " + name
	}
	if len(in) != 3 {
		return nil, fmt.Errorf("%s: input shape must be [C, H, W], got %v", what, in)
	}
	if len(channels) == 0 {
		return nil, fmt.Errorf("%s: no layers", what)
	}
	if r == nil {
		return nil, fmt.Errorf("%s: nil *rand.Rand", what)
	}
	for _, a := range []ops.Act{act, outAct} {
		if _, err := ops.ParseAct(string(a)); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	c := &Conv{name: name, In: append([]int(nil), in...), transposed: transposed, ps: ps}
	cur := [3]int{in[0], in[1], in[2]}
	for i, ch := range channels {
		if ch < 1 {
			return nil, fmt.Errorf("%s: layer %d has %d channels", what, i, ch)
		}
		l := convLayer{in: cur, k: k, s: s, p: p, transposed: transposed, act: act}
		if i == len(channels)-1 {
			l.act = outAct
		}
		var h, w int
		var err error
		if transposed {
			h, w, err = ops.TransposedOut(cur[1], cur[2], k, s, p)
		} else {
			h, w, err = ops.ConvGeom{C: cur[0], H: cur[1], W: cur[2], K: k, S: s, P: p}.Out()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: layer %d on %v: %w", what, i, cur, err)
		}
		l.out = [3]int{ch, h, w}
		fanIn, fanOut := cur[0]*k*k, ch*k*k
		wshape := []int{ch, cur[0] * k * k}
		if transposed {
			wshape = []int{cur[0], ch * k * k}
		}
		if l.w, err = ps.add(fmt.Sprintf("%s.l%d.W", name, i), wshape, uniform(r, initLimit(l.act, fanIn, fanOut))); err != nil {
			return nil, err
		}
		if l.b, err = ps.add(fmt.Sprintf("%s.l%d.b", name, i), []int{ch}, zero); err != nil {
			return nil, err
		}
		c.layers = append(c.layers, l)
		cur = l.out
	}
	return c, nil
}

// Name returns the stack's prefix.
func (c *Conv) Name() string { return c.name }

// Params returns every layer's weight and bias in order.
func (c *Conv) Params() []*Param {
	var out []*Param
	for _, l := range c.layers {
		out = append(out, l.w, l.b)
	}
	return out
}

// OutShape returns the last layer's [C, H, W] for the input shape the stack
// was built for; any other input shape is an error.
func (c *Conv) OutShape(in []int) ([]int, error) {
	if len(in) != 3 || in[0] != c.In[0] || in[1] != c.In[1] || in[2] != c.In[2] {
		return nil, fmt.Errorf("conv %s: built for input %v, got %v", c.name, c.In, in)
	}
	o := c.layers[len(c.layers)-1].out
	return []int{o[0], o[1], o[2]}, nil
}

// Apply runs the stack on x [B, C·H·W], giving [B, prod(OutShape)].
func (c *Conv) Apply(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
	what := "conv " + c.name
	if err := input(what, g, x, c.In[0]*c.In[1]*c.In[2]); err != nil {
		return nil, err
	}
	h := x
	for i, l := range c.layers {
		w, err := c.ps.Node(g, l.w)
		if err != nil {
			return nil, err
		}
		b, err := c.ps.Node(g, l.b)
		if err != nil {
			return nil, err
		}
		if l.transposed {
			h, err = ops.ConvTranspose2d(h, w, l.in[0], l.in[1], l.in[2], l.out[0], l.k, l.s, l.p)
		} else {
			h, err = ops.Conv2d(h, w, ops.ConvGeom{C: l.in[0], H: l.in[1], W: l.in[2], K: l.k, S: l.s, P: l.p})
		}
		if err != nil {
			return nil, fmt.Errorf("%s layer %d: %w", what, i, err)
		}
		if h, err = ops.BiasAct(h, b, l.out[1]*l.out[2], l.act); err != nil {
			return nil, fmt.Errorf("%s layer %d: %w", what, i, err)
		}
	}
	return h, nil
}

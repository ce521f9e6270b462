package check

import "fmt"

// imageKind describes a network kind that maps an image [c, h, w] through
// a stack of layers, one per entry of `channels`: its argument defaults,
// its per-layer size rule and the compiler/nn block that builds it.
// imageNet turns it into its netKind; conv and deconv are two
// (net_conv.go, net_deconv.go).
type imageKind struct {
	name           string
	kernel, stride int
	padding        func(kernel int) int
	outAct         string // default out_act; "" means act's
	// size maps one spatial size through one layer of kernel k, stride s
	// and padding p, saturating (addSat, mulSat) instead of overflowing.
	size func(h, k, s, p int64) int64
	// block names the compiler/nn constructor.
	block string
}

// imageNet returns the network kind of the image kind ik: KIND(channels,
// kernel:, stride:, padding:, act: relu, out_act:).
func imageNet(ik imageKind) netKind {
	return netKind{
		name:   ik.name,
		params: []param{{name: "channels", required: true, positional: true}, {name: "kernel"}, {name: "stride"}, {name: "padding"}, {name: "act"}, {name: "out_act"}},
		block:  ik.block,
		decl: func(a *netArgs, n *Net) bool {
			n.Channels = a.listOr("channels")
			if len(n.Channels) == 0 && a.ok {
				a.c.errorf(a.d.Kind.Pos, a.d.Kind.EndPos, "%s needs at least one layer in `channels`", ik.name)
				a.ok = false
			}
			n.Kernel = a.intOr("kernel", ik.kernel, 1)
			n.Stride = a.intOr("stride", ik.stride, 1)
			n.Padding = a.intOr("padding", ik.padding(n.Kernel), 0)
			n.Act = a.actOr("act", "relu")
			outAct := ik.outAct
			if outAct == "" {
				outAct = n.Act
			}
			n.OutAct = a.actOr("out_act", outAct)
			return a.ok
		},
		out: func(n *Net, in Shape) (Shape, string) {
			if len(in) != 3 {
				return nil, fmt.Sprintf("%s `%s` needs an image input [channels, height, width], got shape %s; reshape it first with reshape(..., [c, h, w])", n.Kind, n.Name, in)
			}
			h, w := in[1], in[2]
			k, s, p := int64(n.Kernel), int64(n.Stride), int64(n.Padding)
			for i := range n.Channels {
				h, w = int(ik.size(int64(h), k, s, p)), int(ik.size(int64(w), k, s, p))
				if h < 1 || w < 1 {
					return nil, fmt.Sprintf("%s `%s` shrinks its input %s to nothing at layer %d (kernel %d, stride %d, padding %d)", n.Kind, n.Name, in, i+1, n.Kernel, n.Stride, n.Padding)
				}
			}
			return Shape{n.Channels[len(n.Channels)-1], h, w}, ""
		},
		count: func(n *Net) int64 {
			if len(n.In) != 3 {
				return 0
			}
			var p int64
			cin, kk := int64(n.In[0]), mulSat(int64(n.Kernel), int64(n.Kernel))
			for _, ch := range n.Channels {
				p = addSat(p, addSat(mulSat(mulSat(cin, int64(ch)), kk), int64(ch)))
				cin = int64(ch)
			}
			return p
		},
		layers: func(n *Net) []int64 {
			if len(n.In) != 3 {
				return nil
			}
			var out []int64
			h, w := int64(n.In[1]), int64(n.In[2])
			k, s, pad := int64(n.Kernel), int64(n.Stride), int64(n.Padding)
			for _, ch := range n.Channels {
				h, w = ik.size(h, k, s, pad), ik.size(w, k, s, pad)
				out = append(out, mulSat(int64(ch), mulSat(max(h, 0), max(w, 0))))
			}
			return out
		},
	}
}

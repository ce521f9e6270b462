package nn

import (
	"fmt"
	"math/rand/v2"

	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// Net is a block with one input: Apply maps x [B, prod(in)] to
// [B, prod(OutShape(in))], sharing the block's parameters across calls.
type Net interface {
	// Name returns the block's parameter-name prefix.
	Name() string
	// OutShape returns the per-example output shape for a per-example
	// input shape, or an error when the block cannot take that input.
	OutShape(in []int) ([]int, error)
	// Apply applies the block to x in graph g.
	Apply(g *G.ExprGraph, x *G.Node) (*G.Node, error)
	// Params returns the block's parameters in creation order.
	Params() []*Param
}

// Linear is an affine layer y = act(x·W + b) with W [In, Out], b [Out].
type Linear struct {
	name    string
	In, Out int
	Act     ops.Act
	W, B    *Param
	ps      *Params
}

// NewLinear registers a linear layer name.W [in, out] and name.b [out] in
// ps, W initialised uniformly (He for relu/elu act, Glorot otherwise) from
// r and b at zero.
func NewLinear(ps *Params, name string, r *rand.Rand, in, out int, act ops.Act) (*Linear, error) {
	if in < 1 || out < 1 {
		return nil, fmt.Errorf("linear %s: sizes must be positive (in %d, out %d)", name, in, out)
	}
	if _, err := ops.ParseAct(string(act)); err != nil {
		return nil, fmt.Errorf("linear %s: %w", name, err)
	}
	if r == nil {
		return nil, fmt.Errorf("linear %s: nil *rand.Rand", name)
	}
	w, err := ps.add(name+".W", []int{in, out}, uniform(r, initLimit(act, in, out)))
	if err != nil {
		return nil, err
	}
	b, err := ps.add(name+".b", []int{out}, zero)
	if err != nil {
		return nil, err
	}
	return &Linear{name: name, In: in, Out: out, Act: act, W: w, B: b, ps: ps}, nil
}

// Name returns the layer's prefix.
func (l *Linear) Name() string { return l.name }

// Params returns W and b.
func (l *Linear) Params() []*Param { return []*Param{l.W, l.B} }

// OutShape returns [Out] for any input shape of In elements.
func (l *Linear) OutShape(in []int) ([]int, error) {
	n, err := size("linear "+l.name, in)
	if err != nil {
		return nil, err
	}
	if n != l.In {
		return nil, fmt.Errorf("linear %s: input %v has %d elements, want %d", l.name, in, n, l.In)
	}
	return []int{l.Out}, nil
}

// Apply returns act(x·W + b) for x [B, In], as [B, Out].
func (l *Linear) Apply(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
	what := "linear " + l.name
	if err := input(what, g, x, l.In); err != nil {
		return nil, err
	}
	w, err := l.ps.Node(g, l.W)
	if err != nil {
		return nil, err
	}
	b, err := l.ps.Node(g, l.B)
	if err != nil {
		return nil, err
	}
	xw, err := ops.Safe(what, func() (*G.Node, error) { return ops.MatMul(x, w) })
	if err != nil {
		return nil, err
	}
	return ops.BiasAct(xw, b, 1, l.Act)
}

// MLP is a stack of linear layers: hidden layers with Act, then an optional
// output layer with OutAct.
type MLP struct {
	name   string
	Layers []*Linear
}

// NewMLP registers an MLP in → hidden[0] → … → hidden[n-1] (→ out) with
// layers named name.l0, name.l1, …. Hidden layers use act; the output
// layer (present when out > 0) uses outAct. With out ≤ 0 the last hidden
// layer is the output. At least one layer is required.
func NewMLP(ps *Params, name string, r *rand.Rand, in int, hidden []int, out int, act, outAct ops.Act) (*MLP, error) {
	sizes := append([]int{in}, hidden...)
	if out > 0 {
		sizes = append(sizes, out)
	}
	if len(sizes) < 2 {
		return nil, fmt.Errorf("mlp %s: no layers (no hidden sizes and no output size)", name)
	}
	m := &MLP{name: name}
	for i := 0; i+1 < len(sizes); i++ {
		a := act
		if out > 0 && i == len(sizes)-2 {
			a = outAct
		}
		l, err := NewLinear(ps, fmt.Sprintf("%s.l%d", name, i), r, sizes[i], sizes[i+1], a)
		if err != nil {
			return nil, fmt.Errorf("mlp %s: %w", name, err)
		}
		m.Layers = append(m.Layers, l)
	}
	return m, nil
}

// Name returns the MLP's prefix.
func (m *MLP) Name() string { return m.name }

// Params returns every layer's parameters in order.
func (m *MLP) Params() []*Param {
	var out []*Param
	for _, l := range m.Layers {
		out = append(out, l.Params()...)
	}
	return out
}

// OutShape returns [out] for an input of In elements.
func (m *MLP) OutShape(in []int) ([]int, error) {
	s := in
	for _, l := range m.Layers {
		var err error
		if s, err = l.OutShape(s); err != nil {
			return nil, fmt.Errorf("mlp %s: %w", m.name, err)
		}
	}
	return s, nil
}

// Apply applies every layer in turn to x [B, In].
func (m *MLP) Apply(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
	h := x
	for _, l := range m.Layers {
		var err error
		if h, err = l.Apply(g, h); err != nil {
			return nil, fmt.Errorf("mlp %s: %w", m.name, err)
		}
	}
	return h, nil
}

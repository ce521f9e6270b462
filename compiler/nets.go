package compiler

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/compiler/nn"
	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// Weights are a model's networks and their parameters. Every program built
// from the same Weights (training, evaluation, sampling) shares the
// parameter tensors, so an optimizer step is seen by all of them.
type Weights struct {
	Params *nn.Params
	nets   map[string]nn.Net
	grus   map[string]*nn.GRU
	order  []string
	// free holds the spec's params (check.Param), by name.
	free map[string]*nn.Param
}

// NewWeights creates the networks of m in declaration order, initialised
// from a PCG generator seeded with seed: the same spec and seed give the
// same parameters bit for bit.
func NewWeights(m *check.Model, float64s bool, seed uint64) (*Weights, error) {
	dt := tensor.Float32
	if float64s {
		dt = tensor.Float64
	}
	ps, err := nn.NewParams(dt)
	if err != nil {
		return nil, err
	}
	w := &Weights{Params: ps, nets: map[string]nn.Net{}, grus: map[string]*nn.GRU{}, free: map[string]*nn.Param{}}
	r := rand.New(rand.NewPCG(seed, 0x5344474d))
	for _, n := range m.Nets {
		if err := w.add(n, r); err != nil {
			return nil, lowerError(n.Pos, "network `%s`: %v", n.Name, err)
		}
		w.order = append(w.order, n.Name)
	}
	// The spec's params come after every network's weights and draw
	// nothing from r, so declaring one changes no network's initial values.
	for _, p := range m.Params {
		shape := []int{1, p.Shape.Size()}
		var np *nn.Param
		var err error
		if p.Values != nil {
			np, err = w.Params.AddValues(p.Name, shape, p.Values)
		} else {
			np, err = w.Params.Add(p.Name, shape, p.Init)
		}
		if err != nil {
			return nil, lowerError(p.Pos, "param `%s`: %v", p.Name, err)
		}
		w.free[p.Name] = np
	}
	return w, nil
}

// SpecParams returns the size of each of the spec's params, in declaration
// order.
func (w *Weights) SpecParams(m *check.Model) []NetCount {
	out := make([]NetCount, 0, len(m.Params))
	for _, p := range m.Params {
		if np := w.free[p.Name]; np != nil {
			out = append(out, NetCount{Name: p.Name, Count: np.Size()})
		}
	}
	return out
}

// paramRows returns param p in graph g repeated to r rows: a matrix
// [r, size] whose gradient sums over the rows into the one learned row.
func (w *Weights) paramRows(g *G.ExprGraph, p *check.Param, r int) (*G.Node, error) {
	np := w.free[p.Name]
	if np == nil {
		return nil, fmt.Errorf("param %s was not built", p.Name)
	}
	n, err := w.Params.Node(g, np)
	if err != nil {
		return nil, err
	}
	return ops.BroadcastTo(n, r, np.Size())
}

func (w *Weights) add(n *check.Net, r *rand.Rand) error {
	name, ok := check.NetBlock(n.Kind)
	build := netBlocks()[name]
	if !ok || build == nil {
		return fmt.Errorf("unknown network kind %s", n.Kind)
	}
	return build(w, n, r)
}

// netBlock adds the network n to w, its parameters drawn from r.
type netBlock func(w *Weights, n *check.Net, r *rand.Rand) error

// netBlocks maps the block a network kind names (check.NetBlock) to the
// constructor that builds it from its compiler/nn block.
func netBlocks() map[string]netBlock {
	return map[string]netBlock{
		"Linear": func(w *Weights, n *check.Net, r *rand.Rand) error {
			act, _, err := acts(n)
			if err != nil {
				return err
			}
			return w.addNet(n, func() (nn.Net, error) { return nn.NewLinear(w.Params, n.Name, r, n.In.Size(), n.Out, act) })
		},
		"MLP": func(w *Weights, n *check.Net, r *rand.Rand) error {
			act, outAct, err := acts(n)
			if err != nil {
				return err
			}
			return w.addNet(n, func() (nn.Net, error) {
				return nn.NewMLP(w.Params, n.Name, r, n.In.Size(), n.Hidden, n.Out, act, outAct)
			})
		},
		"Conv2d":          imageBlock(nn.NewConv2d),
		"ConvTranspose2d": imageBlock(nn.NewConvTranspose2d),
		"GRU": func(w *Weights, n *check.Net, r *rand.Rand) error {
			g, err := nn.NewGRU(w.Params, n.Name, r, n.In.Size(), n.Hidden[0])
			if err != nil {
				return err
			}
			w.grus[n.Name] = g
			return nil
		},
	}
}

// imageBlock is the netBlock of an image network built by newConv: a stack
// of layers of the given channels over an input image.
func imageBlock(newConv func(ps *nn.Params, name string, r *rand.Rand, in []int, channels []int, kernel, stride, padding int, act, outAct ops.Act) (*nn.Conv, error)) netBlock {
	return func(w *Weights, n *check.Net, r *rand.Rand) error {
		act, outAct, err := acts(n)
		if err != nil {
			return err
		}
		return w.addNet(n, func() (nn.Net, error) {
			return newConv(w.Params, n.Name, r, n.In, n.Channels, n.Kernel, n.Stride, n.Padding, act, outAct)
		})
	}
}

// acts parses n's activations.
func acts(n *check.Net) (act, outAct ops.Act, err error) {
	if act, err = ops.ParseAct(n.Act); err != nil {
		return
	}
	outAct, err = ops.ParseAct(n.OutAct)
	return
}

// addNet builds a network with build and records it as n's.
func (w *Weights) addNet(n *check.Net, build func() (nn.Net, error)) error {
	net, err := build()
	if err != nil {
		return err
	}
	w.nets[n.Name] = net
	return nil
}

// NetParams returns the number of parameter values of each network, in
// declaration order.
func (w *Weights) NetParams() []NetCount {
	out := make([]NetCount, 0, len(w.order))
	for _, name := range w.order {
		out = append(out, NetCount{Name: name, Count: w.Params.CountPrefix(name)})
	}
	return out
}

// NetCount is a network's parameter count.
type NetCount struct {
	Name  string
	Count int
}

// applyNet applies network n to its lowered arguments in graph g.
func (w *Weights) applyNet(g *G.ExprGraph, n *check.Net, args []*G.Node) (*G.Node, error) {
	if gru, ok := w.grus[n.Name]; ok {
		return gru.Step(g, args[0], args[1])
	}
	net, ok := w.nets[n.Name]
	if !ok {
		return nil, fmt.Errorf("network %s was not built", n.Name)
	}
	return net.Apply(g, args[0])
}

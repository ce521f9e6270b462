// Package nn holds the network blocks of the compiler (linear layers, MLPs,
// convolution and transposed convolution stacks, a GRU cell) and the
// parameter set they register their weights in.
//
// A block is built once, from a name prefix and a seeded *rand.Rand, and
// can then be applied any number of times, in any number of graphs: every
// application shares the block's parameters. Parameter values live in the
// Params set (one tensor per parameter, updated in place by the optimizer);
// each graph gets one node per parameter, bound to that tensor.
//
// Graph values are matrices [B, D] with D the product of the per-example
// shape (row-major C, H, W for images).
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is one named parameter tensor.
type Param struct {
	Name  string
	Shape []int
	// value holds the parameter's data (float32 or float64, the set's
	// dtype); every graph's node for this parameter is bound to it.
	value *tensor.Dense
}

// Size returns the number of scalars in p.
func (p *Param) Size() int { return p.value.Shape().TotalSize() }

// F32 returns p's values, row-major, when its set is float32, and nil
// otherwise. The slice is the parameter itself: every graph reads it and an
// optimizer updates it in place.
func (p *Param) F32() []float32 {
	d, _ := p.value.Data().([]float32)
	return d
}

// F64 returns p's values, row-major, when its set is float64, and nil
// otherwise; like F32, the slice is the parameter itself.
func (p *Param) F64() []float64 {
	d, _ := p.value.Data().([]float64)
	return d
}

// Params is an ordered set of parameters of one dtype, with at most one
// graph node per parameter per graph. It is not safe for concurrent use:
// build graphs that share a set one at a time (running the built graphs'
// machines concurrently only reads and writes the shared tensors, which is
// the caller's to order).
type Params struct {
	dt     tensor.Dtype
	list   []*Param
	byName map[string]*Param
	nodes  map[*G.ExprGraph]map[*Param]*G.Node
}

// NewParams returns an empty set of parameters of dtype dt (tensor.Float32
// or tensor.Float64).
func NewParams(dt tensor.Dtype) (*Params, error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("params: unsupported dtype %v", dt)
	}
	return &Params{dt: dt, byName: map[string]*Param{}, nodes: map[*G.ExprGraph]map[*Param]*G.Node{}}, nil
}

// Dtype returns the set's dtype.
func (ps *Params) Dtype() tensor.Dtype { return ps.dt }

// Float64 reports whether the set holds float64 values (else float32).
func (ps *Params) Float64() bool { return ps.dt == tensor.Float64 }

// List returns the parameters in creation order.
func (ps *Params) List() []*Param { return append([]*Param(nil), ps.list...) }

// Get returns the parameter called name, or nil.
func (ps *Params) Get(name string) *Param { return ps.byName[name] }

// Count returns the total number of scalars in the set.
func (ps *Params) Count() int {
	n := 0
	for _, p := range ps.list {
		n += p.Size()
	}
	return n
}

// CountPrefix returns the number of scalars in parameters whose names start
// with prefix + ".".
func (ps *Params) CountPrefix(prefix string) int {
	n := 0
	for _, p := range ps.list {
		if len(p.Name) > len(prefix) && p.Name[:len(prefix)+1] == prefix+"." {
			n += p.Size()
		}
	}
	return n
}

// Add creates a parameter called name of the given shape with every
// element set to v: a free learned tensor that belongs to no block.
func (ps *Params) Add(name string, shape []int, v float64) (*Param, error) {
	return ps.add(name, shape, func() float64 { return v })
}

// AddValues creates a parameter called name of the given shape holding
// values, row-major: a free learned tensor with a given initial value per
// element.
func (ps *Params) AddValues(name string, shape []int, values []float64) (*Param, error) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(values) != n {
		return nil, fmt.Errorf("params: %q has %d elements, %d initial values", name, n, len(values))
	}
	i := 0
	return ps.add(name, shape, func() float64 { i++; return values[i-1] })
}

// add creates a parameter with values drawn by init (called once per
// element, in row-major order).
func (ps *Params) add(name string, shape []int, init func() float64) (*Param, error) {
	if _, dup := ps.byName[name]; dup {
		return nil, fmt.Errorf("params: %q defined twice", name)
	}
	for _, d := range shape {
		if d < 1 {
			return nil, fmt.Errorf("params: %q has bad shape %v", name, shape)
		}
	}
	t := tensor.New(tensor.Of(ps.dt), tensor.WithShape(shape...))
	switch d := t.Data().(type) {
	case []float64:
		for i := range d {
			d[i] = init()
		}
	case []float32:
		for i := range d {
			d[i] = float32(init())
		}
	}
	p := &Param{Name: name, Shape: append([]int(nil), shape...), value: t}
	ps.list = append(ps.list, p)
	ps.byName[name] = p
	return p, nil
}

// Node returns p's node in g, creating it (bound to p's values) on first use.
func (ps *Params) Node(g *G.ExprGraph, p *Param) (*G.Node, error) {
	if ps.byName[p.Name] != p {
		return nil, fmt.Errorf("params: %q is not in this set", p.Name)
	}
	m := ps.nodes[g]
	if m == nil {
		m = map[*Param]*G.Node{}
		ps.nodes[g] = m
	}
	if n := m[p]; n != nil {
		return n, nil
	}
	n, err := ops.Safe("param "+p.Name, func() (*G.Node, error) {
		return G.NewTensor(g, ps.dt, len(p.Shape), G.WithShape(p.Shape...), G.WithName(p.Name), G.WithValue(p.value)), nil
	})
	if err != nil {
		return nil, err
	}
	m[p] = n
	return n, nil
}

// Nodes returns the nodes created in g so far (the parameters some block
// applied in g uses), in parameter order: the list to differentiate with
// respect to and to bind dual values for.
func (ps *Params) Nodes(g *G.ExprGraph) G.Nodes {
	var out G.Nodes
	for _, p := range ps.list {
		if n := ps.nodes[g][p]; n != nil {
			out = append(out, n)
		}
	}
	return out
}

// Forget drops the set's nodes for g (after g is discarded). Until then
// the set keeps g, and everything g's machine holds, reachable.
func (ps *Params) Forget(g *G.ExprGraph) { delete(ps.nodes, g) }

// Graphs returns how many graphs hold nodes of the set (not yet
// forgotten).
func (ps *Params) Graphs() int { return len(ps.nodes) }

// uniform returns an initialiser drawing from U(-limit, limit) with r.
func uniform(r *rand.Rand, limit float64) func() float64 {
	return func() float64 { return (2*r.Float64() - 1) * limit }
}

func zero() float64 { return 0 }

// initLimit returns the bound of the uniform initialisation of a weight
// with the given fans feeding activation a: He uniform, sqrt(6/fan_in), for
// ReLU and ELU; Glorot uniform, sqrt(6/(fan_in+fan_out)), otherwise.
func initLimit(a ops.Act, fanIn, fanOut int) float64 {
	if a == ops.ReLU || a == ops.ELU {
		return math.Sqrt(6 / float64(fanIn))
	}
	return math.Sqrt(6 / float64(fanIn+fanOut))
}

// size returns the product of a per-example shape, or an error for an
// empty or non-positive shape.
func size(what string, in []int) (int, error) {
	if len(in) == 0 {
		return 0, fmt.Errorf("%s: empty input shape", what)
	}
	n := 1
	for _, d := range in {
		if d < 1 {
			return 0, fmt.Errorf("%s: bad input shape %v", what, in)
		}
		n *= d
	}
	return n, nil
}

// input checks that x is a matrix [B, d] in g.
func input(what string, g *G.ExprGraph, x *G.Node, d int) error {
	if x == nil {
		return fmt.Errorf("%s: nil input", what)
	}
	if g == nil || x.Graph() != g {
		return fmt.Errorf("%s: input is not in the given graph", what)
	}
	if s := x.Shape(); s.Dims() != 2 || s[1] != d {
		return fmt.Errorf("%s: want input [B, %d], got %v", what, d, s)
	}
	return nil
}

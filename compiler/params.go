package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is one parameter tensor. Every graph a program builds binds its
// node for the parameter to the same tensor, so an optimizer step on Data
// is seen by the training and the evaluation graphs alike.
type Param struct {
	Name  string
	Shape []int
	Value *tensor.Dense
	nodes map[*G.ExprGraph]*G.Node
}

// Size is the number of elements.
func (p *Param) Size() int { return p.Value.Shape().TotalSize() }

// ParamSet holds a program's parameters in creation order. Initial values
// come from the set's seeded generator, so the same spec, options and seed
// give the same parameters bit for bit (Gorgonia's own initialisers seed
// from the clock and are never used).
type ParamSet struct {
	dt     tensor.Dtype
	rng    *rand.Rand
	list   []*Param
	byName map[string]*Param
}

// NewParamSet returns an empty parameter set whose initial values are drawn
// from a PCG generator seeded with seed.
func NewParamSet(dt tensor.Dtype, seed uint64) *ParamSet {
	return &ParamSet{dt: dt, rng: rand.New(rand.NewPCG(seed, 0x5344474d)), byName: map[string]*Param{}}
}

// List returns the parameters in creation order.
func (ps *ParamSet) List() []*Param { return ps.list }

// Lookup returns the parameter called name, or nil.
func (ps *ParamSet) Lookup(name string) *Param { return ps.byName[name] }

// Count returns the total number of parameter values.
func (ps *ParamSet) Count() int {
	n := 0
	for _, p := range ps.list {
		n += p.Size()
	}
	return n
}

// initKind says how a new parameter is initialised.
type initKind int

const (
	initZero    initKind = iota
	initUniform          // U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)) (Glorot)
)

// node returns the node of parameter name in graph g, creating the
// parameter (with its initial value) on first use and the node on first use
// in g. A second request with another shape is an error.
func (ps *ParamSet) node(g *G.ExprGraph, name string, shape []int, kind initKind, fanIn, fanOut int, gain float64) (*G.Node, error) {
	p, ok := ps.byName[name]
	if !ok {
		t := tensor.New(tensor.Of(ps.dt), tensor.WithShape(shape...))
		if kind == initUniform {
			a := gain * math.Sqrt(6/float64(fanIn+fanOut))
			switch d := t.Data().(type) {
			case []float32:
				for i := range d {
					d[i] = float32((2*ps.rng.Float64() - 1) * a)
				}
			case []float64:
				for i := range d {
					d[i] = (2*ps.rng.Float64() - 1) * a
				}
			}
		}
		p = &Param{Name: name, Shape: append([]int(nil), shape...), Value: t, nodes: map[*G.ExprGraph]*G.Node{}}
		ps.list = append(ps.list, p)
		ps.byName[name] = p
	} else if !sameInts(p.Shape, shape) {
		return nil, fmt.Errorf("parameter %s has shape %v, requested %v", name, p.Shape, shape)
	}
	if n, ok := p.nodes[g]; ok {
		return n, nil
	}
	var n *G.Node
	if len(shape) == 1 {
		n = G.NewVector(g, ps.dt, G.WithShape(shape...), G.WithName(name), G.WithValue(p.Value))
	} else {
		n = G.NewTensor(g, ps.dt, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(p.Value))
	}
	p.nodes[g] = n
	return n, nil
}

// nodes returns the nodes of every parameter used in g, in creation order.
func (ps *ParamSet) nodes(g *G.ExprGraph) G.Nodes {
	var out G.Nodes
	for _, p := range ps.list {
		if n, ok := p.nodes[g]; ok {
			out = append(out, n)
		}
	}
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

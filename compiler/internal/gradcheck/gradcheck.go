// Package gradcheck compares the symbolic gradients Gorgonia builds for a
// graph with central finite differences, in float64. It is a test helper for
// the compiler packages.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Floor is the smallest denominator of the relative error: elements whose
// gradients are both below Floor in magnitude are compared absolutely.
const Floor = 1e-3

// Step is the finite-difference step.
const Step = 1e-5

// Build builds the function under test from the input nodes; its output may
// have any shape.
type Build func(g *G.ExprGraph, in G.Nodes) (*G.Node, error)

// Result holds the outcome of a check.
type Result struct {
	MaxRel float64 // worst |analytic - numeric| / max(|analytic|, |numeric|, Floor)
	Where  string  // the input and element of the worst error
	Loss   float64 // the loss at the unperturbed inputs
}

// Check builds loss = Σ w ⊙ f(inputs) with fixed pseudo-random weights w in
// [-1, 1] (seeded by seed), runs a TapeMachine with BindDualValues over the
// inputs, and compares each input's gradient with central finite
// differences of the loss. Inputs are float64 tensors; they are restored on
// return.
func Check(f Build, seed uint64, inputs ...*tensor.Dense) (Result, error) {
	g := G.NewGraph()
	nodes := make(G.Nodes, len(inputs))
	for i, x := range inputs {
		if x.Dtype() != tensor.Float64 {
			return Result{}, fmt.Errorf("input %d: want float64, got %v", i, x.Dtype())
		}
		nodes[i] = G.NewTensor(g, tensor.Float64, x.Dims(), G.WithShape(x.Shape().Clone()...),
			G.WithValue(x), G.WithName(fmt.Sprintf("in%d", i)))
	}
	out, err := f(g, nodes)
	if err != nil {
		return Result{}, err
	}
	return CheckGraph(g, out, nodes, seed)
}

// CheckGraph is Check for a graph built by the caller: wrt are input nodes
// of g bound to float64 *tensor.Dense values (parameters, inputs), out any
// node of g that depends on them.
func CheckGraph(g *G.ExprGraph, out *G.Node, nodes G.Nodes, seed uint64) (Result, error) {
	inputs := make([]*tensor.Dense, len(nodes))
	for i, n := range nodes {
		d, ok := n.Value().(*tensor.Dense)
		if !ok || d.Dtype() != tensor.Float64 {
			return Result{}, fmt.Errorf("wrt %d (%s): want a bound float64 tensor, got %T", i, n.Name(), n.Value())
		}
		inputs[i] = d
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	wv := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(out.Shape().Clone()...))
	for i, d := 0, wv.Data().([]float64); i < len(d); i++ {
		d[i] = 2*r.Float64() - 1
	}
	w := G.NewTensor(g, tensor.Float64, out.Shape().Dims(), G.WithShape(out.Shape().Clone()...), G.WithValue(wv), G.WithName("w"))
	prod, err := G.HadamardProd(out, w)
	if err != nil {
		return Result{}, err
	}
	loss, err := G.Sum(prod)
	if err != nil {
		return Result{}, err
	}
	if _, err := G.Grad(loss, nodes...); err != nil {
		return Result{}, fmt.Errorf("grad: %w", err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(nodes...))
	defer m.Close()
	run := func() (float64, error) {
		m.Reset()
		if err := m.RunAll(); err != nil {
			return 0, err
		}
		v, ok := loss.Value().Data().(float64)
		if !ok {
			return 0, fmt.Errorf("loss is %T", loss.Value().Data())
		}
		return v, nil
	}
	l0, err := run()
	if err != nil {
		return Result{}, err
	}
	grads := make([][]float64, len(nodes))
	for i, n := range nodes {
		gv, err := n.Grad()
		if err != nil {
			return Result{}, fmt.Errorf("input %d grad: %w", i, err)
		}
		grads[i] = append([]float64(nil), gv.Data().([]float64)...)
	}
	res := Result{Loss: l0}
	for i, x := range inputs {
		data := x.Data().([]float64)
		for j := range data {
			orig := data[j]
			data[j] = orig + Step
			lp, err := run()
			if err != nil {
				data[j] = orig
				return res, err
			}
			data[j] = orig - Step
			lm, err := run()
			data[j] = orig
			if err != nil {
				return res, err
			}
			num := (lp - lm) / (2 * Step)
			a := grads[i][j]
			rel := math.Abs(a-num) / math.Max(Floor, math.Max(math.Abs(a), math.Abs(num)))
			if math.IsNaN(rel) {
				rel = math.Inf(1)
			}
			if rel > res.MaxRel || res.Where == "" {
				res.MaxRel = rel
				res.Where = fmt.Sprintf("input %d element %d: analytic %.12g numeric %.12g", i, j, a, num)
			}
		}
	}
	return res, nil
}

// Tensor returns a float64 tensor of the given shape filled from r with
// values in [lo, hi).
func Tensor(r *rand.Rand, lo, hi float64, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(shape...))
	for i, d := 0, t.Data().([]float64); i < len(d); i++ {
		d[i] = lo + (hi-lo)*r.Float64()
	}
	return t
}

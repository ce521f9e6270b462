// Package ops holds the custom Gorgonia operations and composites that fill
// Gorgonia v0.9.18's gaps: a stable log-sum-exp and softmax, a fused bias add,
// vectorised activations, row-wise dot products for one-hot gathers, fused
// element-wise log-likelihoods, convolution and transposed convolution, and
// the spatial transformer read and write.
//
// Every graph value is a 2-D node [B, D] (batch rows, per-example size);
// reductions over the per-example axis return a 1-D node [B]. All ops accept
// float32 and float64 and never panic on bad shapes: they return errors, and
// panics raised inside Gorgonia while building are recovered into errors.
//
// The ops support symbolic differentiation (Gorgonia's SDOp, used by
// G.Grad and the TapeMachine), not the LispMachine's DoDiff. BiasAct,
// Activate and Affine may write their result over their first input when
// the TapeMachine's register allocation finds that input dead afterwards,
// as Gorgonia's own element-wise ops do: read intermediate values with
// G.Read, not Node.Value() after the run.
package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"strings"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// float is the set of element types every kernel supports.
type float interface{ ~float32 | ~float64 }

// kernel computes an op's output from its inputs; the output is zeroed on
// entry unless the op is marked full. Inputs of scalar nodes arrive as one-element slices.
type kernel struct {
	f32 func(out []float32, in [][]float32) error
	f64 func(out []float64, in [][]float64) error
}

// gradFn builds the symbolic gradients of an op's inputs.
type gradFn func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error)

// op is the one implementation of Gorgonia's Op, SDOp interfaces behind
// every custom operation in this package. Its name carries every parameter
// so that Gorgonia's hash-consing never merges two different ops.
type op struct {
	name    string
	inDims  []int // dims of each input, 0 for a scalar
	outDims int
	shape   func(in []tensor.Shape) (tensor.Shape, error)
	k       kernel
	diff    []bool
	grad    gradFn
	// inplace marks kernels that may write their output over input 0
	// (same shape, every element written, element i read before written).
	inplace bool
	// full marks kernels that write every output element: a reused
	// output buffer is then not zeroed first (the kernel's out is not
	// zeroed on entry).
	full bool
	// buf is the output tensor of the previous run, reused (zeroed) when
	// its shape and dtype fit; see do.
	buf *tensor.Dense
}

func (o *op) Arity() int { return len(o.inDims) }

func (o *op) Type() hm.Type {
	a := hm.TypeVariable('a')
	mk := func(d int) hm.Type {
		if d == 0 {
			return a
		}
		return G.TensorType{Dims: d, Of: a}
	}
	ts := make([]hm.Type, 0, len(o.inDims)+1)
	for _, d := range o.inDims {
		ts = append(ts, mk(d))
	}
	ts = append(ts, mk(o.outDims))
	return hm.NewFnType(ts...)
}

func (o *op) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != len(o.inDims) {
		return nil, fmt.Errorf("%s: want %d inputs, got %d", o.name, len(o.inDims), len(ds))
	}
	shps := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("%s: input %d has no shape", o.name, i)
		}
		shps[i] = s
	}
	return o.shape(shps)
}

func (o *op) Do(vs ...G.Value) (G.Value, error) { return o.do(false, vs) }

// UnsafeDo computes the op over input 0's storage where the op allows it;
// Gorgonia calls it only when input 0 is dead after this op.
func (o *op) UnsafeDo(vs ...G.Value) (G.Value, error) { return o.do(o.inplace, vs) }

func (o *op) do(inplace bool, vs []G.Value) (G.Value, error) {
	if len(vs) != len(o.inDims) {
		return nil, fmt.Errorf("%s: want %d inputs, got %d", o.name, len(o.inDims), len(vs))
	}
	shps := make([]tensor.Shape, len(vs))
	for i, v := range vs {
		shps[i] = v.Shape()
	}
	out, err := o.shape(shps)
	if err != nil {
		return nil, err
	}
	dt := vs[0].Dtype()
	var t *tensor.Dense
	if d, ok := vs[0].(*tensor.Dense); ok && inplace && !d.RequiresIterator() && sameShape(d.Shape(), out) {
		t = d
	} else if o.buf != nil && o.buf.Dtype() == dt && sameShape(o.buf.Shape(), out) {
		// An op runs once per run of a TapeMachine, which forgets every
		// register value between runs (Reset), and Gorgonia copies what it
		// keeps (reads, gradient accumulation): the last run's output is
		// free to reuse, saving an allocation (and garbage) per op and run.
		t = o.buf
		if !o.full && !o.inplace { // an inplace kernel writes every element
			switch d := t.Data().(type) {
			case []float32:
				clear(d)
			case []float64:
				clear(d)
			}
		}
	} else {
		t = tensor.New(tensor.Of(dt), tensor.WithShape(out...))
		o.buf = t
	}
	switch dt {
	case tensor.Float64:
		in, err := slices[float64](vs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
		err = o.k.f64(t.Data().([]float64), in)
		return t, err
	case tensor.Float32:
		in, err := slices[float32](vs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
		err = o.k.f32(t.Data().([]float32), in)
		return t, err
	}
	return nil, fmt.Errorf("%s: unsupported dtype %v", o.name, dt)
}

// slices returns the flat, row-major data of each value.
func slices[T float](vs []G.Value) ([][]T, error) {
	out := make([][]T, len(vs))
	for i, v := range vs {
		switch d := v.Data().(type) {
		case []T:
			if dd, ok := v.(*tensor.Dense); ok && dd.RequiresIterator() {
				c := dd.Materialize().(*tensor.Dense)
				d = c.Data().([]T)
			}
			out[i] = d
		case T:
			out[i] = []T{d}
		default:
			return nil, fmt.Errorf("input %d: mixed or unsupported data %T", i, d)
		}
	}
	return out, nil
}

func (o *op) ReturnsPtr() bool  { return false }
func (o *op) CallsExtern() bool { return false }
func (o *op) OverwritesInput() int {
	if o.inplace {
		return 0
	}
	return -1
}
func (o *op) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "ssdgm.%s%v", o.name, o.inDims)
}
func (o *op) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o *op) String() string { return o.name }

func (o *op) DiffWRT(n int) []bool {
	out := make([]bool, n)
	copy(out, o.diff)
	return out
}

func (o *op) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if o.grad == nil {
		return nil, fmt.Errorf("%s is not differentiable", o.name)
	}
	return o.grad(inputs, output, grad)
}

// apply adds o to the graph over xs, turning Gorgonia panics into errors.
func apply(o *op, xs ...*G.Node) (n *G.Node, err error) {
	for i, x := range xs {
		if x == nil {
			return nil, fmt.Errorf("%s: input %d is nil", o.name, i)
		}
		if d := x.Shape().Dims(); d != o.inDims[i] && !(o.inDims[i] == 0 && x.IsScalar()) {
			return nil, fmt.Errorf("%s: input %d must have %d dims, has shape %v", o.name, i, o.inDims[i], x.Shape())
		}
	}
	shps := make([]tensor.Shape, len(xs))
	for i, x := range xs {
		shps[i] = x.Shape()
	}
	if _, err := o.shape(shps); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, fmt.Errorf("%s: gorgonia panicked: %v", o.name, r)
		}
	}()
	return G.ApplyOp(o, xs...)
}

// Safe runs f, turning a Gorgonia panic into an error. It is the boundary
// used by every composite in this package and by the dist and nn packages.
func Safe(what string, f func() (*G.Node, error)) (n *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, fmt.Errorf("%s: gorgonia panicked: %v", what, r)
		}
	}()
	n, err = f()
	if err != nil && !strings.HasPrefix(err.Error(), what) {
		err = fmt.Errorf("%s: %w", what, err)
	}
	return n, err
}

// matShape checks that s is a matrix and returns its rows and columns.
func matShape(name string, s tensor.Shape) (int, int, error) {
	if len(s) != 2 {
		return 0, 0, fmt.Errorf("%s: want a matrix [B, D], got shape %v", name, s)
	}
	return s[0], s[1], nil
}

// sameShape reports whether two shapes are equal.
func sameShape(a, b tensor.Shape) bool {
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

// Scalar returns a constant scalar node of g's dtype dt holding v.
func Scalar(g *G.ExprGraph, dt tensor.Dtype, v float64) (*G.Node, error) {
	switch dt {
	case tensor.Float64:
		return g.AddNode(G.NewConstant(v)), nil
	case tensor.Float32:
		return g.AddNode(G.NewConstant(float32(v))), nil
	}
	return nil, fmt.Errorf("scalar: unsupported dtype %v", dt)
}

package train

import (
	"fmt"

	"ssdgm/compiler"
	"ssdgm/compiler/nn"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/optim"
)

// Optimizer steps the parameters of a Weights with the fused Adam of
// runtime/optim, whatever the dtype; Step also zeroes the gradients.
type Optimizer interface {
	Step(grads compiler.Grads) error
}

// NewOptimizer returns the Adam optimizer of w's parameters; grads passed to
// Step are Program.Grads(), in w.Params order.
func NewOptimizer(w *compiler.Weights, cfg optim.Config) (Optimizer, error) {
	return newOptimizer(w, cfg)
}

// optimizer is an Optimizer that also saves and restores its state.
type optimizer interface {
	Optimizer
	setLR(lr float64) error
	save(c *ckpt.Checkpoint)
	load(c *ckpt.Checkpoint) error
}

// adam is the Adam optimizer of parameters of element type T: values
// reads a parameter's values and grads a program's gradients of that type.
type adam[T optim.Float] struct {
	w      *compiler.Weights
	a      *optim.Adam[T]
	params [][]T
	grads  func(compiler.Grads) [][]T
}

func newOptimizer(w *compiler.Weights, cfg optim.Config) (optimizer, error) {
	if w.Params.Float64() {
		return newAdam(w, cfg, (*nn.Param).F64, func(g compiler.Grads) [][]float64 { return g.F64 })
	}
	return newAdam(w, cfg, (*nn.Param).F32, func(g compiler.Grads) [][]float32 { return g.F32 })
}

func newAdam[T optim.Float](w *compiler.Weights, cfg optim.Config, values func(*nn.Param) []T, grads func(compiler.Grads) [][]T) (*adam[T], error) {
	list := w.Params.List()
	sizes := make([]int, len(list))
	params := make([][]T, len(list))
	for i, p := range list {
		sizes[i] = p.Size()
		params[i] = values(p)
		if len(params[i]) != sizes[i] {
			return nil, fmt.Errorf("optimizer: parameter %s holds %d values of its dtype, want %d", p.Name, len(params[i]), sizes[i])
		}
	}
	a, err := optim.NewAdam[T](cfg, sizes)
	if err != nil {
		return nil, err
	}
	return &adam[T]{w: w, a: a, params: params, grads: grads}, nil
}

// Step applies one Adam update from grads and zeroes them.
func (o *adam[T]) Step(grads compiler.Grads) error {
	g := o.grads(grads)
	if len(g) != len(o.params) {
		return fmt.Errorf("optimizer: %d gradients of the parameters' dtype for %d parameters", len(g), len(o.params))
	}
	return o.a.Step(o.params, g)
}

func (o *adam[T]) setLR(lr float64) error { return o.a.SetLR(lr) }

func (o *adam[T]) save(c *ckpt.Checkpoint) {
	st := o.a.State()
	c.AdamStep = st.Step
	list := o.w.Params.List()
	c.Params, c.AdamM, c.AdamV = nil, nil, nil
	for i, p := range list {
		c.Params = append(c.Params, tensorOf(p.Name, p.Shape, o.params[i]))
		c.AdamM = append(c.AdamM, tensorOf(p.Name, p.Shape, st.M[i]))
		c.AdamV = append(c.AdamV, tensorOf(p.Name, p.Shape, st.V[i]))
	}
}

func (o *adam[T]) load(c *ckpt.Checkpoint) error {
	list := o.w.Params.List()
	if len(c.Params) != len(list) || len(c.AdamM) != len(list) || len(c.AdamV) != len(list) {
		return fmt.Errorf("checkpoint holds %d parameters, the model has %d", len(c.Params), len(list))
	}
	st := o.a.State()
	st.Step = c.AdamStep
	for i, p := range list {
		for _, pair := range []struct {
			t   ckpt.Tensor
			dst []T
		}{{c.Params[i], o.params[i]}, {c.AdamM[i], st.M[i]}, {c.AdamV[i], st.V[i]}} {
			if pair.t.Name != p.Name {
				return fmt.Errorf("checkpoint tensor %q where the model has %q", pair.t.Name, p.Name)
			}
			if err := ckpt.CopyTo(pair.dst, pair.t); err != nil {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
		}
	}
	return o.a.SetState(st)
}

func tensorOf[T optim.Float](name string, shape []int, v []T) ckpt.Tensor {
	t := ckpt.Tensor{Name: name, Shape: append([]int(nil), shape...)}
	switch d := any(v).(type) {
	case []float32:
		t.F32 = append([]float32(nil), d...)
	case []float64:
		t.F64 = append([]float64(nil), d...)
	}
	return t
}

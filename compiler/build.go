package compiler

import (
	"fmt"
	"runtime"

	G "gorgonia.org/gorgonia"

	"ssdgm/lang/check"
)

// purpose is what a program is built for: the training step (Compile), an
// evaluation (NewEvaluator), a generator (NewGenerator) or an encoder
// (NewEncoder). It decides the branches the program lowers and whether the
// machine keeps gradients.
type purpose int

const (
	forTrain purpose = iota
	forEval
	forGenerate
	forEncode
)

// String names the purpose in errors.
func (u purpose) String() string {
	return [...]string{"compile", "evaluator", "generator", "encoder"}[u]
}

// DefaultMaxEnumeration bounds the rows per data point of the enumerated
// variables when Options.MaxEnumeration is 0.
const DefaultMaxEnumeration = 256

// build is the one constructor of every program: it completes opts with
// the defaults (one sample, DefaultMaxEnumeration), makes the program with
// a fresh graph over w's parameters, lets lower build the purpose's
// branches into it (a Gorgonia panic there becomes an error naming the
// purpose and the model) and starts its TapeMachine, which keeps the
// parameters' gradients only for training.
func build(m *check.Model, w *Weights, u purpose, opts Options, lower func(p *Program) error) (p *Program, err error) {
	if opts.Samples < 1 {
		opts.Samples = 1
	}
	if opts.MaxEnumeration == 0 {
		opts.MaxEnumeration = DefaultMaxEnumeration
	}
	p = &Program{Model: m, opts: opts, dt: w.Params.Dtype(), w: w, g: G.NewGraph()}
	p.built = p.g
	g := p.g
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%s %s: gorgonia panicked: %v", u, m.Name, r)
		}
		if err != nil {
			w.Params.Forget(g) // a failed build leaves no nodes in the weights
		}
	}()
	if err := lower(p); err != nil {
		return nil, err
	}
	if u == forTrain {
		p.vm = G.NewTapeMachine(p.g, G.BindDualValues(p.pnodes...))
	} else {
		p.vm = G.NewTapeMachine(p.g)
	}
	// Gorgonia gives every TapeMachine a finalizer (it frees CUDA
	// contexts; a no-op in a build without the cuda tag). An object with a
	// finalizer is not freed while it is part of a reference cycle, and a
	// training program is one (its machine, graph, nodes and op kernels
	// refer to each other), so closed training programs stayed in memory:
	// with the parameter set's per-graph nodes (Close), a training run grew
	// by about 20 MB of resident memory an epoch on MNIST, 40 MB on SDGM.
	// TestProgramsAreFreed fails without this line.
	runtime.SetFinalizer(p.vm, nil)
	return p, nil
}

//END

// Package compiler lowers a checked model (lang/check) to Gorgonia graphs:
// networks with seeded, shared parameters, distributions (sampling with
// noise fed from a seeded source, log-densities), and the semi-supervised
// objective of Siddharth et al. (2017). It is the only package that imports
// Gorgonia; the runtime drives it through Program: build once, then per
// step bind a batch, run, read the loss and its terms and the gradients.
package compiler

import (
	"errors"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/lang/check"
	"ssdgm/lang/diag"
)

// Discrete says how an unobserved discrete variable is handled.
type Discrete struct {
	// Relax samples a Concrete (Gumbel-softmax) relaxation at Temperature
	// and scores the pmf at its argmax, as the paper's code did; otherwise
	// the variable is enumerated (summed out exactly).
	Relax       bool
	Temperature float64
}

// Options are the build settings of a training program.
type Options struct {
	Labelled   int // labelled batch size; 0: no labelled branch
	Unlabelled int // unlabelled batch size; 0: no unlabelled branch
	Samples    int // S, samples per data point (≥ 1)
	// Discrete maps a variable name to its handling; others use Default.
	Discrete map[string]Discrete
	Default  Discrete
	Alpha    float64 // α, the weight of log w in the supervised objective
	// SupWeight multiplies the labelled branch's mean objective so that the
	// step estimates Σ_n L(x_n) + γ Σ_m L^sup(x_m, y_m) up to the constant
	// 1/N: SupWeight = γ·M/N.
	SupWeight float64
	// SharedNoise draws the noise of every sampled latent (the ε of a
	// reparameterised family, the Gumbel noise of relaxed variables) once
	// per data point and sample and reuses it across the enumerated values
	// of the discrete latents, instead of once per enumerated row.
	SharedNoise bool
	// AnalyticKL replaces the Monte Carlo term log p(z | ·) − log q(z | ·)
	// of a continuous latent by −KL(q ‖ p) in closed form, per row, where
	// both are Normal and the estimate stays unbiased (analytic.go; see
	// Program.KLChoices for what each branch does).
	AnalyticKL bool
	// Balance is λ, the weight of the class-balance term λ·KL(q̄ ‖ U) that
	// the training program subtracts from the unlabelled objective for
	// every supervised discrete variable (balance.go); 0: none, the
	// paper's objective.
	Balance float64
	// noHoist computes every value of an enumerating branch at all of its
	// rows, also those invariant across the enumerated rows (hoist.go);
	// for tests that compare the two.
	noHoist bool
	// MaxEnumeration bounds the row expansion of enumerated variables (0:
	// DefaultMaxEnumeration).
	MaxEnumeration int
	// MaxBytes bounds the memory a branch's step would need, estimated
	// before anything is built (0: the model's Limits.Bytes, from the
	// checker, else check.DefaultLimits().Bytes).
	MaxBytes int64
	// Frozen marks parameters (in Weights.Params order) that training keeps
	// fixed (init.freeze): the program computes no gradient for them, so
	// the backward passes that would only feed them are left out of the
	// graph (for a frozen network read by trained ones, its whole backward
	// pass), and Grads returns zeros in their place. Empty: none.
	Frozen []bool
	// Shards splits every batch into this many equal parts, each a Program
	// of its own run concurrently (CompileStep, Shards); 0 or 1: one
	// Program. Compile itself ignores it.
	Shards int
	// part marks a Program that is one part of Shards, which updates the
	// parts' class-balance state itself after each step.
	part bool
	// Sets, when not empty, replaces Labelled and SupWeight: one labelled
	// branch per observed set, for data points that carry only some of the
	// supervised variables (the paper's objective with O per point).
	Sets []LabelSet
}

// LabelSet is one labelled branch: its data points carry exactly the
// supervised variables Observed (clamped to their labels); every other
// latent is sampled, enumerated or relaxed as in an unlabelled branch.
type LabelSet struct {
	Observed []string // names of supervised variables; empty: all of them
	Batch    int      // data points per step
	// Weight multiplies the branch's mean objective: γ·M_O/N for the M_O
	// training points whose observed set is this one.
	Weight float64
}

// labelSets returns the labelled branches to build: Sets, or else one
// branch observing every supervised variable at batch Labelled.
func (o Options) labelSets() []LabelSet {
	if len(o.Sets) > 0 {
		return o.Sets
	}
	if o.Labelled > 0 {
		return []LabelSet{{Batch: o.Labelled, Weight: o.SupWeight}}
	}
	return nil
}

func (o Options) discrete(name string) Discrete {
	if d, ok := o.Discrete[name]; ok {
		return d
	}
	return o.Default
}

// Program is a compiled training step: one Gorgonia graph holding the
// labelled and the unlabelled branch, built once and run every step.
type Program struct {
	Model   *check.Model
	opts    Options
	dt      tensor.Dtype
	w       *Weights
	g       *G.ExprGraph
	built   *G.ExprGraph // the graph the parameter nodes were made in (g before prune)
	vm      G.VM
	loss    *G.Node
	brs     []*branch
	pnodes  G.Nodes
	keep    G.Nodes // read nodes: outputs besides the loss and gradients
	lossVal float64
	zero    map[int]any // Grads' zero slices of frozen parameters, by index
}

// frozen reports whether parameter i is kept fixed (Options.Frozen).
func (p *Program) frozen(i int) bool { return i < len(p.opts.Frozen) && p.opts.Frozen[i] }

// zeros returns frozen parameter i's zero gradient of n values, made once
// and handed out every step (the optimizer only reads it).
func zeros[T float32 | float64](p *Program, i, n int) []T {
	if z, ok := p.zero[i].([]T); ok {
		return z
	}
	if p.zero == nil {
		p.zero = map[int]any{}
	}
	z := make([]T, n)
	p.zero[i] = z
	return z
}

// Compile builds the training program of m over the networks w. Problems
// that only show while lowering are returned as positioned diagnostics
// (diag.List).
func Compile(m *check.Model, w *Weights, opts Options) (*Program, error) {
	sets := opts.labelSets()
	if len(sets) == 0 && opts.Unlabelled <= 0 {
		return nil, fmt.Errorf("compile: both batch sizes are zero")
	}
	return build(m, w, forTrain, opts, func(p *Program) error { return p.lowerTraining(sets) })
}

// lowerTraining builds the unlabelled branch and one branch per label set,
// the loss (minus their weighted objectives) and its gradients.
func (p *Program) lowerTraining(sets []LabelSet) error {
	var total *G.Node
	if p.opts.Unlabelled > 0 {
		b, err := p.lowerBranch(plan{name: "unlabelled", balanced: p.opts.Balance > 0}, p.opts.Unlabelled)
		if err != nil {
			return err
		}
		total = b.objective
	}
	for i, set := range sets {
		obs, name, err := p.observedSet(set.Observed)
		if err != nil {
			return err
		}
		if set.Batch < 1 {
			return fmt.Errorf("compile: label set %s has batch size %d", name, set.Batch)
		}
		b, err := p.lowerBranch(plan{name: name, set: i, observed: obs}, set.Batch)
		if err != nil {
			return err
		}
		w, err := p.scalar(set.Weight)
		if err != nil {
			return err
		}
		sup, err := G.Mul(b.objective, w)
		if err != nil {
			return err
		}
		if total == nil {
			total = sup
		} else if total, err = G.Add(total, sup); err != nil {
			return err
		}
	}
	var err error
	if p.loss, err = G.Neg(total); err != nil {
		return err
	}
	p.pnodes = p.w.Params.Nodes(p.g)
	if _, err := G.Grad(p.loss, p.pnodes...); err != nil {
		return fmt.Errorf("compile %s: differentiating the objective: %w", p.Model.Name, err)
	}
	p.prune()
	return nil
}

// prune restricts the graph to what the program reads. G.Grad builds the
// gradient of every operand of an op it differentiates, also of operands
// that need none (the data, the noise, constants: e.g. the 1280×256·256×794
// product that would be the gradient of the encoder's input), and the
// TapeMachine runs every node of its graph. What is kept: the loss, the
// parameters and their gradients and the read nodes, with everything they
// depend on. (Removing the other nodes from the graph instead would leave
// Gorgonia's node-index cache stale.)
func (p *Program) prune() {
	roots := G.Nodes{p.loss}
	for i, n := range p.pnodes {
		if !p.frozen(i) {
			roots = append(roots, n.Deriv())
		}
	}
	roots = append(roots, p.keep...)
	p.g = p.g.ExactSubgraphRoots(roots...)
}

// Weights returns the networks the program trains.
func (p *Program) Weights() *Weights { return p.w }

// DOT returns the program's graph in Graphviz's DOT language, for
// `ssdgm compile --dot`.
func (p *Program) DOT() string { return p.g.ToDot() }

// Close releases the machine and drops the program's nodes from its
// weights' parameter set, so that nothing keeps the program reachable: a
// training run builds evaluation and picture programs every epoch, and
// before this each one stayed in memory (about 20 MB of resident memory an
// epoch on MNIST; TestProgramsAreFreed).
func (p *Program) Close() error {
	p.w.Params.Forget(p.built)
	return p.vm.Close()
}

// Batch is one training step's data: images (rows × per-example size,
// row-major) and, for the labelled rows, the labels of every supervised
// variable: a class index (as float) per row, or a real vector per row;
// per-slot labels hold slots × that. With Options.Sets, Sets holds the
// labelled rows of each set, in the same order (Labelled and Labels are
// then unused).
type Batch struct {
	Labelled   []float32
	Labels     map[string][]float32
	Unlabelled []float32
	Sets       []SetBatch
}

// SetBatch is the labelled rows of one LabelSet: images and the labels of
// its observed variables (others may be present and are ignored).
type SetBatch struct {
	X      []float32
	Labels map[string][]float32
}

// Step binds a batch, draws the noise from rng, runs the graph forward and
// backward, and returns the loss and its terms. The gradients are left in
// Grad (accumulated onto whatever was there: the optimizer must zero them).
func (p *Program) Step(batch Batch, rng *rand.Rand) (Result, error) {
	for _, b := range p.brs {
		x, labels := batch.Unlabelled, map[string][]float32(nil)
		if b.labelled {
			x, labels = batch.Labelled, batch.Labels
			if len(p.opts.Sets) > 0 {
				if b.set >= len(batch.Sets) {
					return Result{}, fmt.Errorf("batch has %d label sets, the program %d", len(batch.Sets), len(p.opts.Sets))
				}
				x, labels = batch.Sets[b.set].X, batch.Sets[b.set].Labels
			}
		}
		if err := b.bind(x, labels, rng); err != nil {
			return Result{}, err
		}
	}
	defer p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return Result{}, fmt.Errorf("running %s: %w", p.Model.Name, err)
	}
	if !p.opts.part {
		p.updateBalance()
	}
	res := Result{Loss: scalarValue(p.loss.Value())}
	for _, b := range p.brs {
		res.Terms = append(res.Terms, b.terms()...)
	}
	return res, nil
}

// Grads is the gradient of every parameter, in Weights.Params order, in
// the parameters' dtype: F32 for float32 weights, F64 for float64 ones
// (the other is nil). The slices are the program's gradient buffers: valid
// after a Step until the next, and an optimizer may change them in place.
type Grads struct {
	F32 [][]float32
	F64 [][]float64
}

// Len returns the number of gradients.
func (g Grads) Len() int { return max(len(g.F32), len(g.F64)) }

// Grads returns the gradient of every parameter the program uses, valid
// after Step.
func (p *Program) Grads() (Grads, error) {
	var out Grads
	for i, n := range p.pnodes {
		if p.frozen(i) {
			switch d := n.Value().Data().(type) {
			case []float32:
				out.F32 = append(out.F32, zeros[float32](p, i, len(d)))
			case []float64:
				out.F64 = append(out.F64, zeros[float64](p, i, len(d)))
			}
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			return Grads{}, fmt.Errorf("gradient of %s: %w", n.Name(), err)
		}
		switch d := gv.Data().(type) {
		case []float32:
			out.F32 = append(out.F32, d)
		case []float64:
			out.F64 = append(out.F64, d)
		default:
			return Grads{}, fmt.Errorf("gradient of %s holds %T", n.Name(), d)
		}
	}
	if out.F32 != nil && out.F64 != nil {
		return Grads{}, fmt.Errorf("gradients of two dtypes")
	}
	return out, nil
}

// SkippedRows returns how many rows of the last step's gradient had a
// weight so small (below gradFloor) that the objective gave them none: the
// enumerated values a confident encoder rules out. Their backward rows are
// exact zeros, never subnormal floats.
func (p *Program) SkippedRows() int {
	n := 0
	for _, b := range p.brs {
		if b.lay.skipped != nil {
			n += int(b.lay.skipped.Load())
		}
	}
	return n
}

// Result is what one step reports.
type Result struct {
	Loss  float64
	Terms []Term
}

// Term is one named part of the objective, averaged per data point of its
// branch with the objective's weights.
type Term struct {
	Name  string
	Value float64
}

// scalar returns a constant of the graph's dtype.
func (p *Program) scalar(v float64) (*G.Node, error) {
	if p.dt == tensor.Float32 {
		return G.NewConstant(float32(v), G.In(p.g)), nil
	}
	return G.NewConstant(v, G.In(p.g)), nil
}

// lowerError is a positioned lowering diagnostic.
func lowerError(pos diag.Pos, format string, args ...any) error {
	return diag.List{{Pos: pos, Msg: fmt.Sprintf(format, args...)}}
}

// positioned reports whether err already carries a source position (a
// diagnostic of the checker or of the lowering), so that a caller adds none.
func positioned(err error) bool {
	var list diag.List
	var d diag.Diagnostic
	return errors.As(err, &list) || errors.As(err, &d)
}

// rerun runs the graph again with the inputs and noise already bound and
// returns the loss (for finite-difference checks).
func (p *Program) rerun() (float64, error) {
	defer p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return 0, err
	}
	return scalarValue(p.loss.Value()), nil
}

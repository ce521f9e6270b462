package compiler

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"ssdgm/lang/check"
)

// Stepper is a compiled training step: a Program, or Shards of one.
type Stepper interface {
	// Step binds a batch, draws the noise from rng, runs forward and
	// backward and returns the loss and its terms.
	Step(batch Batch, rng *rand.Rand) (Result, error)
	// Grads returns the gradient of every parameter, valid after Step
	// until the next (the optimizer zeroes them).
	Grads() (Grads, error)
	// Close releases the machines.
	Close() error
	// BalanceRef and SetBalanceRef read and set the running means of the
	// class-balance terms (balance.go), which a checkpoint saves.
	BalanceRef() []float64
	SetBalanceRef([]float64) error
}

// CompileStep builds the training step of m over w: one Program, or, with
// opts.Shards > 1, Shards of that many.
func CompileStep(m *check.Model, w *Weights, opts Options) (Stepper, error) {
	// Explicit nils on failure: a typed nil pointer would make a non-nil
	// Stepper.
	if opts.Shards > 1 {
		s, err := CompileShards(m, w, opts)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	p, err := Compile(m, w, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Shards is a training step split into opts.Shards equal parts of its
// batch (data parallelism): each part is a Program of its own over the
// same weights, run in its own goroutine, and the step's loss, terms and
// gradients are the parts' means. The objective is a mean over the data
// points of each branch, so the mean over equal parts is the objective of
// the whole batch; only the float rounding of the gradient sums and the
// noise differ from one Program of the whole batch (each part draws its
// noise from its own stream, seeded from rng at every step in part order).
// The numbers therefore depend on the number of parts, never on how the
// goroutines are scheduled, nor, in the pure-Go build, on GOMAXPROCS (the
// OpenBLAS build's products depend on it within rounding, with one part
// as with several).
//
// Why: the graph executor runs one op at a time, so on two cores a single
// Program keeps the second core busy only inside the large products and
// the split kernels (about 1.5 cores on the MNIST step); two parts keep
// both cores busy through the whole step, each on products of half the
// rows.
type Shards struct {
	parts []*Program
	rngs  []*rand.Rand
	pcgs  []*rand.PCG
	opts  Options
	res   []Result
	errs  []error
	bs    []Batch // the parts' batches, views into the step's batch, reused
}

// CompileShards compiles opts.Shards Programs of m over w, each with every
// batch size of opts divided by opts.Shards; every batch size must be a
// multiple of it.
func CompileShards(m *check.Model, w *Weights, opts Options) (*Shards, error) {
	n := opts.Shards
	if n < 2 {
		return nil, fmt.Errorf("compile: shards must be at least 2, got %d", n)
	}
	part := opts
	part.Shards = 1
	part.part = true
	if err := divide(&part.Unlabelled, n, "the unlabelled batch"); err != nil {
		return nil, err
	}
	if err := divide(&part.Labelled, n, "the labelled batch"); err != nil {
		return nil, err
	}
	if len(opts.Sets) > 0 {
		part.Sets = append([]LabelSet(nil), opts.Sets...)
		for i := range part.Sets {
			if err := divide(&part.Sets[i].Batch, n, fmt.Sprintf("label set %d's batch", i+1)); err != nil {
				return nil, err
			}
		}
	}
	s := &Shards{opts: opts, res: make([]Result, n), errs: make([]error, n), bs: make([]Batch, n)}
	for i := range s.bs {
		s.bs[i].Sets = make([]SetBatch, len(opts.Sets))
	}
	for i := 0; i < n; i++ {
		p, err := Compile(m, w, part)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.parts = append(s.parts, p)
		pcg := rand.NewPCG(0, 0)
		s.pcgs = append(s.pcgs, pcg)
		s.rngs = append(s.rngs, rand.New(pcg))
	}
	return s, nil
}

// divide sets *b to *b / n, or fails when n does not divide it.
func divide(b *int, n int, what string) error {
	if *b%n != 0 {
		return fmt.Errorf("compile: %s of %d does not split into %d equal parts (batch.shards): make each batch size a multiple of %d", what, *b, n, n)
	}
	*b /= n
	return nil
}

// Step splits batch into the parts, seeds each part's noise stream from
// rng, runs the parts concurrently and returns the mean loss and terms.
func (s *Shards) Step(batch Batch, rng *rand.Rand) (Result, error) {
	n, bs := len(s.parts), s.bs
	if err := splitRows(batch.Unlabelled, s.opts.Unlabelled, n, func(i int, x []float32) { bs[i].Unlabelled = x }); err != nil {
		return Result{}, fmt.Errorf("unlabelled batch: %w", err)
	}
	if err := splitRows(batch.Labelled, s.opts.Labelled, n, func(i int, x []float32) { bs[i].Labelled = x }); err != nil {
		return Result{}, fmt.Errorf("labelled batch: %w", err)
	}
	if err := splitLabels(batch.Labels, s.opts.Labelled, bs, func(b *Batch) *map[string][]float32 { return &b.Labels }); err != nil {
		return Result{}, err
	}
	if len(batch.Sets) != len(s.opts.Sets) {
		return Result{}, fmt.Errorf("batch has %d label sets, the program %d", len(batch.Sets), len(s.opts.Sets))
	}
	for j, sb := range batch.Sets {
		rows := s.opts.Sets[j].Batch
		if err := splitRows(sb.X, rows, n, func(i int, x []float32) { bs[i].Sets[j].X = x }); err != nil {
			return Result{}, fmt.Errorf("label set %d: %w", j+1, err)
		}
		if err := splitLabels(sb.Labels, rows, bs, func(b *Batch) *map[string][]float32 { return &b.Sets[j].Labels }); err != nil {
			return Result{}, fmt.Errorf("label set %d: %w", j+1, err)
		}
	}
	for i := range s.pcgs {
		s.pcgs[i].Seed(rng.Uint64(), rng.Uint64())
	}
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.res[i], s.errs[i] = s.parts[i].Step(bs[i], s.rngs[i])
		}()
	}
	s.res[0], s.errs[0] = s.parts[0].Step(bs[0], s.rngs[0])
	wg.Wait()
	for i, err := range s.errs {
		if err != nil {
			return Result{}, fmt.Errorf("part %d of %d: %w", i+1, n, err)
		}
	}
	s.updateBalance()
	out := Result{Terms: append([]Term(nil), s.res[0].Terms...)}
	inv := 1 / float64(n)
	for _, r := range s.res {
		out.Loss += r.Loss * inv
	}
	for k := range out.Terms {
		out.Terms[k].Value = 0
		for _, r := range s.res {
			out.Terms[k].Value += r.Terms[k].Value * inv
		}
	}
	return out, nil
}

// splitRows hands part i of x (rows rows in all) to set, for n parts.
func splitRows(x []float32, rows, n int, set func(int, []float32)) error {
	if rows == 0 || len(x) == 0 {
		return nil
	}
	if len(x)%rows != 0 {
		return fmt.Errorf("%d values are not %d rows", len(x), rows)
	}
	per := len(x) / n
	for i := 0; i < n; i++ {
		set(i, x[i*per:(i+1)*per:(i+1)*per])
	}
	return nil
}

// splitLabels splits every label array of labels by rows into the label
// map of each part's batch (at(part)), reusing the maps from step to step.
func splitLabels(labels map[string][]float32, rows int, bs []Batch, at func(*Batch) *map[string][]float32) error {
	for i := range bs {
		m := at(&bs[i])
		if labels == nil {
			*m = nil
			continue
		}
		if *m == nil {
			*m = make(map[string][]float32, len(labels))
		}
		clear(*m)
	}
	for name, v := range labels {
		if err := splitRows(v, rows, len(bs), func(i int, x []float32) { (*at(&bs[i]))[name] = x }); err != nil {
			return fmt.Errorf("labels of %s: %w", name, err)
		}
	}
	return nil
}

// Grads returns the mean of the parts' gradients, summed in part order
// into the first part's gradient buffers; the other parts' buffers are
// zeroed, so that, like a Program's, the step's gradients accumulate only
// what the optimizer leaves (it zeroes the returned ones).
func (s *Shards) Grads() (Grads, error) {
	all := make([]Grads, len(s.parts))
	for i, p := range s.parts {
		g, err := p.Grads()
		if err != nil {
			return Grads{}, err
		}
		all[i] = g
	}
	out := all[0]
	p0 := s.parts[0]
	var wg sync.WaitGroup
	for j := 0; j < out.Len(); j++ {
		if p0.frozen(j) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out.F32 != nil {
				meanInto(out.F32, all, j, func(g Grads) [][]float32 { return g.F32 })
			} else {
				meanInto(out.F64, all, j, func(g Grads) [][]float64 { return g.F64 })
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// meanInto sets dst[j] to the mean over parts of get(part)[j] and zeroes
// every part's but the first (dst is the first's).
func meanInto[T float32 | float64](dst [][]T, all []Grads, j int, get func(Grads) [][]T) {
	d := dst[j]
	inv := 1 / T(len(all))
	for _, g := range all[1:] {
		src := get(g)[j]
		for k, v := range src {
			d[k] += v
		}
		clear(src)
	}
	for k := range d {
		d[k] *= inv
	}
}

// Close releases every part's machine.
func (s *Shards) Close() error {
	var first error
	for _, p := range s.parts {
		if err := p.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Package optim holds ssdgm's optimizers: a fused, in-place Adam over
// plain parameter slices that also zeroes the gradients it consumes.
package optim

import (
	"fmt"
	"math"
	"sync"
)

// Float is the element type of parameters: float32 or float64.
type Float interface {
	~float32 | ~float64
}

// Config holds Adam's hyper-parameters.
type Config struct {
	LR    float64 // learning rate
	Beta1 float64 // decay of the first-moment estimate, in [0, 1)
	Beta2 float64 // decay of the second-moment estimate, in [0, 1)
	Eps   float64 // added to the denominator, > 0
}

// DefaultConfig returns Kingma and Ba's settings: lr 1e-3, β 0.9 and 0.999,
// ε 1e-8.
func DefaultConfig() Config {
	return Config{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Validate reports a hyper-parameter out of range.
func (c Config) Validate() error {
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("adam: lr must be > 0, got %g", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("adam: beta1 must be in [0, 1), got %g", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("adam: beta2 must be in [0, 1), got %g", c.Beta2)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("adam: eps must be > 0, got %g", c.Eps)
	}
	return nil
}

// Adam is the Adam optimizer (Kingma and Ba 2015) over a fixed list of
// parameter slices. After step t, for every element,
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	w ← w − lr·(m·c1) / (√(v·c2) + ε),  c1 = 1/(1−β1ᵗ), c2 = 1/(1−β2ᵗ)
//	g ← 0
//
// computed in T with one pass over each parameter. Zeroing g in the same
// pass saves the separate pass that gradient-accumulating engines such as
// Gorgonia otherwise need before the next step.
//
// Subnormal numbers are kept out of the arithmetic, which is tens of times
// slower on them on common CPUs: a parameter whose gradient stays zero (a
// dead unit) decays m geometrically, and lr·m·c1 turns subnormal well
// before m itself does. So m is flushed to zero when |m| < 2³²·tiny and v
// when v < tiny, where tiny is T's smallest normal number (1.2e-38 for
// float32). An m below 2³²·tiny (5e-29 for float32) moves a weight by at
// most lr·c1·m/ε < 1e-22 for lr ≤ 1e-3, ε = 1e-8: below the rounding of
// any weight larger than 1e-15.
type Adam[T Float] struct {
	cfg   Config
	sizes []int
	m, v  [][]T
	step  int64
	// workers > 1 splits large steps over goroutines.
	workers int
}

// SetWorkers makes Step split its work over up to n goroutines when there
// are more than parallelMin weights (n ≤ 1: one). Every element is
// computed the same way, so the results do not depend on n.
func (a *Adam[T]) SetWorkers(n int) { a.workers = n }

// parallelMin is the number of weights below which Step stays on one
// goroutine.
const parallelMin = 1 << 16

// NewAdam returns an Adam with zero moments for parameters of the given
// sizes (number of elements each).
func NewAdam[T Float](cfg Config, sizes []int) (*Adam[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adam[T]{cfg: cfg, sizes: append([]int(nil), sizes...)}
	a.m = make([][]T, len(sizes))
	a.v = make([][]T, len(sizes))
	for i, n := range sizes {
		if n < 0 {
			return nil, fmt.Errorf("adam: parameter %d has negative size %d", i, n)
		}
		a.m[i] = make([]T, n)
		a.v[i] = make([]T, n)
	}
	return a, nil
}

// SetLR sets the learning rate of the following steps (for a schedule);
// it must be > 0 and finite.
func (a *Adam[T]) SetLR(lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("adam: lr must be > 0, got %g", lr)
	}
	a.cfg.LR = lr
	return nil
}

// Config returns the hyper-parameters.
func (a *Adam[T]) Config() Config { return a.cfg }

// Steps returns the number of steps taken.
func (a *Adam[T]) Steps() int64 { return a.step }

func (a *Adam[T]) check(params, grads [][]T) error {
	if len(params) != len(a.sizes) || len(grads) != len(a.sizes) {
		return fmt.Errorf("adam: got %d parameters and %d gradients, want %d", len(params), len(grads), len(a.sizes))
	}
	for i, n := range a.sizes {
		if len(params[i]) != n || len(grads[i]) != n {
			return fmt.Errorf("adam: parameter %d: got %d weights and %d gradients, want %d", i, len(params[i]), len(grads[i]), n)
		}
	}
	return nil
}

// Step takes one Adam step: it updates params in place from grads and
// sets every element of grads to zero. On a size mismatch it returns an
// error and changes nothing.
func (a *Adam[T]) Step(params, grads [][]T) error {
	if err := a.check(params, grads); err != nil {
		return err
	}
	a.step++
	k := a.coefficients()
	total := 0
	for _, n := range a.sizes {
		total += n
	}
	if a.workers <= 1 || total < parallelMin {
		for i := range params {
			fused(params[i], grads[i], a.m[i], a.v[i], k)
		}
		return nil
	}
	// Cut the concatenation of all parameters into a.workers equal
	// ranges; each worker runs fused over its pieces.
	per := (total + a.workers - 1) / a.workers
	var wg sync.WaitGroup
	for w := 0; w < a.workers; w++ {
		lo, hi := w*per, min((w+1)*per, total)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := 0
			for i, n := range a.sizes {
				s, e := max(lo-off, 0), min(hi-off, n)
				if s < e {
					fused(params[i][s:e], grads[i][s:e], a.m[i][s:e], a.v[i][s:e], k)
				}
				off += n
			}
		}()
	}
	wg.Wait()
	return nil
}

// coef holds the per-step constants, in T.
type coef[T Float] struct {
	b1, ob1, b2, ob2, lr, c1, c2, eps T
	tiny, tinyM                       T // flush thresholds of v and m
}

func (a *Adam[T]) coefficients() coef[T] {
	t := float64(a.step)
	return coef[T]{
		b1: T(a.cfg.Beta1), ob1: T(1 - a.cfg.Beta1),
		b2: T(a.cfg.Beta2), ob2: T(1 - a.cfg.Beta2),
		lr:    T(a.cfg.LR),
		c1:    T(1 / (1 - math.Pow(a.cfg.Beta1, t))),
		c2:    T(1 / (1 - math.Pow(a.cfg.Beta2, t))),
		eps:   T(a.cfg.Eps),
		tiny:  smallestNormal[T](),
		tinyM: smallestNormal[T]() * (1 << 32),
	}
}

// smallestNormal returns the smallest positive normal number of T.
func smallestNormal[T Float]() T {
	small := 0x1p-1022 // float64's smallest normal, 0 in float32
	if T(small) == 0 {
		return T(float32(0x1p-126))
	}
	return T(small)
}

// fused is the single pass over one parameter. The explicit conversions
// round every product, so no platform fuses a multiply-add and results
// are the same everywhere.
func fused[T Float](w, g, m, v []T, k coef[T]) {
	w = w[:len(g)]
	m = m[:len(g)]
	v = v[:len(g)]
	for j, gj := range g {
		mj := T(k.b1*m[j]) + T(k.ob1*gj)
		vj := T(k.b2*v[j]) + T(T(k.ob2*gj)*gj)
		if mj < k.tinyM && mj > -k.tinyM {
			mj = 0
		}
		if vj < k.tiny {
			vj = 0
		}
		m[j], v[j] = mj, vj
		den := T(math.Sqrt(float64(T(vj*k.c2)))) + k.eps
		w[j] -= T(k.lr*T(mj*k.c1)) / den
		g[j] = 0
	}
}

// State is Adam's state, for checkpoints: the step count and the first
// and second moments, one slice per parameter.
type State[T Float] struct {
	Step int64
	M, V [][]T
}

// State returns a copy of the optimizer state.
func (a *Adam[T]) State() State[T] {
	s := State[T]{Step: a.step, M: make([][]T, len(a.m)), V: make([][]T, len(a.v))}
	for i := range a.m {
		s.M[i] = append([]T(nil), a.m[i]...)
		s.V[i] = append([]T(nil), a.v[i]...)
	}
	return s
}

// SetState replaces the optimizer state with a copy of s, which must have
// the sizes Adam was made with.
func (a *Adam[T]) SetState(s State[T]) error {
	if s.Step < 0 {
		return fmt.Errorf("adam: negative step %d", s.Step)
	}
	if len(s.M) != len(a.sizes) || len(s.V) != len(a.sizes) {
		return fmt.Errorf("adam: state has %d first and %d second moments, want %d", len(s.M), len(s.V), len(a.sizes))
	}
	for i, n := range a.sizes {
		if len(s.M[i]) != n || len(s.V[i]) != n {
			return fmt.Errorf("adam: state of parameter %d has sizes %d and %d, want %d", i, len(s.M[i]), len(s.V[i]), n)
		}
	}
	for i := range a.sizes {
		copy(a.m[i], s.M[i])
		copy(a.v[i], s.V[i])
	}
	a.step = s.Step
	return nil
}

// Package labelled chooses the fixed labelled subset of a training set and
// draws seeded, resumable batches of example indices.
//
// The subset depends only on the labels, the options and the seed, so it
// is the same on every run, resume and machine. With the same seed, a
// smaller subset is contained in a larger one (M = 100 ⊂ M = 600): each
// class's examples are taken as a prefix of one seeded permutation.
package labelled

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Stream numbers of the PCG generators, so that the draws for different
// purposes are independent for the same seed.
const (
	streamClass     = 0x6c61626c_00000000 // + class index
	streamRemainder = 0x6c61626c_72656d00
	streamAll       = 0x6c61626c_616c6c00
	streamEpoch     = 0x73616d70_00000000 // + epoch, Sampler
)

// Options says how many labelled examples to choose and how.
type Options struct {
	Count    int     // M, the number of labelled examples; 0 chooses none
	Balanced bool    // the same number per class (remainder: see Select)
	Seed     int64   // seed of the draw
	Exclude  [][]int // indices that must not be chosen (held-out examples)
}

// Select chooses opt.Count indices into labels (the class of each training
// example, in [0, classes)) and returns them sorted.
//
// Balanced: every class gets ⌊M/K⌋ examples and the M mod K classes first
// in a seeded permutation of the classes get one more. Otherwise M examples
// are drawn uniformly without replacement. Excluded indices are never
// chosen. It is an error if M is larger than the examples available or,
// when balanced, a class has too few.
func Select(labels []int, classes int, opt Options) ([]int, error) {
	n := len(labels)
	if opt.Count < 0 {
		return nil, fmt.Errorf("labelled: count must be >= 0, got %d", opt.Count)
	}
	if classes < 1 {
		return nil, fmt.Errorf("labelled: need at least one class, got %d", classes)
	}
	excluded := make([]bool, n)
	for _, set := range opt.Exclude {
		for _, i := range set {
			if i < 0 || i >= n {
				return nil, fmt.Errorf("labelled: excluded index %d is outside the %d training examples", i, n)
			}
			excluded[i] = true
		}
	}
	byClass := make([][]int, classes)
	avail := 0
	for i, c := range labels {
		if c < 0 || c >= classes {
			return nil, fmt.Errorf("labelled: example %d has label %d, outside [0, %d)", i, c, classes)
		}
		if !excluded[i] {
			byClass[c] = append(byClass[c], i)
			avail++
		}
	}
	if opt.Count > avail {
		return nil, fmt.Errorf("labelled: count M = %d exceeds the %d training examples available", opt.Count, avail)
	}
	seed := uint64(opt.Seed)
	out := make([]int, 0, opt.Count)
	if !opt.Balanced {
		all := make([]int, 0, avail)
		for i := range labels {
			if !excluded[i] {
				all = append(all, i)
			}
		}
		shuffle(all, seed, streamAll)
		out = append(out, all[:opt.Count]...)
		slices.Sort(out)
		return out, nil
	}
	want := Quotas(opt.Count, classes, opt.Seed)
	for c, k := range want {
		if k > len(byClass[c]) {
			return nil, fmt.Errorf("labelled: class %d has %d examples available, too few for %d of a balanced draw of M = %d over %d classes",
				c, len(byClass[c]), k, opt.Count, classes)
		}
	}
	for c, k := range want {
		shuffle(byClass[c], seed, streamClass+uint64(c))
		out = append(out, byClass[c][:k]...)
	}
	slices.Sort(out)
	return out, nil
}

// Quotas returns how many of m balanced labelled examples each of the
// classes gets: ⌊m/classes⌋, plus one for the m mod classes classes that
// come first in a permutation drawn from seed.
func Quotas(m, classes int, seed int64) []int {
	q := make([]int, classes)
	if classes < 1 || m < 0 {
		return q
	}
	order := make([]int, classes)
	for c := range order {
		order[c] = c
		q[c] = m / classes
	}
	shuffle(order, uint64(seed), streamRemainder)
	for _, c := range order[:m%classes] {
		q[c]++
	}
	return q
}

// shuffle permutes s in place by Fisher-Yates with a PCG generator
// (PCG-DXSM, whose output math/rand/v2 specifies) on the given stream. It
// does not use rand.Rand's helpers, so the permutations stay the same
// across Go releases, and it does not allocate.
func shuffle(s []int, seed, stream uint64) {
	var p rand.PCG
	p.Seed(seed, stream)
	for i := len(s) - 1; i > 0; i-- {
		j := bounded(&p, uint64(i+1))
		s[i], s[j] = s[j], s[i]
	}
}

// bounded returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method.
func bounded(p *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(p.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(p.Uint64(), n)
		}
	}
	return hi
}

// Counts returns the number of chosen indices in each class.
func Counts(labels []int, classes int, chosen []int) []int {
	out := make([]int, classes)
	for _, i := range chosen {
		if i >= 0 && i < len(labels) && labels[i] >= 0 && labels[i] < classes {
			out[labels[i]]++
		}
	}
	return out
}

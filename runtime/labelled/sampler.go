package labelled

import (
	"fmt"
)

// Sampler draws items in epochs: each epoch is a permutation of the items
// drawn from the seed and the epoch number alone, so the position (epoch,
// offset) is the whole state and a restored Sampler continues exactly.
type Sampler struct {
	items  []int
	seed   uint64
	perm   []int
	epoch  int
	offset int
}

// SamplerState is the position of a Sampler: the epoch being drawn
// (counting from 0) and how many of its items have been drawn.
type SamplerState struct {
	Epoch  int `json:"epoch"`
	Offset int `json:"offset"`
}

// NewSampler returns a Sampler over a copy of items, at epoch 0, offset 0.
func NewSampler(items []int, seed int64) *Sampler {
	s := &Sampler{items: append([]int(nil), items...), seed: uint64(seed)}
	s.perm = make([]int, len(s.items))
	s.permute()
	return s
}

// permute sets perm to the permutation of the current epoch.
func (s *Sampler) permute() {
	copy(s.perm, s.items)
	shuffle(s.perm, s.seed, streamEpoch+uint64(s.epoch))
}

// Len returns the number of items in one epoch.
func (s *Sampler) Len() int { return len(s.items) }

// Next returns the next n items in a new slice, continuing into the next
// epoch when this one runs out. It returns nil for n ≤ 0 or no items.
func (s *Sampler) Next(n int) []int {
	if n <= 0 || len(s.items) == 0 {
		return nil
	}
	out := make([]int, n)
	s.Fill(out)
	return out
}

// Fill is Next without allocation: it fills dst with the next len(dst)
// items. It leaves dst unchanged when there are no items.
func (s *Sampler) Fill(dst []int) {
	if len(s.items) == 0 {
		return
	}
	for i := range dst {
		if s.offset == len(s.perm) {
			s.epoch++
			s.offset = 0
			s.permute()
		}
		dst[i] = s.perm[s.offset]
		s.offset++
	}
}

// State returns the current position.
func (s *Sampler) State() SamplerState {
	return SamplerState{Epoch: s.epoch, Offset: s.offset}
}

// Restore moves the Sampler to a position returned by State.
func (s *Sampler) Restore(st SamplerState) error {
	if st.Epoch < 0 || st.Offset < 0 || st.Offset > len(s.items) {
		return fmt.Errorf("labelled: sampler position epoch %d offset %d is invalid for %d items", st.Epoch, st.Offset, len(s.items))
	}
	s.epoch, s.offset = st.Epoch, st.Offset
	s.permute()
	return nil
}

// Complement returns the indices in [0, n) that are not in chosen, in
// increasing order: the unlabelled examples given the labelled ones.
func Complement(n int, chosen []int) []int {
	in := make([]bool, n)
	for _, i := range chosen {
		if i >= 0 && i < n {
			in[i] = true
		}
	}
	out := make([]int, 0, n)
	for i, c := range in {
		if !c {
			out = append(out, i)
		}
	}
	return out
}

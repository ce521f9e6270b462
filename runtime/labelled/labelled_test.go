package labelled

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fakeLabels returns n labels over k classes with uneven class sizes.
func fakeLabels(n, k int) []int {
	r := rand.New(rand.NewPCG(42, 0))
	out := make([]int, n)
	for i := range out {
		out[i] = r.IntN(k)
		if r.IntN(4) == 0 {
			out[i] = 0 // class 0 is larger
		}
	}
	return out
}

func TestSelect(t *testing.T) {
	labels := fakeLabels(5000, 10)
	held := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 4999}
	tests := []struct {
		name string
		opt  Options
	}{
		{"balanced100", Options{Count: 100, Balanced: true, Seed: 1}},
		{"balanced105", Options{Count: 105, Balanced: true, Seed: 1}},
		{"balanced600", Options{Count: 600, Balanced: true, Seed: 1}},
		{"balanced-excl", Options{Count: 1000, Balanced: true, Seed: 3, Exclude: [][]int{held, {2000, 2001}}}},
		{"unbalanced", Options{Count: 300, Seed: 2, Exclude: [][]int{held}}},
		{"zero", Options{Count: 0, Balanced: true, Seed: 1}},
		{"all", Options{Count: 5000, Seed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(labels, 10, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.opt.Count {
				t.Fatalf("len = %d, want %d", len(got), tt.opt.Count)
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Error("not sorted or has duplicates")
			}
			for _, set := range tt.opt.Exclude {
				for _, i := range set {
					if _, found := slices.BinarySearch(got, i); found {
						t.Errorf("excluded index %d chosen", i)
					}
				}
			}
			// Fixed: the same call gives the same subset.
			again, _ := Select(labels, 10, tt.opt)
			if !reflect.DeepEqual(got, again) {
				t.Error("not deterministic")
			}
			if tt.opt.Balanced {
				counts := Counts(labels, 10, got)
				q := Quotas(tt.opt.Count, 10, tt.opt.Seed)
				if !reflect.DeepEqual(counts, q) {
					t.Errorf("counts %v, quotas %v", counts, q)
				}
				for _, c := range counts {
					if c != tt.opt.Count/10 && c != tt.opt.Count/10+1 {
						t.Errorf("unbalanced counts %v", counts)
					}
				}
			}
			// Seed-determined: another seed gives another subset.
			if tt.opt.Count > 0 && tt.opt.Count < 1000 {
				o := tt.opt
				o.Seed++
				other, _ := Select(labels, 10, o)
				if reflect.DeepEqual(got, other) {
					t.Error("seed does not change the subset")
				}
			}
		})
	}
}

func TestSelectNested(t *testing.T) {
	labels := fakeLabels(5000, 10)
	for _, balanced := range []bool{true, false} {
		var prev []int
		for _, m := range []int{100, 105, 600, 1000, 3000} {
			got, err := Select(labels, 10, Options{Count: m, Balanced: balanced, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range prev {
				if _, ok := slices.BinarySearch(got, i); !ok {
					t.Fatalf("balanced=%v: subset for M=%d does not contain the smaller one", balanced, m)
				}
			}
			prev = got
		}
	}
}

func TestSelectErrors(t *testing.T) {
	labels := []int{0, 0, 0, 1, 1, 2}
	tests := []struct {
		labels  []int
		classes int
		opt     Options
		want    string
	}{
		{labels, 3, Options{Count: 7}, "count M = 7 exceeds the 6 training examples available"},
		{labels, 3, Options{Count: 6, Exclude: [][]int{{0}}}, "count M = 6 exceeds the 5 training examples available"},
		{labels, 3, Options{Count: 6, Balanced: true}, "class 2 has 1 examples available, too few for 2 of a balanced draw of M = 6 over 3 classes"},
		{labels, 3, Options{Count: -1}, "count must be >= 0, got -1"},
		{[]int{0, 3}, 3, Options{Count: 1}, "example 1 has label 3, outside [0, 3)"},
		{[]int{0, -1}, 3, Options{Count: 1}, "example 1 has label -1, outside [0, 3)"},
		{labels, 3, Options{Count: 1, Exclude: [][]int{{6}}}, "excluded index 6 is outside the 6 training examples"},
		{labels, 0, Options{Count: 1}, "need at least one class"},
	}
	for _, tt := range tests {
		_, err := Select(tt.labels, tt.classes, tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Select(%v, %d, %+v) = %v, want %q", tt.labels, tt.classes, tt.opt, err, tt.want)
		}
	}
}

func TestQuotas(t *testing.T) {
	for _, tt := range []struct{ m, k int }{{100, 10}, {105, 10}, {7, 3}, {0, 5}, {3, 10}} {
		q := Quotas(tt.m, tt.k, 1)
		sum := 0
		for _, v := range q {
			sum += v
		}
		if sum != tt.m || len(q) != tt.k {
			t.Errorf("Quotas(%d, %d) = %v", tt.m, tt.k, q)
		}
	}
	if reflect.DeepEqual(Quotas(5, 10, 1), Quotas(5, 10, 2)) && reflect.DeepEqual(Quotas(5, 10, 1), Quotas(5, 10, 3)) {
		t.Error("remainder classes do not depend on the seed")
	}
}

// TestStable pins the permutations so that a change of algorithm (which
// would change every run's labelled subset) is noticed.
func TestStable(t *testing.T) {
	s := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	shuffle(s, 1, 2)
	want := []int{2, 4, 3, 9, 0, 1, 8, 6, 5, 7}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("permutation changed: %v, want %v", s, want)
	}
	counts := make([]int, 3)
	var p rand.PCG
	p.Seed(9, 9)
	for i := 0; i < 30000; i++ {
		counts[bounded(&p, 3)]++
	}
	for _, c := range counts {
		if c < 9500 || c > 10500 {
			t.Errorf("bounded not uniform: %v", counts)
		}
	}
}

func TestComplement(t *testing.T) {
	if got := Complement(6, []int{1, 4, 9}); !reflect.DeepEqual(got, []int{0, 2, 3, 5}) {
		t.Errorf("Complement = %v", got)
	}
}

func TestSampler(t *testing.T) {
	items := []int{10, 11, 12, 13, 14, 15, 16}
	s := NewSampler(items, 3)
	var all []int
	for i := 0; i < 5; i++ {
		all = append(all, s.Next(3)...)
	}
	// Each epoch is a permutation of the items.
	for e := 0; e < 2; e++ {
		ep := slices.Clone(all[e*7 : e*7+7])
		slices.Sort(ep)
		if !reflect.DeepEqual(ep, items) {
			t.Errorf("epoch %d = %v, not a permutation", e, all[e*7:e*7+7])
		}
	}
	if reflect.DeepEqual(all[:7], all[7:14]) {
		t.Error("two epochs in the same order")
	}
	if st := s.State(); st != (SamplerState{Epoch: 2, Offset: 1}) {
		t.Errorf("State = %+v", st)
	}
	// Restore at every position continues identically.
	ref := NewSampler(items, 3)
	seq := ref.Next(40)
	for pos := 0; pos < 30; pos++ {
		a := NewSampler(items, 3)
		a.Next(pos)
		if pos == 0 {
			a = NewSampler(items, 3)
		}
		st := a.State()
		b := NewSampler(items, 3)
		if err := b.Restore(st); err != nil {
			t.Fatal(err)
		}
		if got := b.Next(10); !reflect.DeepEqual(got, seq[pos:pos+10]) {
			t.Fatalf("restored at %d (%+v): %v, want %v", pos, st, got, seq[pos:pos+10])
		}
	}
	// The caller's slice is copied.
	items[0] = 99
	if slices.Contains(NewSampler([]int{1, 2}, 1).Next(4), 99) {
		t.Error("sampler shares the caller's slice")
	}
}

func TestSamplerEdges(t *testing.T) {
	s := NewSampler(nil, 1)
	if s.Next(3) != nil || s.Next(-1) != nil {
		t.Error("empty sampler returned items")
	}
	s = NewSampler([]int{1, 2, 3}, 1)
	for _, bad := range []SamplerState{{-1, 0}, {0, -1}, {0, 4}} {
		if err := s.Restore(bad); err == nil {
			t.Errorf("Restore(%+v) accepted", bad)
		}
	}
	if err := s.Restore(SamplerState{Epoch: 5, Offset: 3}); err != nil {
		t.Fatal(err)
	}
	s.Next(1)
	if st := s.State(); st != (SamplerState{Epoch: 6, Offset: 1}) {
		t.Errorf("after end of epoch: %+v", st)
	}
	buf := make([]int, 4)
	if allocs := testing.AllocsPerRun(100, func() { s.Fill(buf) }); allocs != 0 {
		t.Errorf("Fill allocates %v", allocs)
	}
}

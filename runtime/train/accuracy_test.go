package train

import (
	"os"
	"slices"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/runtime/data"
)

// TestSlotMatches: per-slot predictions count as right when they match the
// present slots' true classes as unordered multisets.
func TestSlotMatches(t *testing.T) {
	v := &check.Var{Name: "d", Kind: check.Discrete, Classes: 3, Slots: 3, Label: &check.Label{Name: "digits"}}
	cases := []struct {
		name          string
		truth         [3]float32 // -1: absent slot
		pred          [3]int     // argmax of each slot
		matched, want int
	}{
		{"same order", [3]float32{0, 2, -1}, [3]int{0, 2, 1}, 2, 2},
		{"other order", [3]float32{0, 2, -1}, [3]int{2, 0, 0}, 2, 2},
		{"one wrong", [3]float32{1, 1, 2}, [3]int{1, 2, 0}, 2, 3},
		{"repeated class counted once", [3]float32{1, 2, -1}, [3]int{1, 1, 2}, 1, 2},
		{"no digits", [3]float32{-1, -1, -1}, [3]int{0, 1, 2}, 0, 0},
		{"extra slots ignored", [3]float32{2, -1, -1}, [3]int{2, 2, 2}, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ld := &data.LabelData{Label: data.Label{Name: "digits", Kind: data.Categorical, Classes: 3, Slots: 3}, Values: c.truth[:]}
			probs := map[string][]float64{}
			for j, k := range c.pred {
				p := make([]float64, 3)
				p[k] = 0.9
				probs[[]string{"d[0]", "d[1]", "d[2]"}[j]] = p
			}
			m, n, err := slotMatches(probs, v, ld, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			if m != c.matched || n != c.want {
				t.Errorf("matched %d of %d, want %d of %d", m, n, c.matched, c.want)
			}
		})
	}
}

// TestCountAccuracyColumns: a spec whose supervised count drives a repeat
// gets count accuracy columns (named after the label) besides its error.
func TestCountAccuracyColumns(t *testing.T) {
	src, err := os.ReadFile("../../specs/multimnist.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source("multimnist.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	cols := metricColumns(m, false)
	for _, c := range []string{"err_val_k", "err_test_k", "acc_val_count", "acc_test_count"} {
		if !slices.Contains(cols, c) {
			t.Errorf("metric columns %v lack %s", cols, c)
		}
	}
	got := formatMetrics(map[string]float64{"acc_val_count": 0.875})
	if want := "acc_val_count 87.50%"; got != want {
		t.Errorf("formatMetrics = %q, want %q", got, want)
	}
}

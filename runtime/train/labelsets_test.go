package train

import (
	"slices"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/runtime/config"
)

// twoLabelModel returns the supervised variables of the faces spec shape:
// a categorical identity and a continuous lighting.
func twoLabelModel() *check.Model {
	return &check.Model{Name: "two", Vars: []*check.Var{
		{Name: "x", Role: check.Data},
		{Name: "person", Role: check.Supervised, Kind: check.Discrete, Classes: 4, Label: &check.Label{Name: "identity"}},
		{Name: "light", Role: check.Supervised, Kind: check.Continuous, Label: &check.Label{Name: "lighting"}},
	}}
}

// TestGroupLabels: each label is drawn for its own count, class-balanced,
// independently of the other; points are grouped by the labels they
// carry, every point in exactly the groups of its labels; the same seed
// gives the same groups.
func TestGroupLabels(t *testing.T) {
	m := twoLabelModel()
	const n = 400
	classes := make([]int, n)
	for i := range classes {
		classes[i] = i % 4
	}
	cfg := config.Default()
	cfg.Labelled.Counts = map[string]int{"identity": 100, "lighting": 200}
	idx, vars, err := groupLabels(supervisedVars(m), cfg, classes, 4, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 3 || !slices.Equal(vars[0], []string{"person", "light"}) || !slices.Equal(vars[1], []string{"person"}) || !slices.Equal(vars[2], []string{"light"}) {
		t.Fatalf("groups %v, want both, person only, light only", vars)
	}
	withID, withLight := len(idx[0])+len(idx[1]), len(idx[0])+len(idx[2])
	if withID != 100 || withLight != 200 {
		t.Errorf("%d points carry identity, %d lighting; want 100 and 200", withID, withLight)
	}
	perClass := make([]int, 4)
	for _, g := range [][]int{idx[0], idx[1]} {
		for _, i := range g {
			perClass[classes[i]]++
		}
	}
	if !slices.Equal(perClass, []int{25, 25, 25, 25}) {
		t.Errorf("identity labels per class %v, want balanced", perClass)
	}
	// Independent draws overlap by chance (expected 100·200/400 = 50).
	if len(idx[0]) < 25 || len(idx[0]) > 75 {
		t.Errorf("overlap %d, want about 50 for independent draws", len(idx[0]))
	}
	seen := map[int]bool{}
	for _, g := range idx {
		for _, i := range g {
			if seen[i] {
				t.Fatalf("point %d in two groups", i)
			}
			seen[i] = true
		}
	}
	again, _, _ := groupLabels(supervisedVars(m), cfg, classes, 4, n)
	for g := range idx {
		if !slices.Equal(idx[g], again[g]) {
			t.Fatal("same seed, different groups")
		}
	}
	cfg.Seed = 2
	other, _, _ := groupLabels(supervisedVars(m), cfg, classes, 4, n)
	if slices.Equal(idx[0], other[0]) {
		t.Error("another seed gives the same groups")
	}
	// Only one label given: one group.
	cfg.Labelled.Counts = map[string]int{"lighting": 40}
	idx, vars, _ = groupLabels(supervisedVars(m), cfg, classes, 4, n)
	if len(idx) != 1 || len(idx[0]) != 40 || !slices.Equal(vars[0], []string{"light"}) {
		t.Errorf("lighting only: %d groups %v", len(idx), vars)
	}
}

// TestLabelSetWeights: batch shares follow the group sizes (at least one
// each) and weights are γ·M_O/N; the expected sets of compile and bench
// have the sizes of independent draws.
func TestLabelSetWeights(t *testing.T) {
	cfg := config.Default()
	cfg.Batch.Labelled = 32
	cfg.Gamma = 2
	sets := labelSets(cfg, [][]string{{"a", "b"}, {"a"}, {"b"}}, []int{50, 150, 1}, 400)
	if sets[0].Batch != 8 || sets[1].Batch != 24 || sets[2].Batch != 1 {
		t.Errorf("batches %d %d %d, want 8 24 1", sets[0].Batch, sets[1].Batch, sets[2].Batch)
	}
	if sets[1].Weight != 2*150.0/400 {
		t.Errorf("weight %g, want γ·M/N = 0.75", sets[1].Weight)
	}
	cfg.Labelled.Counts = map[string]int{"identity": 100, "lighting": 200}
	exp := expectedSets(twoLabelModel(), cfg, 400)
	if len(exp) != 3 || exp[0].Weight != 2*50.0/400 || exp[1].Weight != 2*50.0/400 || exp[2].Weight != 2*150.0/400 {
		t.Errorf("expected sets %+v, want sizes 50 (both), 50 (identity), 150 (lighting)", exp)
	}
	o := CompileOptions(twoLabelModel(), cfg, 400)
	if len(o.Sets) != 3 || o.Labelled != exp[0].Batch+exp[1].Batch+exp[2].Batch {
		t.Errorf("CompileOptions: %d sets, labelled %d", len(o.Sets), o.Labelled)
	}
}

// TestCheckCounts: a count for a label the spec does not supervise is an
// error that lists the labels.
func TestCheckCounts(t *testing.T) {
	err := checkCounts(twoLabelModel(), map[string]int{"identiy": 3})
	if err == nil || err.Error() != `labelled.counts names "identiy", which is not a supervised label of model two; its supervised labels are: identity, lighting` {
		t.Errorf("error %v", err)
	}
	if err := checkCounts(twoLabelModel(), map[string]int{"identity": 3}); err != nil {
		t.Error(err)
	}
}

package train

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/labelled"
)

// streamGroup is the binarisation stream of the first label group's batch
// (data.binarize dynamic); group i uses streamGroup + i.
const streamGroup = 0x6c616267_00000000

// labelGroup is the training points that carry the same set of labels
// (labelled.counts): one labelled branch of the program, with its own
// sampler and share of batch.labelled.
type labelGroup struct {
	name    string   // sampler position name in checkpoints
	vars    []string // observed supervised variables, in model order
	idx     []int    // training indices, sorted
	batch   int      // points per step
	sampler *labelled.Sampler
	x       []float32
	labels  map[string][]float32
}

// supervisedVars returns the model's supervised variables in model order.
func supervisedVars(m *check.Model) []*check.Var {
	var out []*check.Var
	for _, v := range m.Vars {
		if v.Role == check.Supervised {
			out = append(out, v)
		}
	}
	return out
}

// checkCounts reports a labelled.counts key that names no supervised label.
func checkCounts(m *check.Model, counts map[string]int) error {
	var names []string
	for _, v := range supervisedVars(m) {
		names = append(names, v.Label.Name)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(names, k) {
			return fmt.Errorf("labelled.counts names %q, which is not a supervised label of model %s; its supervised labels are: %s", k, m.Name, strings.Join(names, ", "))
		}
	}
	return nil
}

// labelSeed derives the seed of one label's draw from the labelled seed,
// so that each label's subset is drawn independently.
func labelSeed(seed int64, label string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, label)
	return int64(h.Sum64())
}

// groupLabels draws each label's subset (labelled.counts) over the n
// training points, class-balanced on classes when balanced (nil classes:
// uniform), and groups the points by the set of labels they carry. Groups
// come in decreasing order of the set's bit mask over sup (the set of every
// label first).
func groupLabels(sup []*check.Var, cfg *config.Config, classes []int, nclasses int, n int) ([][]int, [][]string, error) {
	mask := make([]uint64, n)
	if classes == nil {
		classes = make([]int, n)
		nclasses = 1
	}
	for j, v := range sup {
		k := cfg.Labelled.Counts[v.Label.Name]
		if k == 0 {
			continue
		}
		chosen, err := labelled.Select(classes, nclasses, labelled.Options{Count: k,
			Balanced: cfg.Labelled.Balanced && nclasses > 1, Seed: labelSeed(cfg.LabelledSeed(), v.Label.Name)})
		if err != nil {
			return nil, nil, fmt.Errorf("choosing %d examples labelled with %s: %w", k, v.Label.Name, err)
		}
		for _, i := range chosen {
			mask[i] |= 1 << (len(sup) - 1 - j)
		}
	}
	byMask := map[uint64][]int{}
	for i, mk := range mask {
		if mk != 0 {
			byMask[mk] = append(byMask[mk], i)
		}
	}
	masks := make([]uint64, 0, len(byMask))
	for mk := range byMask {
		masks = append(masks, mk)
	}
	slices.Sort(masks)
	slices.Reverse(masks)
	var idx [][]int
	var vars [][]string
	for _, mk := range masks {
		idx = append(idx, byMask[mk])
		var vs []string
		for j, v := range sup {
			if mk&(1<<(len(sup)-1-j)) != 0 {
				vs = append(vs, v.Name)
			}
		}
		vars = append(vars, vs)
	}
	return idx, vars, nil
}

// shares splits batch over groups of the given sizes in proportion, each
// at least 1.
func shares(batch int, sizes []int) []int {
	total := 0
	for _, s := range sizes {
		total += s
	}
	out := make([]int, len(sizes))
	for i, s := range sizes {
		out[i] = max(1, int(math.Round(float64(batch)*float64(s)/float64(max(total, 1)))))
	}
	return out
}

// labelSets returns the compiler's label sets for groups of the given
// sizes and observed variables over n training points: batch shares of
// batch.labelled and weights γ·M_O/N.
func labelSets(cfg *config.Config, vars [][]string, sizes []int, n int) []compiler.LabelSet {
	b := shares(cfg.Batch.Labelled, sizes)
	out := make([]compiler.LabelSet, len(sizes))
	for i := range sizes {
		out[i] = compiler.LabelSet{Observed: vars[i], Batch: b[i], Weight: cfg.Gamma * float64(sizes[i]) / float64(max(n, 1))}
	}
	return out
}

// expectedSets is labelSets for the expected group sizes of independent
// per-label draws, for programs built without the data (compile, bench).
func expectedSets(m *check.Model, cfg *config.Config, n int) []compiler.LabelSet {
	sup := supervisedVars(m)
	var vars [][]string
	var sizes []int
	for mk := uint64(1)<<len(sup) - 1; mk > 0; mk-- {
		p := 1.0
		var vs []string
		for j, v := range sup {
			q := min(float64(cfg.Labelled.Counts[v.Label.Name])/float64(max(n, 1)), 1)
			if mk&(1<<(len(sup)-1-j)) != 0 {
				p *= q
				vs = append(vs, v.Name)
			} else {
				p *= 1 - q
			}
		}
		if size := int(math.Round(p * float64(n))); size > 0 {
			vars = append(vars, vs)
			sizes = append(sizes, size)
		}
	}
	return labelSets(cfg, vars, sizes, n)
}

// chooseLabelled draws the labelled subset once, fixed for the whole run:
// class-balanced on the first categorical supervised variable when asked.
func (t *trainer) chooseLabelled() error {
	cfg := t.cfg
	classes := 1
	lab := make([]int, t.train.N)
	for _, v := range t.m.Vars {
		if v.Role == check.Supervised && v.Kind == check.Discrete && v.Slots == 0 {
			t.classVar = v
			break
		}
	}
	if t.classVar != nil {
		ld := t.train.Labels[t.classVar.Label.Name]
		classes = t.classVar.Classes
		for i := range lab {
			lab[i] = ld.Class(i, 0)
		}
	}
	hasSupervised := false
	for _, v := range t.m.Vars {
		hasSupervised = hasSupervised || v.Role == check.Supervised
	}
	if hasSupervised && len(cfg.Labelled.Counts) > 0 {
		if err := checkCounts(t.m, cfg.Labelled.Counts); err != nil {
			return err
		}
		var classes []int
		if t.classVar != nil {
			classes = lab
		}
		idx, vars, err := groupLabels(supervisedVars(t.m), cfg, classes, t.classVarClasses(), t.train.N)
		if err != nil {
			return err
		}
		for i := range idx {
			t.groups = append(t.groups, &labelGroup{vars: vars[i], idx: idx[i], labels: map[string][]float32{}})
			t.chosen = append(t.chosen, idx[i]...)
		}
		slices.Sort(t.chosen)
		return nil
	}
	if !hasSupervised || cfg.Labelled.Count == 0 {
		return nil
	}
	chosen, err := labelled.Select(lab, classes, labelled.Options{Count: cfg.Labelled.Count, Balanced: cfg.Labelled.Balanced && t.classVar != nil, Seed: cfg.LabelledSeed()})
	if err != nil {
		return fmt.Errorf("choosing %d labelled examples: %w", cfg.Labelled.Count, err)
	}
	t.chosen = chosen
	return nil
}

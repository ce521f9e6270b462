package compiler

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	G "gorgonia.org/gorgonia"

	"ssdgm/compiler/dist"
	"ssdgm/lang/check"
)

// plan is what one branch is built for, fixed before it is lowered: the
// points it takes (its name, the variables they carry) and what its
// program reads out of each run. The rest of a branch is lowering state.
type plan struct {
	name     string
	labelled bool
	set      int // index of the branch's LabelSet (labelled branches)
	observed map[*check.Var]bool
	// eval reads the class probabilities, the means of continuous
	// supervised variables and per-row log-densities out of each run.
	eval bool
	// encoderOnly relaxes every unobserved discrete variable (nothing is
	// enumerated) and builds neither the decoder nor the objective.
	encoderOnly bool
	// balanced adds the class-balance term (balance.go) to the objective:
	// the training program's unlabelled branch when Options.Balance > 0.
	balanced bool
	// gen is set for a generator branch: no encoder, the decoder samples
	// its latents from the prior unless they are fixed by inputs.
	gen *genState
}

// newBranch returns an empty branch of p that follows pl.
func newBranch(p *Program, pl plan) *branch {
	if pl.observed == nil {
		pl.observed = map[*check.Var]bool{}
	}
	return &branch{p: p, plan: pl, labels: map[slotKey]*input{}, consts: map[string]*G.Node{},
		enc: map[nodeKey]*G.Node{}, dec: map[nodeKey]*G.Node{}, value: map[slotKey]*G.Node{},
		score: map[slotKey]*G.Node{}, masks: map[string][]*G.Node{}, softMasks: map[string][]*G.Node{}}
}

// lowerBranch builds the branch of plan pl (its labelled flag is set from
// its observed variables) at B data points into p's graph.
func (p *Program) lowerBranch(pl plan, B int) (*branch, error) {
	m := p.Model
	pl.labelled = len(pl.observed) > 0
	b := newBranch(p, pl)
	if b.eval {
		b.probs = map[string]*probsRead{}
		b.means = map[*check.Var]*probsRead{}
	}
	// Enumerated variables decide the row expansion.
	E := 1
	for _, v := range m.Vars {
		if v.Kind != check.Discrete || b.observed[v] || p.opts.discrete(v.Name).Relax || b.encoderOnly {
			continue
		}
		slots := []int{-1}
		if v.Slots > 0 {
			slots = make([]int, v.Slots)
			for i := range slots {
				slots[i] = i
			}
		}
		for _, s := range slots {
			b.enum = append(b.enum, enumSlot{key: slotKey{v, s}, k: v.Classes, stride: E})
			E *= v.Classes
			if E > p.opts.MaxEnumeration {
				return nil, lowerError(v.Enc.Pos, "enumerating `%s` would multiply the %s batch by at least %d rows per data point, more than the %d allowed; relax it instead (run config: discrete: {vars: {%s: relax}})", v.Name, b.name, E, p.opts.MaxEnumeration, v.Name)
			}
		}
	}
	if err := b.checkPartial(E); err != nil {
		return nil, err
	}
	b.lay = layout{B: B, S: p.opts.Samples, E: E, labelled: b.labelled, alpha: p.opts.Alpha,
		floor: gradFloor(p.dt), skipped: new(atomic.Int64)}
	b.R = b.lay.rows()
	if err := b.checkBytes(); err != nil {
		return nil, err
	}
	b.kl = b.klChoices()
	b.qParams = map[slotKey]dist.Params{}
	if err := b.lower(); err != nil {
		return nil, err
	}
	p.brs = append(p.brs, b)
	return b, nil
}

// checkPartial refuses a branch that enumerates (E > 1) while one of its
// observed variables depends in the encoder on a latent it samples: the
// objective's self-normalised weights take log w from the first
// enumeration of each sample, which is right only when log w is the same
// across enumerated rows.
func (b *branch) checkPartial(E int) error {
	if E == 1 || len(b.observed) == 0 {
		return nil
	}
	for v := range b.observed {
		if v.Enc == nil {
			continue
		}
		if l := b.latentDep(v.Enc, map[*check.Node]bool{}); l != nil {
			return lowerError(v.Enc.Pos, "branch %s clamps `%s`, whose encoder distribution depends on the unobserved latent `%s`, while it enumerates a discrete variable; relax the enumerated variable for partially labelled points (run config: discrete: {vars: {%s: relax}})",
				b.name, v.Name, l.Name, b.enum[0].key.v.Name)
		}
	}
	return nil
}

// latentDep returns an unobserved latent that n depends on in the
// encoder, or nil.
func (b *branch) latentDep(n *check.Node, seen map[*check.Node]bool) *check.Var {
	for _, d := range n.Deps {
		if seen[d] {
			continue
		}
		seen[d] = true
		if d.Op == check.Sample && d.Var != nil && !b.observed[d.Var] {
			return d.Var
		}
		if v := b.latentDep(d, seen); v != nil {
			return v
		}
	}
	return nil
}

// observedSet resolves the variable names of a LabelSet (empty: every
// supervised variable) and names its branch: "labelled" when it observes
// every supervised variable, else "labelled(a,b)".
func (p *Program) observedSet(names []string) (map[*check.Var]bool, string, error) {
	m := p.Model
	obs := map[*check.Var]bool{}
	all := 0
	for _, v := range m.Vars {
		if v.Role == check.Supervised {
			all++
		}
	}
	if all == 0 {
		return nil, "", fmt.Errorf("%s: a labelled batch needs a supervised variable, and the spec has none", m.Name)
	}
	if len(names) == 0 {
		for _, v := range m.Vars {
			if v.Role == check.Supervised {
				obs[v] = true
			}
		}
		return obs, "labelled", nil
	}
	var parts []string
	for _, v := range m.Vars {
		if v.Role == check.Supervised && slices.Contains(names, v.Name) {
			obs[v] = true
			parts = append(parts, v.Name)
		}
	}
	for _, n := range names {
		v := m.Var(n)
		if v == nil || v.Role != check.Supervised {
			return nil, "", fmt.Errorf("%s: label set names %q, which is not a supervised variable", m.Name, n)
		}
	}
	if len(obs) == all {
		return obs, "labelled", nil
	}
	return obs, "labelled(" + strings.Join(parts, ",") + ")", nil
}

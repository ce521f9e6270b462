package compiler

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"ssdgm/compiler/dist"
	"ssdgm/lang/check"
)

// With Options.AnalyticKL, a continuous latent z whose encoder and decoder
// distributions are of one family with a closed-form KL (Normal) has its
// Monte Carlo term log p(z | ·) − log q(z | ·) replaced, row by row, by
// −KL(q(z | ·) ‖ p(z | ·)) computed from both distributions' parameters
// in that row. The replacement keeps the estimate unbiased exactly when
// E[log p(z) − log q(z)] over the row's draw of z, given everything the
// row sampled before z, is −KL, and the factor the objective multiplies
// the row by does not depend on z. klChoice checks both:
//
//   - p(z | ·) must not read a latent whose encoder distribution depends on
//     z (one sampled after z and given z): the expectation would then be
//     over that latent too, not a KL between two fixed distributions;
//   - in a labelled branch with more than one row per data point, the rows
//     are weighted by self-normalised importance weights ŵ ∝ q_e·w. If a
//     clamped or enumerated variable's encoder distribution depends on z,
//     ŵ depends on z, and Σ ŵ (log p(z) − log q(z)) estimates the average
//     under q reweighted by ŵ, not under q: −KL(q ‖ p) would bias it. There
//     the Monte Carlo term stays. (The weights multiply the term linearly;
//     the analytic KL applies where nothing but a z-free factor does.)
//
// In an unlabelled branch the row factor q_e / S may depend on z (an
// enumerated y after z), and the replacement is still unbiased: the rows
// of one sample draw z from the same q(z | ·) and their enumeration
// probabilities sum to 1, so Σ_e E[q(e | z)] · (−KL) = −KL = E[Σ_e q(e | z)
// (log p(z) − log q(z))].

// klChoice is how a branch scores one continuous latent's log p − log q.
type klChoice struct {
	analytic bool
	reason   string // why the Monte Carlo term stays (analytic false)
}

// KLChoice reports, for one branch and one continuous latent, whether the
// objective uses the closed-form KL or the Monte Carlo term, and why.
type KLChoice struct {
	Branch   string
	Var      string
	Analytic bool
	Reason   string // when not Analytic: why the Monte Carlo term stays
}

// KLChoices lists the decision of Options.AnalyticKL for every continuous
// latent of every training branch, in branch and variable order (nil
// without AnalyticKL).
func (p *Program) KLChoices() []KLChoice {
	var out []KLChoice
	for _, b := range p.brs {
		for _, v := range p.Model.Vars {
			if c, ok := b.kl[v]; ok {
				out = append(out, KLChoice{Branch: b.name, Var: v.Name, Analytic: c.analytic, Reason: c.reason})
			}
		}
	}
	return out
}

// klChoices decides, for each continuous latent the branch samples,
// whether its KL term is computed in closed form (see klChoice).
func (b *branch) klChoices() map[*check.Var]klChoice {
	if !b.p.opts.AnalyticKL || b.encoderOnly || b.gen != nil {
		return nil
	}
	out := map[*check.Var]klChoice{}
	for _, v := range b.p.Model.Vars {
		if v.Role == check.Data || v.Kind == check.Discrete || b.observed[v] || v.Enc == nil || v.Dec == nil {
			continue
		}
		out[v] = b.klChoice(v)
	}
	return out
}

func (b *branch) klChoice(v *check.Var) klChoice {
	qf, pf := v.Enc.Dist.Family, v.Dec.Dist.Family
	if qf != pf {
		return klChoice{reason: fmt.Sprintf("q(%s | ·) is %s and p(%s | ·) is %s: no closed form", v.Name, qf, v.Name, pf)}
	}
	if f, err := dist.Lookup(qf); err != nil || f.KL == nil {
		return klChoice{reason: fmt.Sprintf("no closed-form KL between two %s distributions", qf)}
	}
	if u := b.priorReadsLater(v); u != nil {
		return klChoice{reason: fmt.Sprintf("p(%s | ·) reads `%s`, which the encoder samples given %s", v.Name, u.Name, v.Name)}
	}
	if b.labelled && b.lay.S*b.lay.E > 1 {
		var weighted []*check.Var
		for o := range b.observed {
			weighted = append(weighted, o)
		}
		for _, e := range b.enum {
			weighted = append(weighted, e.key.v)
		}
		for _, w := range b.p.Model.Vars { // model order, for a stable message
			if !contains(weighted, w) || w.Enc == nil || !encReads(w.Enc, v, map[*check.Node]bool{}) {
				continue
			}
			return klChoice{reason: fmt.Sprintf("the importance weights of this branch depend on %s through q(%s | ·) (the encoder samples %s before %s); with S·E = %d rows per data point the term is averaged under those weights, not under q(%s | ·)",
				v.Name, w.Name, v.Name, w.Name, b.lay.S*b.lay.E, v.Name)}
		}
	}
	return klChoice{analytic: true}
}

func contains(vs []*check.Var, v *check.Var) bool {
	for _, w := range vs {
		if w == v {
			return true
		}
	}
	return false
}

// priorReadsLater returns a latent that v's decoder distribution reads
// (through deterministic decoder values, prev included), that the branch
// does not clamp, and whose encoder distribution depends on v; or nil. A
// decoder sample node stands for its variable's encoder value, so the walk
// does not pass through it.
func (b *branch) priorReadsLater(v *check.Var) *check.Var {
	seen := map[*check.Node]bool{}
	var walk func(n *check.Node) *check.Var
	walk = func(n *check.Node) *check.Var {
		for _, d := range nodeDeps(n) {
			if seen[d] {
				continue
			}
			seen[d] = true
			switch {
			case d.Op == check.Sample:
				u := d.Var
				if u != v && u != nil && !b.observed[u] && u.Enc != nil && encReads(u.Enc, v, map[*check.Node]bool{}) {
					return u
				}
			case d.Op == check.Let:
				if u := walk(d); u != nil {
					return u
				}
			}
		}
		return nil
	}
	return walk(v.Dec)
}

// encReads reports whether encoder node n reads v's sample, directly or
// through other encoder nodes (values at the previous slot included).
func encReads(n *check.Node, v *check.Var, seen map[*check.Node]bool) bool {
	for _, d := range nodeDeps(n) {
		if seen[d] {
			continue
		}
		seen[d] = true
		if d.Op == check.Sample && d.Var == v {
			return true
		}
		if encReads(d, v, seen) {
			return true
		}
	}
	return false
}

// nodeDeps returns the nodes n reads: its Deps and the nodes its
// expressions read at the previous slot (prev), which Deps leaves out.
func nodeDeps(n *check.Node) []*check.Node {
	return append(append([]*check.Node(nil), n.Deps...), check.Prevs(n)...)
}

// analyticKL returns −KL(q ‖ p) [R] for latent key, whose encoder
// parameters q were kept by encSample, at the decoder parameters p.
func (b *branch) analyticKL(d *check.Dist, q, p dist.Params) (*G.Node, error) {
	fam, err := family(d)
	if err != nil {
		return nil, err
	}
	kl, err := fam.KL(q, p)
	if err != nil {
		return nil, lowerError(d.Pos, "KL(q ‖ p): %v", err)
	}
	return G.Neg(kl)
}

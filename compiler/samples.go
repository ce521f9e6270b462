package compiler

import (
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/compiler/dist"
	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// encSample lowers a stochastic encoder node: clamped to its label,
// enumerated, relaxed, or reparameterised; drawn in the shadow branch b.pt
// when it is invariant across the enumerated rows (hoist.go).
func (b *branch) encSample(n *check.Node, slot int) error {
	v := n.Var
	key := slotKey{v, slot}
	mask := b.mask(n, slot)
	hoist := b.hoistSample(n, slot)
	src := b
	if hoist {
		src = b.pt
	}
	value, score, lq, stat, scale, err := src.encDraw(n, slot)
	if err != nil {
		return err
	}
	if err := b.noteBalance(v, slot, stat); err != nil {
		return err
	}
	if hoist {
		b.pt.enc[nodeKey{n, slot}] = value
		b.pt.value[key] = value
		b.pt.score[key] = score
		same := score == value
		if value, err = b.spread(value); err != nil {
			return err
		}
		if score = value; !same {
			if score, err = b.spread(b.pt.score[key]); err != nil {
				return err
			}
		}
		if lq, err = b.spread(lq); err != nil {
			return err
		}
		b.inv[nodeKey{n, slot}] = true
	}
	if err := b.readEncoder(v, slot, stat, hoist); err != nil {
		return err
	}
	if !hoist && v.Kind != check.Discrete && b.kl[v].analytic {
		// The decoder scores this latent by −KL(q ‖ p) from these
		// parameters in place of log p − log q (analytic.go).
		b.qParams[key] = dist.Params{Loc: stat, Scale: scale}
		b.enc[nodeKey{n, slot}] = value
		b.value[key] = value
		b.score[key] = score
		return nil
	}
	b.enc[nodeKey{n, slot}] = value
	b.value[key] = value
	b.score[key] = score
	if err := b.accumulate(&b.lq, lq, mask); err != nil {
		return err
	}
	switch {
	case b.observed[v]:
		if err := b.accumulate(&b.lw, lq, mask); err != nil {
			return err
		}
		return b.addTerm("log q("+v.Name+"|·) [log w]", lq, mask)
	case b.enumerated(key) >= 0:
		lqe, err := inactiveUniform(lq, mask, v.Classes)
		if err != nil {
			return err
		}
		if err := b.accumulate(&b.lqe, lqe, nil); err != nil {
			return err
		}
	}
	nlq, err := G.Neg(lq)
	if err != nil {
		return err
	}
	return b.addTerm("kl:"+v.Name, nlq, mask)
}

// encDraw lowers the value of an encoder sample node, the one-hot it is
// scored at (the value itself for a continuous or enumerated variable), its
// per-row log q, and stat: the logits of a discrete variable, the loc of a
// continuous one.
func (b *branch) encDraw(n *check.Node, slot int) (value, score, lq, stat, scale *G.Node, err error) {
	v := n.Var
	d := n.Dist
	key := slotKey{v, slot}
	if v.Kind == check.Discrete {
		logits, err := b.logits(d, slot, true)
		if err != nil {
			return nil, nil, nil, nil, nil, err
		}
		switch {
		case b.observed[v]:
			value = b.labelInput(key).node
			score = value
		case b.enumerated(key) >= 0:
			value = b.enumValue(key)
			score = value
		default:
			gum := b.newNoise("gumbel."+slotName(v, slot), v.Classes, func(t *tensor.Dense, rng *rand.Rand) error {
				return dist.FillGumbel(rng, t)
			})
			temp := b.p.opts.discrete(v.Name).Temperature
			if temp <= 0 {
				temp = 1
			}
			if value, err = dist.ConcreteSample(logits, gum.node, temp); err != nil {
				return nil, nil, nil, nil, nil, err
			}
			if score, err = dist.Hard(value); err != nil {
				return nil, nil, nil, nil, nil, err
			}
		}
		lq, err = dist.CategoricalLogitsLogProb(score, logits)
		return value, score, lq, logits, nil, err
	}
	loc, scale, err := b.locScale(d, slot, true, v.Shape.Size())
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	if b.observed[v] {
		value = b.labelInput(key).node
	} else {
		fam, err := family(d)
		if err != nil {
			return nil, nil, nil, nil, nil, err
		}
		noise := fam.Noise
		if !noise.Valid() {
			return nil, nil, nil, nil, nil, lowerError(d.Pos, "%s has no reparameterised sampler", d.Family)
		}
		eps := b.newNoise("eps."+slotName(v, slot), v.Shape.Size(), func(t *tensor.Dense, rng *rand.Rand) error {
			return dist.Fill(noise, rng, t)
		})
		if value, err = dist.Reparam(loc, scale, eps.node); err != nil {
			return nil, nil, nil, nil, nil, err
		}
	}
	lq, err = logProb(d, value, dist.Params{Loc: loc, Scale: scale})
	return value, value, lq, loc, scale, err
}

// readEncoder keeps, in an evaluation branch, the encoder's class
// probabilities of a supervised discrete variable (from its logits, stat)
// and the loc of a supervised continuous one outside repeats; hoisted says
// that stat is a value of b.pt.
func (b *branch) readEncoder(v *check.Var, slot int, stat *G.Node, hoisted bool) error {
	if v.Role != check.Supervised {
		return nil
	}
	discrete := v.Kind == check.Discrete
	if (discrete && b.probs == nil) || (!discrete && (b.means == nil || slot >= 0)) {
		return nil
	}
	var err error
	if hoisted {
		if stat, err = b.spread(stat); err != nil {
			return err
		}
	}
	if !discrete {
		b.means[v] = &probsRead{node: stat}
		b.read(stat, &b.means[v].val)
		return nil
	}
	pr, err := ops.Softmax(stat)
	if err != nil {
		return err
	}
	r := &probsRead{k: v.Classes, node: pr}
	b.probs[slotName(v, slot)] = r
	b.read(pr, &r.val)
	return nil
}

// decSample lowers a stochastic decoder node: the data variable's
// likelihood, or a latent's prior density at the encoder's value (in the
// shadow branch b.pt when the value and the prior's parameters are
// invariant across the enumerated rows).
func (b *branch) decSample(n *check.Node, slot int) error {
	if b.gen != nil {
		return b.genSample(n, slot)
	}
	v := n.Var
	d := n.Dist
	mask := b.mask(n, slot)
	var lp *G.Node
	if v.Role == check.Data {
		value := b.x.node
		b.dec[nodeKey{n, slot}] = value
		size := v.Shape.Size()
		fam, err := family(d)
		if err != nil {
			return err
		}
		if fam.Discrete {
			return lowerError(d.Pos, "%s cannot be the likelihood of the data", d.Family)
		}
		p, err := b.params(d, slot, false, size)
		if err != nil {
			return err
		}
		if lp, err = fam.LogProb(value, p); err != nil {
			return err
		}
		if err := b.accumulate(&b.lp, lp, mask); err != nil {
			return err
		}
		return b.addTerm("recon:"+v.Name, lp, mask)
	}
	key := slotKey{v, slot}
	value := b.value[key]
	if value == nil {
		return lowerError(n.Pos, "latent `%s` has no value from the encoder", v.Name)
	}
	b.dec[nodeKey{n, slot}] = value
	src := b
	if b.inv != nil && v.Enc != nil && b.inv[nodeKey{v.Enc, slot}] {
		b.inv[nodeKey{n, slot}] = true
		b.pt.dec[nodeKey{n, slot}] = b.pt.value[key]
		if b.distInvariant(d, slot) {
			src = b.pt
		}
	}
	lp, err := src.priorLogProb(n, slot)
	if err != nil {
		return err
	}
	if src != b {
		if lp, err = b.spread(lp); err != nil {
			return err
		}
	}
	if err := b.accumulate(&b.lp, lp, mask); err != nil {
		return err
	}
	if b.observed[v] {
		return b.addTerm("log p("+v.Name+")", lp, mask)
	}
	return b.addTerm("kl:"+v.Name, lp, mask)
}

// priorLogProb returns the per-row log density of a latent's decoder
// distribution at its value.
func (b *branch) priorLogProb(n *check.Node, slot int) (*G.Node, error) {
	v := n.Var
	d := n.Dist
	key := slotKey{v, slot}
	if v.Kind == check.Discrete {
		logits, err := b.logits(d, slot, false)
		if err != nil {
			return nil, err
		}
		return dist.CategoricalLogitsLogProb(b.score[key], logits)
	}
	loc, scale, err := b.locScale(d, slot, false, v.Shape.Size())
	if err != nil {
		return nil, err
	}
	if q, ok := b.qParams[key]; ok {
		return b.analyticKL(d, q, dist.Params{Loc: loc, Scale: scale})
	}
	return logProb(d, b.value[key], dist.Params{Loc: loc, Scale: scale})
}

// inactiveUniform returns the enumeration log-weight of a slot variable
// with k classes: its log q where the slot is active, and log(1/k) where it
// is not, mask·(lq + log k) − log k. A slot beyond the count does not exist,
// yet its variable is still enumerated (the rows are shared by every
// count); weighting its k values uniformly makes the weights of each count
// sum to 1, where weight 1 each would count that count k times over.
func inactiveUniform(lq, mask *G.Node, k int) (*G.Node, error) {
	if mask == nil {
		return lq, nil
	}
	logK := math.Log(float64(k))
	n, err := ops.Affine(lq, 1, logK)
	if err == nil {
		n, err = G.HadamardProd(n, mask)
	}
	if err == nil {
		n, err = ops.Affine(n, 1, -logK)
	}
	return n, err
}

// family returns the compiler's side of d's family.
func family(d *check.Dist) (*dist.Family, error) {
	f, err := dist.Lookup(d.Family)
	if err != nil {
		return nil, lowerError(d.Pos, "%v", err)
	}
	return f, nil
}

// logProb returns Σ_d log p(x | p) of d's family as [R].
func logProb(d *check.Dist, x *G.Node, p dist.Params) (*G.Node, error) {
	f, err := family(d)
	if err != nil {
		return nil, err
	}
	return f.LogProb(x, p)
}

// params lowers whichever parameters d has, each as [R, size].
func (b *branch) params(d *check.Dist, slot int, encoder bool, size int) (dist.Params, error) {
	var p dist.Params
	var err error
	switch {
	case d.Loc != nil:
		p.Loc, p.Scale, err = b.locScale(d, slot, encoder, size)
	case d.Logits != nil:
		p.Logits, err = b.full(d.Logits, slot, encoder, size)
	case d.Probs != nil:
		p.Probs, err = b.full(d.Probs, slot, encoder, size)
	}
	return p, err
}

// logits returns a categorical distribution's logits [R, K] (log-probs for
// a probs parameter).
func (b *branch) logits(d *check.Dist, slot int, encoder bool) (*G.Node, error) {
	k := d.Shape.Size()
	if d.Logits != nil {
		return b.full(d.Logits, slot, encoder, k)
	}
	probs, err := b.full(d.Probs, slot, encoder, k)
	if err != nil {
		return nil, err
	}
	return ops.LogClamped(probs, dist.DefaultEps)
}

// locScale returns loc and scale broadcast to [R, D].
func (b *branch) locScale(d *check.Dist, slot int, encoder bool, size int) (*G.Node, *G.Node, error) {
	loc, err := b.full(d.Loc, slot, encoder, size)
	if err != nil {
		return nil, nil, err
	}
	scale, err := b.full(d.Scale, slot, encoder, size)
	return loc, scale, err
}

package compiler

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/compiler/dist"
	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// slotKey names the value of a variable in one slot of its repeat (slot -1
// outside repeats).
type slotKey struct {
	v    *check.Var
	slot int
}

// nodeKey names the value of a graph node in one slot.
type nodeKey struct {
	n    *check.Node
	slot int
}

// input is a tensor the program fills before each run.
type input struct {
	node *G.Node
	t    *tensor.Dense
	fill func(t *tensor.Dense, rng *rand.Rand) error
}

// termNode is a per-row log-density reported as a term of the objective.
type termNode struct {
	name string
	node *G.Node // [R]
	val  G.Value // node's value, copied by a read op when computed
}

// branch is the encoder and decoder lowered for one observed set (the
// labelled branch clamps every supervised variable; the unlabelled branch
// clamps none) at batch size B with S samples and E enumerations per point:
// its plan (what it is built for, fixed before lowering) and the lowering
// state (inputs, the values of every node, and what is read out of a run).
type branch struct {
	p *Program
	plan
	lay    layout
	R      int
	enum   []enumSlot
	x      *input
	labels map[slotKey]*input
	noise  []*input
	consts map[string]*G.Node
	small  *branch             // the data-only values at B rows (tile.go)
	tiles  map[tileKey]*G.Node // tiled shadow values
	memo   map[tileKey]*G.Node // a shadow branch's lowered expressions
	// pt is the shadow branch of the values invariant across the
	// enumerated rows, at S·B rows (hoist.go); parent is a shadow's branch.
	pt     *branch
	parent *branch
	inv    map[nodeKey]bool    // lowered nodes invariant across enumerated rows
	hoists map[tileKey]*G.Node // tiled values of pt

	enc   map[nodeKey]*G.Node // encoder values
	dec   map[nodeKey]*G.Node // decoder values
	value map[slotKey]*G.Node // a latent's value (relaxed or one-hot)
	score map[slotKey]*G.Node // the one-hot a discrete latent is scored at
	masks map[string][]*G.Node
	// softMasks are a relaxed count's masks from its relaxed value.
	softMasks map[string][]*G.Node

	lp, lq, lw, lqe *G.Node
	lwVal, lqeVal   G.Value                   // copies of lw and lqe taken during the run
	lpVal, lqVal    G.Value                   // (evaluation only)
	probs           map[string]*probsRead     // by slotName
	means           map[*check.Var]*probsRead // encoder locs of continuous supervised variables
	termNodes       []termNode
	objective       *G.Node
	// latentVals are the latents' values read out of an encoder-only run.
	latentVals map[slotKey]*G.Value
	// kl says which continuous latents get the closed-form KL
	// (Options.AnalyticKL; analytic.go); qParams holds their encoder
	// parameters for the decoder's KL.
	kl      map[*check.Var]klChoice
	qParams map[slotKey]dist.Params
	// balance holds the class-balance KLs of the branch (balance.go).
	balance []balanceTerm
}

// probsRead is the encoder's class probabilities of a supervised discrete
// variable, read during an evaluation run.
type probsRead struct {
	k    int // classes
	node *G.Node
	val  G.Value
}

// enumSlot is one enumerated discrete variable (in one slot) and its
// stride in the row index's enumeration digit.
type enumSlot struct {
	key    slotKey
	k      int
	stride int
}

// lower builds the encoder, the decoder and the branch objective.
func (b *branch) lower() error {
	m := b.p.Model
	g := b.p.g
	if b.R > b.lay.B {
		b.small = b.newSmall()
		b.tiles = map[tileKey]*G.Node{}
		b.small.x = b.small.newInput(b.name+".x", m.Data.Shape.Size(), nil)
		x, err := ops.TileRows(b.small.x.node, b.R/b.lay.B)
		if err != nil {
			return err
		}
		b.x = &input{node: x}
	} else {
		b.x = b.newInput(b.name+".x", m.Data.Shape.Size(), nil)
	}
	if b.p.opts.SharedNoise && !b.p.opts.noHoist && b.lay.E > 1 && b.small != nil && b.gen == nil {
		b.pt = b.newPoint()
		b.inv = map[nodeKey]bool{}
		b.hoists = map[tileKey]*G.Node{}
		x, err := tileTo(b.small.x.node, b.lay.S)
		if err != nil {
			return err
		}
		b.pt.x = &input{node: x}
	}
	if b.gen != nil {
		for _, st := range m.Decoder.Steps {
			if err := b.step(st, false); err != nil {
				return err
			}
		}
		return nil
	}
	for _, st := range m.Encoder.Steps {
		if err := b.step(st, true); err != nil {
			return err
		}
	}
	if b.encoderOnly {
		b.readLatents()
		return nil
	}
	for _, st := range m.Decoder.Steps {
		if err := b.step(st, false); err != nil {
			return err
		}
	}
	zero := func(n **G.Node) error {
		if *n == nil {
			t := tensor.New(tensor.Of(b.p.dt), tensor.WithShape(b.R))
			*n = G.NewConstant(t, G.WithName(b.name+".zero"), G.In(g))
		}
		return nil
	}
	for _, n := range []**G.Node{&b.lp, &b.lq, &b.lw, &b.lqe} {
		if err := zero(n); err != nil {
			return err
		}
	}
	obj, err := G.ApplyOp(objOp{l: b.lay}, b.lp, b.lq, b.lw, b.lqe)
	if err != nil {
		return fmt.Errorf("%s objective: %w", b.name, err)
	}
	if obj, err = b.withBalance(obj); err != nil {
		return fmt.Errorf("%s class balance: %w", b.name, err)
	}
	b.objective = obj
	// Intermediate values may be overwritten by later in-place ops, so the
	// values the report needs are copied out when they are computed.
	b.read(b.lw, &b.lwVal)
	b.read(b.lqe, &b.lqeVal)
	if b.probs != nil {
		b.read(b.lp, &b.lpVal)
		b.read(b.lq, &b.lqVal)
	}
	for i := range b.termNodes {
		b.read(b.termNodes[i].node, &b.termNodes[i].val)
	}
	return nil
}

// read copies n's value into *into whenever the machine computes n, and
// keeps the read alive through pruning.
func (b *branch) read(n *G.Node, into *G.Value) {
	b.p.keep = append(b.p.keep, G.Read(n, into))
}

// step lowers one evaluation step (a node, or a repeat unrolled over its
// slots) of the encoder or the decoder.
func (b *branch) step(st check.Step, encoder bool) error {
	if st.Node != nil {
		return b.node(st.Node, -1, encoder)
	}
	r := st.Repeat
	if err := b.ensureMasks(r); err != nil {
		return err
	}
	for slot := 0; slot < r.Max; slot++ {
		for _, n := range r.Nodes {
			if err := b.node(n, slot, encoder); err != nil {
				return err
			}
		}
	}
	return nil
}

// vals returns the value map of a block.
func (b *branch) vals(encoder bool) map[nodeKey]*G.Node {
	if encoder {
		return b.enc
	}
	return b.dec
}

// node lowers one node in one slot.
func (b *branch) node(n *check.Node, slot int, encoder bool) error {
	vals := b.vals(encoder)
	switch n.Op {
	case check.Let:
		v, err := b.expr(n.Value, slot, encoder)
		if err != nil {
			return err
		}
		vals[nodeKey{n, slot}] = v
		if b.inv != nil {
			b.inv[nodeKey{n, slot}], _ = b.invariant(n.Value, slot)
		}
		return nil
	case check.Input:
		vals[nodeKey{n, slot}] = b.x.node
		if b.inv != nil {
			b.inv[nodeKey{n, slot}] = true
		}
		return nil
	}
	if encoder {
		return b.encSample(n, slot)
	}
	return b.decSample(n, slot)
}

// mask returns the [R] activity mask of slot in n's repeat, or nil when the
// slot is always active.
func (b *branch) mask(n *check.Node, slot int) *G.Node {
	if n.Repeat == nil || slot < 0 {
		return nil
	}
	return b.masks[maskKey(n.Repeat)][slot]
}

func maskKey(r *check.Repeat) string {
	switch c := r.Count.(type) {
	case *check.Ref:
		return "var:" + c.Node.Var.Name
	case *check.Const:
		return fmt.Sprintf("const:%g:%d", c.Value, r.Max)
	}
	return "?"
}

// ensureMasks computes the slot masks of a repeat: slot i is active when
// i < count. The count's one-hot value must already be lowered.
func (b *branch) ensureMasks(r *check.Repeat) error {
	key := maskKey(r)
	if _, ok := b.masks[key]; ok {
		return nil
	}
	masks := make([]*G.Node, r.Max)
	switch c := r.Count.(type) {
	case *check.Const:
		// Slots at or beyond a constant count are off: a zero mask of R
		// rows, shaped [R] like the per-row densities it masks.
		var off *G.Node
		for i := range masks {
			if float64(i) >= c.Value {
				if off == nil {
					t := tensor.New(tensor.Of(b.p.dt), tensor.WithShape(b.R))
					off = G.NewConstant(t, G.WithName(b.name+".slotoff"), G.In(b.p.g))
				}
				masks[i] = off
			}
		}
	case *check.Ref:
		ck := slotKey{c.Node.Var, -1}
		oh, val := b.score[ck], b.value[ck]
		if oh == nil {
			return lowerError(r.Pos, "the count `%s` of this repeat has no value yet", c.Node.Name)
		}
		var soft []*G.Node
		if val != nil && val != oh {
			soft = make([]*G.Node, r.Max)
		}
		for i := range masks {
			ind := b.constRows(fmt.Sprintf("above%d_%d", i, r.Max), r.Max+1, func(_, k int) float64 {
				if k > i {
					return 1
				}
				return 0
			})
			m, err := ops.RowDot(oh, ind)
			if err != nil {
				return err
			}
			masks[i] = m
			if soft != nil {
				if soft[i], err = ops.RowDot(val, ind); err != nil {
					return err
				}
			}
		}
		if soft != nil {
			b.softMasks[key] = soft
		}
	}
	b.masks[key] = masks
	return nil
}

// valueMask returns the mask that switches slot's values on and off in
// sum_slots: for a relaxed count, P(count > slot) under its relaxed value,
// so that the likelihood's gradient reaches the count's encoder (the
// densities of the slot variables keep the hard mask at the argmax, as a
// relaxed variable is scored at its argmax); else the activity mask.
func (b *branch) valueMask(n *check.Node, slot int) *G.Node {
	if n.Repeat != nil && slot >= 0 {
		if soft, ok := b.softMasks[maskKey(n.Repeat)]; ok {
			return soft[slot]
		}
	}
	return b.mask(n, slot)
}

// accumulate adds a per-row log-density (masked for inactive slots) to an
// accumulator.
func (b *branch) accumulate(acc **G.Node, x, mask *G.Node) error {
	var err error
	if mask != nil {
		if x, err = G.HadamardProd(x, mask); err != nil {
			return err
		}
	}
	if *acc == nil {
		*acc = x
		return nil
	}
	*acc, err = G.Add(*acc, x)
	return err
}

func (b *branch) addTerm(name string, x, mask *G.Node) error {
	var err error
	if mask != nil {
		if x, err = G.HadamardProd(x, mask); err != nil {
			return err
		}
	}
	for i, t := range b.termNodes {
		if t.name == name {
			b.termNodes[i].node, err = G.Add(t.node, x)
			return err
		}
	}
	b.termNodes = append(b.termNodes, termNode{name: name, node: x})
	return nil
}

func slotName(v *check.Var, slot int) string {
	if slot < 0 {
		return v.Name
	}
	return fmt.Sprintf("%s[%d]", v.Name, slot)
}

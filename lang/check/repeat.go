package check

import (
	"math"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// sumSlots checks sum_slots(v): the sum of a slot variable over the active
// slots of its repeat, read outside the repeat.
func (c *checker) sumSlots(sc *scope, call *syntax.Call, out *Call) Expr {
	if len(call.Args) != 1 || call.Args[0].Name != nil {
		c.errorf(call.Pos, call.EndPos, "sum_slots takes 1 argument: the name of a value defined inside a repeat")
		return out
	}
	id, ok := nameOf(call.Args[0].Value)
	d := (*def)(nil)
	if ok {
		d = sc.defs[id.Name]
	}
	if d == nil || d.repeat == nil {
		a := call.Args[0]
		c.errorf(a.Pos, a.EndPos, "sum_slots needs the name of a value defined inside a repeat")
		return out
	}
	if sc.cur != nil && sc.cur.repeat == d.repeat {
		c.errorf(call.Pos, call.EndPos, "sum_slots(%s) reads every slot of the repeat it is called in; inside the repeat use `%s` itself, or prev(%s, init) for the previous slot", id.Name, id.Name, id.Name)
		return out
	}
	sc.use(d)
	ref := &Ref{ExprInfo: ExprInfo{Pos: syntax.Pos(id.Pos), End: syntax.Pos(id.EndPos), Shape: d.node.Shape, Kind: d.node.Kind}, Node: d.node}
	out.Args = []Expr{ref}
	if d.node.Shape != nil && c.continuous(ref, "sum_slots") {
		out.Shape = d.node.Shape
	}
	return out
}

// prev checks prev(v, init): the value of v at the previous slot of the
// repeat, or init at the first slot. It does not make the statement depend
// on v within the slot, so it is how a repeat carries state.
func (c *checker) prev(sc *scope, call *syntax.Call, info ExprInfo) Expr {
	out := &Prev{ExprInfo: info}
	b, ok := c.bind(call, "prev", []param{{name: "value", required: true, positional: true}, {name: "init", required: true, positional: true}})
	if !ok {
		return out
	}
	id, isName := nameOf(b["value"].Value)
	var d *def
	if isName {
		d = sc.defs[id.Name]
	}
	if sc.cur == nil || sc.cur.repeat == nil {
		c.errorf(call.Pos, call.EndPos, "prev(...) is only meaningful inside a repeat block")
		return out
	}
	if d == nil || d.repeat != sc.cur.repeat {
		a := b["value"]
		c.errorf(a.Pos, a.EndPos, "prev's first argument must be the name of a value defined in the same repeat")
		return out
	}
	init := c.expr(sc, b["init"].Value)
	out.Node = d.node
	out.Init = init
	out.Shape = init.Info().Shape
	out.Kind = init.Info().Kind
	if out.Shape != nil {
		sc.prevs = append(sc.prevs, prevCheck{d: d, init: init})
	}
	return out
}

// repeatCount checks a repeat's count and bound: the bound is a positive
// integer constant; the count is a constant no larger than it, or a
// discrete latent with bound+1 classes (the values 0 to bound).
func (sc *scope) repeatCount(r *Repeat) {
	c := sc.c
	rs := sc.rsyn[r]
	if rs.Max != nil {
		v, ok := constNumber(rs.Max)
		if !ok || v != math.Trunc(v) || v < 1 {
			d := c.errorf(rs.Max.Pos, rs.Max.EndPos, "a repeat bound must be a positive integer constant")
			d.Suggest = "write the largest number of slots, as in `repeat K max 3 { ... }`"
			return
		}
		if v > maxInt {
			c.errorf(rs.Max.Pos, rs.Max.EndPos, "a repeat bound of %g is far too large (at most %d)", v, int64(maxInt))
			return
		}
		r.Max = int(v)
	}
	if v, ok := constNumber(rs.Count); ok {
		if v != math.Trunc(v) || v < 1 {
			c.errorf(rs.Count.Pos, rs.Count.EndPos, "a constant repeat count must be a positive integer")
			return
		}
		if v > maxInt {
			c.errorf(rs.Count.Pos, rs.Count.EndPos, "a repeat count of %g is far too large (at most %d)", v, int64(maxInt))
			return
		}
		if r.Max == 0 {
			r.Max = int(v)
		} else if int(v) > r.Max {
			c.errorf(rs.Count.Pos, rs.Count.EndPos, "repeat count %d exceeds its bound %d", int(v), r.Max)
			return
		}
		r.Count = &Const{ExprInfo: ExprInfo{Shape: Shape{}, Pos: syntax.Pos(rs.Count.Pos), End: syntax.Pos(rs.Count.EndPos)}, Value: v}
		return
	}
	id, ok := nameOf(rs.Count)
	if !ok {
		c.errorf(rs.Count.Pos, rs.Count.EndPos, "a repeat count is an integer constant or the name of a discrete latent variable")
		return
	}
	if r.Max == 0 {
		d := c.errorf(rs.Pos, rs.EndPos, "a repeat with a variable count needs a bound")
		d.Suggest = "add `max N`, as in `repeat " + id.Name + " max 3 { ... }`"
		return
	}
	d := sc.defs[id.Name]
	if d == nil {
		e := c.errorf(id.Pos, id.EndPos, "undefined: `%s` in the %s", id.Name, sc.g.Kind)
		e.Suggest = diag.DidYouMean(id.Name, sc.visibleNames())
		return
	}
	if d.repeat != nil {
		c.errorf(id.Pos, id.EndPos, "the count of a repeat must be defined outside any repeat")
		return
	}
	n := d.node
	if n.Op != Sample || n.Kind != Discrete {
		e := c.errorf(id.Pos, id.EndPos, "the repeat count `%s` must be a discrete latent variable (Categorical), but it is %s", id.Name, describeNode(n))
		e.Notes = []diag.Note{{Pos: n.Pos, Msg: "defined here"}}
		return
	}
	if n.Shape != nil && n.Shape.Size() != r.Max+1 {
		e := c.errorf(id.Pos, id.EndPos, "the repeat count `%s` has %d classes, but a count up to %d needs %d (the values 0 to %d)", id.Name, n.Shape.Size(), r.Max, r.Max+1, r.Max)
		e.Notes = []diag.Note{{Pos: n.Pos, Msg: "defined here"}}
		return
	}
	r.Count = &Ref{ExprInfo: ExprInfo{Shape: n.Shape, Kind: Discrete, Pos: syntax.Pos(id.Pos), End: syntax.Pos(id.EndPos)}, Node: n}
}

func describeNode(n *Node) string {
	switch {
	case n.Op == Let:
		return "a deterministic value"
	case n.Kind == Discrete:
		return "discrete"
	}
	return "continuous"
}

// steps orders the graph for evaluation: a node outside repeats or a whole
// repeat is a step; a step comes after every step it reads.
func (sc *scope) steps() {
	type item struct {
		step  Step
		deps  []*Node
		state int
	}
	itemOf := map[*Node]*item{}
	repItem := map[*Repeat]*item{}
	var items []*item
	for _, n := range sc.g.Nodes {
		if n.Repeat == nil {
			it := &item{step: Step{Node: n}, deps: n.Deps}
			itemOf[n] = it
			items = append(items, it)
			continue
		}
		it, ok := repItem[n.Repeat]
		if !ok {
			it = &item{step: Step{Repeat: n.Repeat}}
			repItem[n.Repeat] = it
			items = append(items, it)
			if ref, isRef := n.Repeat.Count.(*Ref); isRef {
				it.deps = append(it.deps, ref.Node)
			}
		}
		itemOf[n] = it
		it.deps = append(it.deps, n.Deps...)
	}
	var visit func(it *item) bool
	visit = func(it *item) bool {
		switch it.state {
		case 1:
			return false
		case 2:
			return true
		}
		it.state = 1
		for _, d := range it.deps {
			dep := itemOf[d]
			if dep == nil || dep == it {
				continue
			}
			if !visit(dep) {
				if it.step.Repeat != nil {
					sc.c.errorAt(it.step.Repeat.Pos, diag.Pos{}, "this repeat reads `%s`, which is computed from the repeat's own slots", d.Name)
				}
				it.state = 2
				return true
			}
		}
		it.state = 2
		sc.g.Steps = append(sc.g.Steps, it.step)
		return true
	}
	for _, it := range items {
		visit(it)
	}
}

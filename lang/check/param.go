package check

import (
	"math"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// Param is a free learned tensor declared with `param NAME: real[SHAPE] =
// INIT`: one value per element, shared by every example and every use,
// trained with the networks' weights and saved in their checkpoints.
// `real` without a shape is `real[1]`; INIT is one number for every
// element or a list of one number per element, row-major.
type Param struct {
	Name  string
	Shape Shape   // per-example shape, as a value's (the batch is implicit)
	Init  float64 // every element's initial value (the first, with Values)
	// Values holds each element's initial value when INIT is a list; nil
	// when every element starts at Init.
	Values []float64
	Uses   int
	Pos    diag.Pos
}

// ParamRef reads a param: its value, the same for every example.
type ParamRef struct {
	ExprInfo
	Param *Param
}

// paramDecl checks `param NAME: real[SHAPE] = INIT`.
func (c *checker) paramDecl(d *syntax.ParamDecl) *Param {
	t := d.Type
	if t.Name.Name != "real" {
		e := c.errorf(t.Name.Pos, t.Name.EndPos, "unknown param type `%s`", t.Name.Name)
		e.Suggest = diag.DidYouMean(t.Name.Name, []string{"real"})
		if e.Suggest == "" {
			e.Suggest = "a param is real[SHAPE], as in `param " + d.Name.Name + ": real[10] = 0`"
		}
		return nil
	}
	dims := Shape{1}
	if len(t.Dims) > 0 {
		if dims = c.typeDims(t); dims == nil {
			return nil
		}
	}
	p := &Param{Name: d.Name.Name, Shape: dims, Pos: syntax.Pos(d.Name.Pos)}
	if l := listOf(d.Init); l != nil {
		if len(l.Elems) != dims.Size() {
			e := c.errorf(d.Init.Pos, d.Init.EndPos, "param `%s` has %d elements, but its initial list has %d values", d.Name.Name, dims.Size(), len(l.Elems))
			e.Suggest = "give one number per element, or one number for all of them, as in `= 0`"
			return nil
		}
		for _, el := range l.Elems {
			v, ok := c.paramInit(d, el)
			if !ok {
				return nil
			}
			p.Values = append(p.Values, v)
		}
		p.Init = p.Values[0]
		return p
	}
	v, ok := c.paramInit(d, d.Init)
	if !ok {
		return nil
	}
	p.Init = v
	return p
}

// paramInit checks one initial value of param d: a finite numeric
// constant.
func (c *checker) paramInit(d *syntax.ParamDecl, e *syntax.Expr) (float64, bool) {
	v, ok := constNumber(e)
	if !ok {
		d := c.errorf(e.Pos, e.EndPos, "the initial value of param `%s` must be a numeric constant", d.Name.Name)
		d.Suggest = "every element starts at that number, as in `= 0` or `= -1`"
		return 0, false
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		c.errorf(e.Pos, e.EndPos, "the initial value of param `%s` is not a finite number", d.Name.Name)
		return 0, false
	}
	return v, true
}

// paramRef is a read of param p at id.
func paramRef(p *Param, id *syntax.Ident) Expr {
	p.Uses++
	return &ParamRef{ExprInfo: ExprInfo{Shape: p.Shape, Kind: Continuous, Pos: syntax.Pos(id.Pos), End: syntax.Pos(id.EndPos)}, Param: p}
}

// ParamsRead lists the params e reads, each once, in the order first read.
func ParamsRead(e Expr) []*Param {
	var out []*Param
	seen := map[*Param]bool{}
	Walk(e, func(e Expr) {
		if r, ok := e.(*ParamRef); ok && !seen[r.Param] {
			seen[r.Param] = true
			out = append(out, r.Param)
		}
	})
	return out
}

package check

import (
	"math"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// Param is a free learned tensor declared with `param NAME: real[SHAPE] =
// INIT`: one value per element, shared by every example and every use,
// trained with the networks' weights and saved in their checkpoints.
type Param struct {
	Name  string
	Shape Shape   // per-example shape, as a value's (the batch is implicit)
	Init  float64 // every element's initial value
	Uses  int
	Pos   diag.Pos
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
	dims := c.typeDims(t)
	if dims == nil {
		return nil
	}
	v, ok := constNumber(d.Init)
	if !ok {
		e := c.errorf(d.Init.Pos, d.Init.EndPos, "the initial value of param `%s` must be a numeric constant", d.Name.Name)
		e.Suggest = "every element starts at that number, as in `= 0` or `= -1`"
		return nil
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		c.errorf(d.Init.Pos, d.Init.EndPos, "the initial value of param `%s` is not a finite number", d.Name.Name)
		return nil
	}
	return &Param{Name: d.Name.Name, Shape: dims, Init: v, Pos: syntax.Pos(d.Name.Pos)}
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
	var walk func(e Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *ParamRef:
			if !seen[e.Param] {
				seen[e.Param] = true
				out = append(out, e.Param)
			}
		case *Prev:
			walk(e.Init)
		case *Call:
			for _, a := range e.Args {
				walk(a)
			}
		case *NetCall:
			for _, a := range e.Args {
				walk(a)
			}
		case *Binary:
			walk(e.X)
			walk(e.Y)
		case *Neg:
			walk(e.X)
		}
	}
	walk(e)
	return out
}

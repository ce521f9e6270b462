package check

import (
	"fmt"
	"math"
	"strconv"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// param describes one parameter of a library function, distribution or
// network kind.
type param struct {
	name       string
	required   bool
	positional bool // may be given without its name, in order
}

// bound maps parameter names to the argument expressions of a call.
type bound map[string]*syntax.Arg

// bind matches a call's arguments to params, reporting unknown names (with
// a suggestion), repeated names, too many positional arguments and missing
// required ones. what names the callee in messages, e.g. "Normal".
func (c *checker) bind(call *syntax.Call, what string, params []param) (bound, bool) {
	b := bound{}
	ok := true
	var positional []param
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.name
		if p.positional {
			positional = append(positional, p)
		}
	}
	next := 0
	suggested := map[string]bool{}
	for _, a := range call.Args {
		if a.Name == nil {
			if next >= len(positional) {
				c.errorf(a.Pos, a.EndPos, "too many arguments to %s: it takes %s", what, describeParams(params))
				ok = false
				continue
			}
			p := positional[next]
			next++
			if _, dup := b[p.name]; dup {
				c.errorf(a.Pos, a.EndPos, "argument `%s` to %s given twice", p.name, what)
				ok = false
				continue
			}
			b[p.name] = a
			continue
		}
		name := a.Name.Name
		known := false
		for _, p := range params {
			if p.name == name {
				known = true
			}
		}
		if !known {
			d := c.errorf(a.Name.Pos, a.Name.EndPos, "unknown argument `%s` to %s", name, what)
			d.Suggest = diag.DidYouMean(name, names)
			suggested[diag.Closest(name, names)] = true
			if d.Suggest == "" {
				d.Suggest = what + " takes " + describeParams(params)
			}
			ok = false
			continue
		}
		if _, dup := b[name]; dup {
			c.errorf(a.Name.Pos, a.Name.EndPos, "argument `%s` to %s given twice", name, what)
			ok = false
			continue
		}
		b[name] = a
	}
	for _, p := range params {
		if _, has := b[p.name]; p.required && !has && !suggested[p.name] {
			c.errorf(call.Pos, call.EndPos, "missing argument `%s` to %s", p.name, what)
			ok = false
		}
	}
	return b, ok
}

func describeParams(params []param) string {
	s := ""
	for i, p := range params {
		if i > 0 {
			s += ", "
		}
		s += p.name
		if !p.required {
			s += "?"
		}
	}
	if len(params) == 0 {
		return "no arguments"
	}
	return "(" + s + ")"
}

// constNumber evaluates e when it is a numeric literal, possibly negated
// or parenthesised.
func constNumber(e *syntax.Expr) (float64, bool) {
	if e == nil || len(e.Rest) > 0 || len(e.Left.Rest) > 0 {
		return 0, false
	}
	u := e.Left.Left
	var v float64
	switch {
	case u.Primary.Number != nil:
		f, err := strconv.ParseFloat(u.Primary.Number.Text, 64)
		if err != nil {
			return 0, false
		}
		v = f
	case u.Primary.Paren != nil:
		f, ok := constNumber(u.Primary.Paren)
		if !ok {
			return 0, false
		}
		v = f
	default:
		return 0, false
	}
	if u.Neg {
		v = -v
	}
	return v, true
}

// maxInt is the largest integer constant a spec may write: 2⁵³, below
// which every integer is exact in a float64.
const maxInt = 1 << 53

// intArg reads a positive integer constant argument.
func (c *checker) intArg(e *syntax.Expr, what string, min int) (int, bool) {
	v, ok := constNumber(e)
	if !ok || v != math.Trunc(v) {
		c.errorf(e.Pos, e.EndPos, "%s must be an integer constant", what)
		return 0, false
	}
	if math.Abs(v) > maxInt {
		// An integer still, but past what a float64 holds exactly; the
		// resource limits would refuse anything near it anyway.
		c.errorf(e.Pos, e.EndPos, "%s is %g, far too large (at most %d)", what, v, int64(maxInt))
		return 0, false
	}
	if int(v) < min {
		c.errorf(e.Pos, e.EndPos, "%s must be at least %d, got %d", what, min, int(v))
		return 0, false
	}
	return int(v), true
}

// floatArg reads a numeric constant argument.
func (c *checker) floatArg(e *syntax.Expr, what string) (float64, bool) {
	v, ok := constNumber(e)
	if !ok {
		c.errorf(e.Pos, e.EndPos, "%s must be a numeric constant", what)
	}
	return v, ok
}

// intListArg reads a list of positive integer constants, such as [256, 128].
func (c *checker) intListArg(e *syntax.Expr, what string) ([]int, bool) {
	l := listOf(e)
	if l == nil {
		c.errorf(e.Pos, e.EndPos, "%s must be a list of integers, such as [256]", what)
		return nil, false
	}
	out := make([]int, 0, len(l.Elems))
	ok := true
	for _, el := range l.Elems {
		v, good := c.intArg(el, what+" entries", 1)
		ok = ok && good
		out = append(out, v)
	}
	return out, ok
}

func listOf(e *syntax.Expr) *syntax.List {
	if e == nil || len(e.Rest) > 0 || len(e.Left.Rest) > 0 || e.Left.Left.Neg {
		return nil
	}
	return e.Left.Left.Primary.List
}

// nameOf returns the bare identifier that e is, if it is one.
func nameOf(e *syntax.Expr) (*syntax.Ident, bool) {
	if e == nil || len(e.Rest) > 0 || len(e.Left.Rest) > 0 || e.Left.Left.Neg {
		return nil, false
	}
	r := e.Left.Left.Primary.Ref
	return r, r != nil
}

// activations are the names an `act:` or `out_act:` argument may take.
func activations() []string {
	return []string{"relu", "softplus", "tanh", "sigmoid", "elu", "none"}
}

func (c *checker) actArg(e *syntax.Expr, what string) (string, bool) {
	id, ok := nameOf(e)
	if !ok {
		c.errorf(e.Pos, e.EndPos, "%s must be an activation name: one of %v", what, activations())
		return "", false
	}
	for _, a := range activations() {
		if a == id.Name {
			return a, true
		}
	}
	d := c.errorf(id.Pos, id.EndPos, "unknown activation `%s` for %s", id.Name, what)
	d.Suggest = diag.DidYouMean(id.Name, activations())
	if d.Suggest == "" {
		d.Suggest = fmt.Sprintf("use one of %v", activations())
	}
	return "", false
}

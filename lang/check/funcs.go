package check

import (
	"sort"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// libFunc is a library function as the checker sees it: check checks a
// call of it (arity, argument kinds, the result's shape and kind) and
// returns the checked expression, usually out. The compiler lowers it in
// branch.call (compiler/expr.go; the unary functions through its unaries
// table).
type libFunc struct {
	name  string
	check func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr
}

// UnaryFuncs returns the element-wise functions of one continuous value.
func UnaryFuncs() []string {
	return []string{"exp", "log", "softplus", "sigmoid", "tanh", "relu", "abs", "sqrt", "square"}
}

// libFuncs returns every library function.
func libFuncs() []libFunc {
	var fs []libFunc
	for _, name := range UnaryFuncs() {
		fs = append(fs, libFunc{name, func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr {
			if c.values(sc, call, out, 1, 1) && c.continuous(out.Args[0], out.Func) {
				out.Shape = out.Args[0].Info().Shape
			}
			return out
		}})
	}
	maxMin := func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr {
		if c.values(sc, call, out, 2, 2) && c.continuous(out.Args[0], out.Func) && c.continuous(out.Args[1], out.Func) {
			out.Shape = c.broadcast(out.Args[0], out.Args[1], out.Func)
		}
		return out
	}
	constructor := func(c *checker, _ *scope, call *syntax.Call, out *Call) Expr { c.constructor(call, out); return out }
	spatial := func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr { c.spatial(sc, call, out); return out }
	return append(fs,
		libFunc{"max", maxMin}, libFunc{"min", maxMin},
		libFunc{"concat", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr {
			if c.values(sc, call, out, 2, -1) {
				out.Shape = c.concat(out.Args)
			}
			return out
		}},
		libFunc{"flatten", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr {
			if c.values(sc, call, out, 1, 1) {
				out.Kind = out.Args[0].Info().Kind
				out.Shape = Shape{out.Args[0].Info().Shape.Size()}
			}
			return out
		}},
		libFunc{"normalize", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr {
			if !c.values(sc, call, out, 1, 1) || !c.continuous(out.Args[0], out.Func) {
				return out
			}
			s := out.Args[0].Info().Shape
			if len(s) == 0 {
				c.errorAt(out.Pos, out.End, "normalize needs a vector or image, got a scalar")
				return out
			}
			out.Shape = s
			return out
		}},
		libFunc{"dot", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr {
			if c.values(sc, call, out, 2, 2) && c.continuous(out.Args[0], out.Func) && c.continuous(out.Args[1], out.Func) {
				out.Shape = c.dot(out.Args[0], out.Args[1])
			}
			return out
		}},
		libFunc{"reshape", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr { c.reshape(sc, call, out); return out }},
		libFunc{"clamp", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr { c.clamp(sc, call, out); return out }},
		libFunc{"zeros", constructor}, libFunc{"ones", constructor}, libFunc{"uniform", constructor},
		libFunc{"st_read", spatial}, libFunc{"st_write", spatial},
		libFunc{"sum_slots", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr { return c.sumSlots(sc, call, out) }},
		libFunc{"prev", func(c *checker, sc *scope, call *syntax.Call, out *Call) Expr { return c.prev(sc, call, out.ExprInfo) }},
	)
}

// FuncNames returns every library function name, sorted.
func FuncNames() []string {
	var names []string
	for _, f := range libFuncs() {
		names = append(names, f.name)
	}
	sort.Strings(names)
	return names
}

func lookupFunc(name string) (libFunc, bool) {
	for _, f := range libFuncs() {
		if f.name == name {
			return f, true
		}
	}
	return libFunc{}, false
}

func isFunc(name string) bool {
	_, ok := lookupFunc(name)
	return ok
}

// call checks a library function call.
func (c *checker) call(sc *scope, call *syntax.Call) Expr {
	name := call.Func.Name
	info := ExprInfo{Pos: syntax.Pos(call.Pos), End: syntax.Pos(call.EndPos), Kind: Continuous}
	out := &Call{ExprInfo: info, Func: name}
	f, ok := lookupFunc(name)
	if !ok {
		d := c.errorf(call.Func.Pos, call.Func.EndPos, "unknown function `%s`", name)
		d.Suggest = diag.DidYouMean(name, append(FuncNames(), sc.netNames()...))
		c.args(sc, call)
		return out
	}
	return f.check(c, sc, call, out)
}

// values checks the positional value arguments of call, all of them
// unnamed, between min and max of them (max < 0: no limit), into out.Args;
// it reports whether they are all well formed.
func (c *checker) values(sc *scope, call *syntax.Call, out *Call, min, max int) bool {
	name := out.Func
	for _, a := range call.Args {
		if a.Name != nil {
			c.errorf(a.Name.Pos, a.Name.EndPos, "%s takes no named arguments", name)
			return false
		}
	}
	if len(call.Args) < min || (max >= 0 && len(call.Args) > max) {
		switch {
		case min == max:
			c.errorf(call.Pos, call.EndPos, "%s takes %d argument%s, got %d", name, min, plural(min), len(call.Args))
		case max < 0:
			c.errorf(call.Pos, call.EndPos, "%s takes at least %d arguments, got %d", name, min, len(call.Args))
		default:
			c.errorf(call.Pos, call.EndPos, "%s takes %d to %d arguments, got %d", name, min, max, len(call.Args))
		}
		return false
	}
	ok := true
	for _, a := range call.Args {
		e := c.expr(sc, a.Value)
		out.Args = append(out.Args, e)
		ok = ok && e.Info().Shape != nil
	}
	return ok
}

// in them is still reported; their values are discarded.
func (c *checker) args(sc *scope, call *syntax.Call) {
	for _, a := range call.Args {
		c.expr(sc, a.Value)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// continuous reports an error when e is discrete where a continuous value
// is required.
func (c *checker) continuous(e Expr, where string) bool {
	in := e.Info()
	if in.Kind == Discrete {
		d := c.errorAt(in.Pos, in.End, "%s needs a continuous value, but this is discrete (a one-hot categorical value)", where)
		d.Suggest = "feed discrete values to a network, e.g. net(concat(h, y)), or use their class probabilities"
		return false
	}
	return true
}

// broadcast returns the shape of an element-wise operation on a and b:
// equal shapes, a scalar with anything, or a leading axis of 1 against any
// size with the remaining axes equal (one channel against many).
func (c *checker) broadcast(a, b Expr, op string) Shape {
	sa, sb := a.Info().Shape, b.Info().Shape
	if s, ok := broadcastShapes(sa, sb); ok {
		return s
	}
	ai, bi := a.Info(), b.Info()
	c.errorAt(ai.Pos, bi.End, "shape mismatch in %s: %s and %s (element-wise operations need equal shapes, a scalar, or a leading axis of 1)", op, sa, sb)
	return nil
}

func broadcastShapes(sa, sb Shape) (Shape, bool) {
	switch {
	case sa.Equal(sb):
		return sa, true
	case len(sa) == 0:
		return sb, true
	case len(sb) == 0:
		return sa, true
	case len(sa) == len(sb) && Shape(sa[1:]).Equal(sb[1:]) && (sa[0] == 1 || sb[0] == 1):
		if sa[0] == 1 {
			return sb, true
		}
		return sa, true
	}
	return nil, false
}

func (c *checker) concat(args []Expr) Shape {
	first := args[0].Info().Shape
	if len(first) == 0 {
		c.errorAt(args[0].Info().Pos, args[0].Info().End, "concat needs vectors or images, got a scalar")
		return nil
	}
	out := append(Shape{}, first...)
	for _, a := range args[1:] {
		s := a.Info().Shape
		if len(s) != len(first) || !Shape(s[1:]).Equal(first[1:]) {
			c.errorAt(a.Info().Pos, a.Info().End, "concat joins along the first axis; shape %s does not fit %s", s, first)
			return nil
		}
		out[0] += s[0]
	}
	return out
}

// dot contracts the first axis: [c, ...] with [c] or with [c, ...].
func (c *checker) dot(a, b Expr) Shape {
	sa, sb := a.Info().Shape, b.Info().Shape
	if len(sa) == 0 || len(sb) == 0 {
		c.errorAt(a.Info().Pos, b.Info().End, "dot needs vectors or images, got %s and %s", sa, sb)
		return nil
	}
	if sa[0] != sb[0] {
		c.errorAt(a.Info().Pos, b.Info().End, "dot contracts the first axis, but it is %d in %s and %d in %s", sa[0], sa, sb[0], sb)
		return nil
	}
	rest := sa[1:]
	switch {
	case len(sb) == 1:
	case len(sa) == 1:
		rest = sb[1:]
	case Shape(sa[1:]).Equal(sb[1:]):
	default:
		c.errorAt(a.Info().Pos, b.Info().End, "dot of %s and %s: the axes after the first must agree", sa, sb)
		return nil
	}
	return append(Shape{1}, rest...)
}

func (c *checker) reshape(sc *scope, call *syntax.Call, out *Call) {
	b, ok := c.bind(call, "reshape", []param{{name: "value", required: true, positional: true}, {name: "shape", required: true, positional: true}})
	if !ok {
		return
	}
	v := c.expr(sc, b["value"].Value)
	out.Args = []Expr{v}
	dims, ok := c.intListArg(b["shape"].Value, "reshape's shape")
	if !ok || v.Info().Shape == nil {
		return
	}
	out.Ints = dims
	out.Kind = v.Info().Kind
	if Shape(dims).Size() != v.Info().Shape.Size() {
		c.errorf(call.Pos, call.EndPos, "cannot reshape %s (%d values) to %s (%d values)", v.Info().Shape, v.Info().Shape.Size(), Shape(dims), Shape(dims).Size())
		return
	}
	out.Shape = Shape(dims)
}

func (c *checker) clamp(sc *scope, call *syntax.Call, out *Call) {
	b, ok := c.bind(call, "clamp", []param{{name: "value", required: true, positional: true}, {name: "lo", required: true, positional: true}, {name: "hi", required: true, positional: true}})
	if !ok {
		return
	}
	v := c.expr(sc, b["value"].Value)
	out.Args = []Expr{v}
	lo, ok1 := c.floatArg(b["lo"].Value, "clamp's lower bound")
	hi, ok2 := c.floatArg(b["hi"].Value, "clamp's upper bound")
	if !ok1 || !ok2 || v.Info().Shape == nil || !c.continuous(v, "clamp") {
		return
	}
	if lo >= hi {
		c.errorf(call.Pos, call.EndPos, "clamp's lower bound %g is not below its upper bound %g", lo, hi)
		return
	}
	out.Floats = []float64{lo, hi}
	out.Shape = v.Info().Shape
}

func (c *checker) constructor(call *syntax.Call, out *Call) {
	name := call.Func.Name
	if len(call.Args) == 0 {
		c.errorf(call.Pos, call.EndPos, "%s needs its size, as in %s(10)", name, name)
		return
	}
	if name == "uniform" && len(call.Args) != 1 {
		c.errorf(call.Pos, call.EndPos, "uniform takes 1 argument, the number of classes, got %d", len(call.Args))
		return
	}
	dims := make([]int, 0, len(call.Args))
	for _, a := range call.Args {
		if a.Name != nil {
			c.errorf(a.Name.Pos, a.Name.EndPos, "%s takes no named arguments", name)
			return
		}
		v, ok := c.intArg(a.Value, name+"'s size", 1)
		if !ok {
			return
		}
		dims = append(dims, v)
	}
	out.Ints = dims
	out.Shape = Shape(dims)
}

// spatial checks st_read(image, where, size: [h, w]) and st_write(glimpse,
// where, size: [H, W]). where is [3]: scale, x and y offsets.
func (c *checker) spatial(sc *scope, call *syntax.Call, out *Call) {
	name := call.Func.Name
	b, ok := c.bind(call, name, []param{{name: "image", required: true, positional: true}, {name: "where", required: true, positional: true}, {name: "size", required: true, positional: true}})
	if !ok {
		return
	}
	img := c.expr(sc, b["image"].Value)
	where := c.expr(sc, b["where"].Value)
	out.Args = []Expr{img, where}
	size, ok := c.intListArg(b["size"].Value, name+"'s size")
	if !ok || img.Info().Shape == nil || where.Info().Shape == nil {
		return
	}
	if len(size) != 2 {
		c.errorf(b["size"].Pos, b["size"].EndPos, "%s's size is [height, width], got %d numbers", name, len(size))
		return
	}
	s := img.Info().Shape
	if len(s) != 3 {
		c.errorAt(img.Info().Pos, img.Info().End, "%s needs an image [channels, height, width], got shape %s; reshape it first", name, s)
		return
	}
	if !where.Info().Shape.Equal(Shape{3}) {
		c.errorAt(where.Info().Pos, where.Info().End, "%s's `where` is [scale, x, y], shape [3], got %s", name, where.Info().Shape)
		return
	}
	if !c.continuous(img, name) || !c.continuous(where, name) {
		return
	}
	out.Ints = size
	out.Shape = Shape{s[0], size[0], size[1]}
}

package check

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"ssdgm/lang/diag"
)

// Limits bound what a spec may ask for, so that a model too large for the
// machine is reported by the checker, at the declaration or expression
// that asks for it and with the size it would need, before the compiler
// allocates anything. A zero field takes its default.
type Limits struct {
	// Params bounds the parameter values of all networks together.
	Params int64
	// Elements bounds the values per data point of any one tensor: the
	// data, a latent, a network's output or hidden layer, any expression.
	Elements int64
	// Classes bounds the classes of a categorical variable or label.
	Classes int64
	// Slots bounds the maximum count of a repeat.
	Slots int64
	// Bytes bounds the memory one training or evaluation step's values
	// and their gradients would need, as the compiler estimates it from
	// RowValues and the rows of each branch (batch × samples × enumerated
	// values), before building anything.
	Bytes int64
}

// DefaultLimits are the bounds of a machine with some 16 GB of memory:
// 2·10⁸ parameters (0.8 GB as float32, about 3.2 GB with gradients and
// Adam's moments), 2²² values per data point and tensor (16 MiB as float32,
// so a batch of 128 needs 2 GiB for one such tensor), 2¹⁶ classes and 1024
// repeat slots, and 2³⁴ bytes (17 GB) for one step's values and gradients.
func DefaultLimits() Limits {
	return Limits{Params: 200_000_000, Elements: 1 << 22, Classes: 1 << 16, Slots: 1024, Bytes: 1 << 34}
}

// LimitsEnv is the environment variable the command line reads limits
// from, as in SSDGM_LIMITS=params=2e9,elements=1e8.
const LimitsEnv = "SSDGM_LIMITS"

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Params <= 0 {
		l.Params = d.Params
	}
	if l.Elements <= 0 {
		l.Elements = d.Elements
	}
	if l.Classes <= 0 {
		l.Classes = d.Classes
	}
	if l.Slots <= 0 {
		l.Slots = d.Slots
	}
	if l.Bytes <= 0 {
		l.Bytes = d.Bytes
	}
	return l
}

// ParseLimits reads limits written as comma-separated key=value pairs with
// the keys params, elements, classes, slots and bytes, values as integers or in
// e-notation (params=2e9). Keys not given keep their defaults.
func ParseLimits(s string) (Limits, error) {
	l := DefaultLimits()
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return l, fmt.Errorf("%s: %q is not key=value (keys: params, elements, classes, slots, bytes)", LimitsEnv, part)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || f < 1 || f != math.Trunc(f) || f > 1<<62 {
			return l, fmt.Errorf("%s: %s=%s is not a positive integer", LimitsEnv, key, val)
		}
		n := int64(f)
		switch strings.TrimSpace(key) {
		case "params":
			l.Params = n
		case "elements":
			l.Elements = n
		case "classes":
			l.Classes = n
		case "slots":
			l.Slots = n
		case "bytes":
			l.Bytes = n
		default:
			msg := fmt.Sprintf("%s: unknown key %q (keys: params, elements, classes, slots, bytes)", LimitsEnv, key)
			if s := diag.DidYouMean(key, []string{"params", "elements", "classes", "slots", "bytes"}); s != "" {
				msg += "; " + s
			}
			return l, fmt.Errorf("%s", msg)
		}
	}
	return l, nil
}

// mulSat multiplies non-negative sizes, saturating at math.MaxInt64.
func mulSat(a, b int64) int64 {
	if a < 0 || b < 0 {
		return math.MaxInt64
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// addSat adds non-negative sizes, saturating at math.MaxInt64.
func addSat(a, b int64) int64 {
	if a < 0 || b < 0 || a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// elements is the saturated number of elements of a shape.
func (s Shape) elements() int64 {
	n := int64(1)
	for _, d := range s {
		n = mulSat(n, int64(d))
	}
	return n
}

// Count formats a size with thousands separators, or as "more than 9·10¹⁸"
// when it saturated.
func Count(n int64) string {
	if n == math.MaxInt64 {
		return "more than 9,223,372,036,854,775,807"
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// bytes4 formats the memory n float32 values need.
func bytes4(n int64) string {
	b := float64(n) * 4
	for _, u := range []string{"B", "KB", "MB", "GB", "TB", "PB", "EB"} {
		if b < 1000 {
			return fmt.Sprintf("%.3g %s", b, u)
		}
		b /= 1000
	}
	return fmt.Sprintf("%.3g ZB", b)
}

// raise says how to lift a limit.
func raise(key string) string {
	return fmt.Sprintf("on a bigger machine raise the limit with %s=%s=N", LimitsEnv, key)
}

// NetParamCount is the number of parameter values network n has once its
// input shape is known (saturated at math.MaxInt64), laid out as the
// compiler's nn package lays them out.
func NetParamCount(n *Net) int64 {
	if n.In == nil {
		return 0
	}
	k, ok := lookupNetKind(n.Kind)
	if !ok {
		return 0
	}
	return k.count(n)
}

// netLayers returns the per-data-point element count of each hidden and
// output layer of n.
func netLayers(n *Net) []int64 {
	k, ok := lookupNetKind(n.Kind)
	if !ok {
		return nil
	}
	return k.layers(n)
}

// limits reports everything in m that exceeds l: networks' parameters,
// values per data point, classes and repeat slots.
func (c *checker) limits(m *Model, l Limits) {
	var total int64
	var largest *Net
	for _, n := range m.Nets {
		p := NetParamCount(n)
		if p > l.Params {
			d := c.errorAt(n.Pos, diag.Pos{}, "network `%s` would have %s parameters (%s as float32), more than the limit of %s",
				n.Name, Count(p), bytes4(p), Count(l.Params))
			d.Suggest = raise("params")
			continue
		}
		for i, e := range netLayers(n) {
			if e > l.Elements {
				d := c.errorAt(n.Pos, diag.Pos{}, "layer %d of network `%s` would have %s values per data point (%s as float32), more than the limit of %s",
					i+1, n.Name, Count(e), bytes4(e), Count(l.Elements))
				d.Suggest = raise("elements")
				break
			}
		}
		// Networks that fit one by one may still not fit together.
		total = addSat(total, p)
		if largest == nil || p > NetParamCount(largest) {
			largest = n
		}
	}
	if total > l.Params {
		d := c.errorAt(largest.Pos, diag.Pos{}, "the networks would have %s parameters together (%s as float32; `%s`, the largest, has %s), more than the limit of %s",
			Count(total), bytes4(total), largest.Name, Count(NetParamCount(largest)), Count(l.Params))
		d.Suggest = raise("params")
	}
	if m.Data != nil {
		if e := m.Data.Shape.elements(); e > l.Elements {
			d := c.errorAt(c.dataPos, diag.Pos{}, "data `%s` of shape %s would have %s values per data point (%s as float32), more than the limit of %s",
				m.Data.Name, m.Data.Shape, Count(e), bytes4(e), Count(l.Elements))
			d.Suggest = raise("elements")
		}
	}
	for _, p := range m.Params {
		if e := p.Shape.elements(); e > l.Elements {
			d := c.errorAt(p.Pos, diag.Pos{}, "param `%s` of shape %s would have %s values per data point (%s as float32), more than the limit of %s",
				p.Name, p.Shape, Count(e), bytes4(e), Count(l.Elements))
			d.Suggest = raise("elements")
		}
	}
	for _, lb := range m.Labels {
		if lb.Kind == Discrete && int64(lb.Classes) > l.Classes {
			d := c.errorAt(lb.Pos, diag.Pos{}, "label `%s` would have %s classes, more than the limit of %s", lb.Name, Count(int64(lb.Classes)), Count(l.Classes))
			d.Suggest = raise("classes")
		}
		if int64(lb.Slots) > l.Slots {
			d := c.errorAt(lb.Pos, diag.Pos{}, "label `%s` would have %s slots, more than the limit of %s", lb.Name, Count(int64(lb.Slots)), Count(l.Slots))
			d.Suggest = raise("slots")
		}
	}
	for _, g := range []*Graph{m.Encoder, m.Decoder} {
		if g == nil {
			continue
		}
		for _, st := range g.Steps {
			if r := st.Repeat; r != nil && int64(r.Max) > l.Slots {
				d := c.errorAt(r.Pos, diag.Pos{}, "this repeat would have up to %s slots, more than the limit of %s (every slot is built into the graph)", Count(int64(r.Max)), Count(l.Slots))
				d.Suggest = raise("slots")
			}
		}
		for _, n := range g.Nodes {
			c.nodeLimits(n, l)
		}
	}
}

// nodeLimits reports a node whose value or whose expressions exceed the
// element or class limits; of nested expressions only the innermost one
// that exceeds is reported.
func (c *checker) nodeLimits(n *Node, l Limits) {
	if n.Op == Input {
		return
	}
	over := false
	if n.Dist != nil {
		for _, e := range []Expr{n.Dist.Loc, n.Dist.Scale, n.Dist.Logits, n.Dist.Probs} {
			over = c.exprLimits(e, l) || over
		}
		if n.Var != nil && n.Var.Kind == Discrete && int64(n.Var.Classes) > l.Classes && n.Var.Enc == n {
			d := c.errorAt(n.Pos, n.End, "`%s` would have %s classes, more than the limit of %s", n.Name, Count(int64(n.Var.Classes)), Count(l.Classes))
			d.Suggest = raise("classes")
			return
		}
	}
	if n.Value != nil {
		over = c.exprLimits(n.Value, l) || over
	}
	if n.Var != nil && n.Var.Role == Data {
		return // reported at the data declaration
	}
	if e := n.Shape.elements(); !over && e > l.Elements {
		d := c.errorAt(n.Pos, n.End, "`%s` of shape %s would have %s values per data point (%s as float32), more than the limit of %s",
			n.Name, n.Shape, Count(e), bytes4(e), Count(l.Elements))
		d.Suggest = raise("elements")
	}
}

// exprLimits reports the innermost sub-expression of e whose value exceeds
// the element limit, and says whether one did. References and network
// outputs are reported where they are defined.
func (c *checker) exprLimits(e Expr, l Limits) bool {
	if e == nil {
		return false
	}
	var kids []Expr
	switch x := e.(type) {
	case *Ref:
		return x.Info().Shape.elements() > l.Elements
	case *NetCall:
		kids = x.Args
	case *Call:
		kids = x.Args
	case *Binary:
		kids = []Expr{x.X, x.Y}
	case *Neg:
		kids = []Expr{x.X}
	case *Prev:
		kids = []Expr{x.Init}
	}
	over := false
	for _, k := range kids {
		over = c.exprLimits(k, l) || over
	}
	if over {
		return true
	}
	in := e.Info()
	if n := in.Shape.elements(); n > l.Elements {
		if _, isNet := e.(*NetCall); isNet {
			return true
		}
		d := c.errorAt(in.Pos, in.End, "this value of shape %s would have %s values per data point (%s as float32), more than the limit of %s",
			in.Shape, Count(n), bytes4(n), Count(l.Elements))
		d.Suggest = raise("elements")
		return true
	}
	return false
}

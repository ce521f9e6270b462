// Package check is the second phase of the spec language: it resolves
// names, infers shapes and kinds, checks roles, supervision, repeats and
// cycles, and turns a parsed file into a Model that the compiler lowers.
// It reports every problem it finds, sorted by position.
package check

import (
	"fmt"
	"strings"

	"ssdgm/lang/diag"
)

// Shape is the per-example shape of a value (the batch dimension is
// implicit). The empty shape is a scalar.
type Shape []int

// Size is the number of elements, 1 for a scalar; it saturates at
// math.MaxInt rather than overflow (the checker's limits refuse such
// shapes).
func (s Shape) Size() int {
	return int(s.elements())
}

// Equal reports whether two shapes are the same.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// String formats the shape as [1, 28, 28] (scalar: []).
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Kind says whether a value is continuous or discrete (a one-hot
// categorical value or a repeat count).
type Kind int

// The kinds of values.
const (
	Continuous Kind = iota
	Discrete
)

func (k Kind) String() string {
	if k == Discrete {
		return "discrete"
	}
	return "continuous"
}

// Role is what a stochastic variable is to the objective.
type Role int

// The roles of variables.
const (
	// Data is the observed variable: conditioned on by the encoder and
	// scored by the decoder.
	Data Role = iota
	// Latent is never observed.
	Latent
	// Supervised is latent but bound to a dataset label, so it is observed
	// for the labelled examples.
	Supervised
)

func (r Role) String() string {
	switch r {
	case Data:
		return "data"
	case Supervised:
		return "supervised"
	}
	return "latent"
}

// Model is a checked spec: everything the compiler needs and nothing of the
// concrete syntax.
type Model struct {
	Name    string
	File    string
	Data    *Var
	Labels  []*Label
	Nets    []*Net
	Params  []*Param // in declaration order
	Vars    []*Var   // the data variable first, then latents in decoder order
	Encoder *Graph
	Decoder *Graph
	// Limits are the resource bounds the model was checked against (the
	// defaults filled in); the compiler holds a step's memory to
	// Limits.Bytes.
	Limits Limits
}

// Var returns the stochastic variable called name, or nil.
func (m *Model) Var(name string) *Var {
	for _, v := range m.Vars {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Label is a label the dataset provides, as declared in the spec.
type Label struct {
	Name    string
	Kind    Kind // Discrete: categorical over Classes; Continuous: real vector of Dim
	Classes int
	Dim     int
	Slots   int // 0: one per example; n: one per slot of a repeat with max n
	Pos     diag.Pos
	Var     *Var // the variable it supervises, if any
}

// TypeString formats the label's type as written in a spec.
func (l *Label) TypeString() string {
	s := ""
	if l.Slots > 0 {
		s = fmt.Sprintf("[%d] ", l.Slots)
	}
	if l.Kind == Discrete {
		return s + fmt.Sprintf("categorical[%d]", l.Classes)
	}
	return s + fmt.Sprintf("real[%d]", l.Dim)
}

// Var is a stochastic variable, shared by the encoder and the decoder.
type Var struct {
	Name    string
	Role    Role
	Kind    Kind
	Shape   Shape
	Classes int // categorical variables: the number of classes
	Slots   int // variables inside a repeat: its maximum count
	Label   *Label
	Enc     *Node // its node in the encoder (for data: the input node)
	Dec     *Node // its node in the decoder
}

// Net is a named network; its input shape is inferred from its first use.
type Net struct {
	Name     string
	Kind     string // a network kind (netKindNames)
	Out      int    // linear, mlp (0: no output layer)
	Hidden   []int  // mlp hidden sizes; gru: Hidden[0] is the state size
	Channels []int  // image kinds (imageKinds)
	Kernel   int
	Stride   int
	Padding  int
	Act      string
	OutAct   string
	In       Shape // inferred input shape (gru: the input, not the state)
	OutShape Shape
	Uses     int
	Pos      diag.Pos
	FirstUse diag.Pos
}

// Graph is the encoder or the decoder.
type Graph struct {
	Kind  string // "encoder" or "decoder"
	Nodes []*Node
	// Steps is the evaluation order: nodes outside repeats, and each repeat
	// as one step holding its own ordered nodes.
	Steps []Step
}

// Node returns the node called name outside any repeat, or nil.
func (g *Graph) Node(name string) *Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Step is one step of a graph's evaluation order: a node or a repeat.
type Step struct {
	Node   *Node
	Repeat *Repeat
}

// Repeat is a block evaluated once per slot, for Count slots (at most Max).
type Repeat struct {
	Count Expr // a constant or a Ref to a discrete variable
	Max   int
	Nodes []*Node // in evaluation order
	Pos   diag.Pos
}

// NodeOp says how a node gets its value.
type NodeOp int

// The node operations.
const (
	// Sample draws (or, when observed, scores) a stochastic variable.
	Sample NodeOp = iota
	// Let computes a deterministic value.
	Let
	// Input is the data variable seen by the encoder.
	Input
)

// Node is a named value of a graph.
type Node struct {
	Name   string
	Op     NodeOp
	Var    *Var  // Sample and Input nodes
	Dist   *Dist // Sample nodes
	Value  Expr  // Let nodes
	Shape  Shape
	Kind   Kind
	Repeat *Repeat
	Deps   []*Node // nodes this one reads (not through prev)
	Pos    diag.Pos
	End    diag.Pos
}

// Dist is a distribution with its parameters.
type Dist struct {
	Family string // a Family's name (see LookupFamily)
	Loc    Expr   // LocScale families
	Scale  Expr   // LocScale families
	Logits Expr   // LogitsOrProbs families, when given logits
	Probs  Expr   // LogitsOrProbs families, when given probs
	Shape  Shape
	Pos    diag.Pos
}

// Expr is a checked expression: it knows its shape and kind.
type Expr interface {
	Info() *ExprInfo
}

// ExprInfo is what every checked expression carries.
type ExprInfo struct {
	Shape Shape
	Kind  Kind
	Pos   diag.Pos
	End   diag.Pos
}

// Info returns the expression's shape, kind and span.
func (e *ExprInfo) Info() *ExprInfo { return e }

// Const is a scalar constant.
type Const struct {
	ExprInfo
	Value float64
}

// Ref reads a node of the same graph (for a slot variable read inside its
// repeat: the current slot's value).
type Ref struct {
	ExprInfo
	Node *Node
}

// Prev reads a node's value at the previous slot of its repeat, or Init at
// the first slot.
type Prev struct {
	ExprInfo
	Node *Node
	Init Expr
}

// Call applies a library function. Ints and Floats hold its constant
// arguments (reshape's shape, clamp's bounds, a spatial transformer's size,
// zeros' shape, uniform's count).
type Call struct {
	ExprInfo
	Func   string
	Args   []Expr
	Ints   []int
	Floats []float64
}

// NetCall applies a named network.
type NetCall struct {
	ExprInfo
	Net  *Net
	Args []Expr
}

// Binary is an element-wise arithmetic operation with broadcasting.
type Binary struct {
	ExprInfo
	Op   byte // + - * /
	X, Y Expr
}

// Neg is element-wise negation.
type Neg struct {
	ExprInfo
	X Expr
}

// Walk calls f on e and then on every expression inside it, depth first
// (a prev's initial value included); nil expressions are skipped.
func Walk(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *Prev:
		Walk(e.Init, f)
	case *Call:
		for _, a := range e.Args {
			Walk(a, f)
		}
	case *NetCall:
		for _, a := range e.Args {
			Walk(a, f)
		}
	case *Binary:
		Walk(e.X, f)
		Walk(e.Y, f)
	case *Neg:
		Walk(e.X, f)
	}
}

// Prevs lists the nodes n reads through prev(...), in its value and its
// distribution's parameters: the edges to the previous slot, which Deps
// leaves out.
func Prevs(n *Node) []*Node {
	var out []*Node
	walk := func(e Expr) {
		Walk(e, func(e Expr) {
			if p, ok := e.(*Prev); ok && p.Node != nil {
				out = append(out, p.Node)
			}
		})
	}
	walk(n.Value)
	if d := n.Dist; d != nil {
		for _, p := range []Expr{d.Loc, d.Scale, d.Logits, d.Probs} {
			walk(p)
		}
	}
	return out
}

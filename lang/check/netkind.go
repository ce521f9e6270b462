package check

import (
	"fmt"

	"ssdgm/lang/syntax"
)

// netKind is what the checker knows of a network kind: its argument
// schema, how a declaration's arguments fill a Net, its output shape, its
// parameter count and layer sizes (for the limits), whether a call also
// takes a state, and the compiler/nn block that builds it. Each kind lives
// in its own file (net_*.go); netKinds lists them, and the checker, the
// limits and the compiler (through NetBlock) read only this table.
type netKind struct {
	name   string
	params []param
	// decl fills n from the declaration's arguments a, reporting problems;
	// it returns false when the declaration is bad.
	decl func(a *netArgs, n *Net) bool
	// out returns the output shape of n for an input shape, or a message.
	out func(n *Net, in Shape) (Shape, string)
	// count returns the number of parameter values of n (input known),
	// saturated, as compiler/nn lays them out.
	count func(n *Net) int64
	// layers returns the per-data-point element count of each hidden and
	// output layer of n (input known).
	layers func(n *Net) []int64
	// state: a call takes (input, state) and returns the next state.
	state bool
	// block names the compiler/nn block that builds the network.
	block string
}

// netKinds returns the network kinds, in the order messages list them.
func netKinds() []netKind {
	return []netKind{linearKind(), mlpKind(), imageNet(convKind()), imageNet(deconvKind()), gruKind()}
}

func lookupNetKind(name string) (netKind, bool) {
	for _, k := range netKinds() {
		if k.name == name {
			return k, true
		}
	}
	return netKind{}, false
}

func netKindNames() []string {
	var names []string
	for _, k := range netKinds() {
		names = append(names, k.name)
	}
	return names
}

// NetBlock returns the compiler/nn block that builds a network of kind
// name, and whether name is a network kind.
func NetBlock(kind string) (string, bool) {
	k, ok := lookupNetKind(kind)
	return k.block, ok
}

// netArgs reads the bound arguments of a network declaration, reporting
// bad ones; ok turns false at the first.
type netArgs struct {
	c  *checker
	d  *syntax.NetDecl
	b  bound
	ok bool
}

func (a *netArgs) get(name string) *syntax.Expr {
	if arg, has := a.b[name]; has {
		return arg.Value
	}
	return nil
}

// intOr returns the integer argument name (at least min), or def.
func (a *netArgs) intOr(name string, def, min int) int {
	e := a.get(name)
	if e == nil {
		return def
	}
	v, ok := a.c.intArg(e, "`"+name+"`", min)
	a.ok = a.ok && ok
	return v
}

// actOr returns the activation argument name, or def.
func (a *netArgs) actOr(name, def string) string {
	e := a.get(name)
	if e == nil {
		return def
	}
	v, ok := a.c.actArg(e, "`"+name+"`")
	a.ok = a.ok && ok
	return v
}

// listOr returns the integer-list argument name, or nil.
func (a *netArgs) listOr(name string) []int {
	e := a.get(name)
	if e == nil {
		return nil
	}
	v, ok := a.c.intListArg(e, "`"+name+"`")
	a.ok = a.ok && ok
	return v
}

// dense is the parameter count of a dense layer: in·out weights and out
// biases, saturated.
func dense(in, out int64) int64 { return addSat(mulSat(in, out), out) }

// vectorIn is the message for a non-vector input of a dense kind, or "".
func vectorIn(n *Net, in Shape) string {
	if len(in) != 1 {
		return fmt.Sprintf("%s `%s` needs a vector input, got shape %s; flatten it first with flatten(...)", n.Kind, n.Name, in)
	}
	return ""
}

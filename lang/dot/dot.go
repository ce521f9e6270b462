// Package dot draws a checked model's encoder and decoder as Graphviz DOT:
// observed data shaded, supervised variables marked, deterministic values
// as boxes, and repeats as plates.
package dot

import (
	"fmt"
	"io"
	"strings"

	"ssdgm/lang/check"
)

// Write writes the DOT picture of m to w.
func Write(w io.Writer, m *check.Model) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n", m.Name)
	b.WriteString("  compound=true;\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n")
	for _, g := range []*check.Graph{m.Encoder, m.Decoder} {
		graph(&b, m, g)
	}
	params(&b, m)
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// params draws the spec's params outside both blocks, as shaded diamonds,
// with an edge into every node that reads one.
func params(b *strings.Builder, m *check.Model) {
	for _, p := range m.Params {
		fmt.Fprintf(b, "  param_%s [label=%q, shape=diamond, style=filled, fillcolor=khaki];\n", p.Name, p.Name+"\nreal"+p.Shape.String())
	}
	for _, g := range []*check.Graph{m.Encoder, m.Decoder} {
		for _, n := range g.Nodes {
			for _, p := range paramsOf(n) {
				fmt.Fprintf(b, "  param_%s -> %s_%s [style=dashed, arrowhead=empty];\n", p.Name, g.Kind, n.Name)
			}
		}
	}
}

// paramsOf lists the params node n reads, each once.
func paramsOf(n *check.Node) []*check.Param {
	var out []*check.Param
	seen := map[*check.Param]bool{}
	exprs := []check.Expr{n.Value}
	if d := n.Dist; d != nil {
		exprs = append(exprs, d.Loc, d.Scale, d.Logits, d.Probs)
	}
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, p := range check.ParamsRead(e) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func graph(b *strings.Builder, m *check.Model, g *check.Graph) {
	title := "encoder q"
	if g.Kind == "decoder" {
		title = "decoder p"
	}
	fmt.Fprintf(b, "  subgraph cluster_%s {\n    label=%q;\n    style=rounded;\n", g.Kind, title)
	id := func(n *check.Node) string { return fmt.Sprintf("%s_%s", g.Kind, n.Name) }
	if g.Kind == "encoder" && m.Data != nil && m.Data.Enc != nil {
		fmt.Fprintf(b, "    %s [label=%q, shape=ellipse, style=filled, fillcolor=gray80];\n", id(m.Data.Enc), m.Data.Name+"\n"+m.Data.Shape.String())
	}
	for _, s := range g.Steps {
		if s.Node != nil {
			node(b, id(s.Node), s.Node, "    ")
			continue
		}
		r := s.Repeat
		count := ""
		switch c := r.Count.(type) {
		case *check.Ref:
			count = fmt.Sprintf("%s (at most %d)", c.Node.Name, r.Max)
		case *check.Const:
			count = fmt.Sprintf("%g", c.Value)
		}
		fmt.Fprintf(b, "    subgraph cluster_%s_repeat_%d_%d {\n      label=%q;\n      style=solid;\n", g.Kind, r.Pos.Line, r.Pos.Col, "repeat "+count)
		for _, n := range r.Nodes {
			node(b, id(n), n, "      ")
		}
		b.WriteString("    }\n")
	}
	b.WriteString("  }\n")
	for _, n := range g.Nodes {
		for _, d := range n.Deps {
			fmt.Fprintf(b, "  %s -> %s;\n", id(d), id(n))
		}
		for _, p := range check.Prevs(n) {
			fmt.Fprintf(b, "  %s -> %s [style=dashed, label=\"prev\"];\n", id(p), id(n))
		}
	}
	for _, r := range repeatsOf(g) {
		if ref, ok := r.Count.(*check.Ref); ok && len(r.Nodes) > 0 {
			fmt.Fprintf(b, "  %s -> %s [style=dotted, lhead=cluster_%s_repeat_%d_%d, label=\"count\"];\n", id(ref.Node), id(r.Nodes[0]), g.Kind, r.Pos.Line, r.Pos.Col)
		}
	}
}

func node(b *strings.Builder, id string, n *check.Node, indent string) {
	label := n.Name + "\n" + n.Shape.String()
	attrs := ""
	switch {
	case n.Op == check.Let:
		attrs = "shape=box, style=dashed"
	case n.Var != nil && n.Var.Role == check.Data:
		attrs = "shape=ellipse, style=filled, fillcolor=gray80"
	case n.Var != nil && n.Var.Role == check.Supervised:
		attrs = "shape=doublecircle, style=filled, fillcolor=lightblue"
		label += "\nsupervised: " + n.Var.Label.Name
	default:
		attrs = "shape=ellipse"
	}
	if n.Dist != nil {
		label += "\n" + n.Dist.Family
	}
	fmt.Fprintf(b, "%s%s [label=%q, %s];\n", indent, id, label, attrs)
}

func repeatsOf(g *check.Graph) []*check.Repeat {
	var out []*check.Repeat
	for _, s := range g.Steps {
		if s.Repeat != nil {
			out = append(out, s.Repeat)
		}
	}
	return out
}

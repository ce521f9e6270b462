package syntax

import "strings"

// Format prints f in the canonical layout that `ssdgm fmt` writes: one
// declaration or statement per line, two-space indentation, single spaces
// around binary operators and after commas and colons, at most one blank
// line in a row, and every comment kept in place.
func Format(f *File) []byte {
	p := &printer{cm: f.Comments}
	if p.cm == nil {
		p.cm = &CommentMap{}
	}
	for i, d := range f.Decls {
		p.leading(d, i == 0)
		p.indentLine()
		p.decl(d)
		p.trailing(d)
	}
	p.comments(p.cm.End, len(f.Decls) == 0)
	return []byte(p.b.String())
}

type printer struct {
	b      strings.Builder
	depth  int
	cm     *CommentMap
	atLine bool // something has been written on the current line
}

func (p *printer) indentLine() {
	p.b.WriteString(strings.Repeat("  ", p.depth))
	p.atLine = true
}

func (p *printer) newline() {
	p.b.WriteByte('\n')
	p.atLine = false
}

// comments writes comment lines, "" entries as one blank line each; a blank
// line at the very start of a block or file is dropped.
func (p *printer) comments(lines []string, first bool) {
	for i, c := range lines {
		if c == "" {
			if first && i == 0 {
				continue
			}
			p.newline()
			continue
		}
		p.indentLine()
		p.b.WriteString(c)
		p.newline()
	}
}

func (p *printer) leading(key any, first bool) {
	p.comments(p.cm.Leading[key], first)
}

func (p *printer) trailing(key any) {
	if c, ok := p.cm.Trailing[key]; ok {
		p.b.WriteString(" ")
		p.b.WriteString(c)
	}
	p.newline()
}

func (p *printer) decl(d *Decl) {
	switch {
	case d.Model != nil:
		p.b.WriteString("model " + d.Model.Name.Name)
	case d.Data != nil:
		p.b.WriteString("data " + d.Data.Name.Name + ": ")
		p.typ(d.Data.Type)
	case d.Label != nil:
		p.b.WriteString("label " + d.Label.Name.Name)
		if d.Label.Slots != nil {
			p.b.WriteString("[")
			p.expr(d.Label.Slots)
			p.b.WriteString("]")
		}
		p.b.WriteString(": ")
		p.typ(d.Label.Type)
	case d.Net != nil:
		p.b.WriteString("net " + d.Net.Name.Name + " = ")
		p.call(d.Net.Kind)
	case d.Param != nil:
		p.b.WriteString("param " + d.Param.Name.Name + ": ")
		p.typ(d.Param.Type)
		p.b.WriteString(" = ")
		p.expr(d.Param.Init)
	case d.Supervise != nil:
		p.b.WriteString("supervise " + d.Supervise.Var.Name + " with " + d.Supervise.Label.Name)
	case d.Block != nil:
		p.b.WriteString(d.Block.Kind + " {")
		p.body(d, d.Block.Stmts)
	}
}

// body prints the statements of a block or repeat and its closing brace;
// the opening brace is already written.
func (p *printer) body(key any, stmts []*Stmt) {
	if c, ok := p.cm.Header[key]; ok {
		p.b.WriteString(" " + c)
	}
	p.newline()
	p.depth++
	for i, s := range stmts {
		p.leading(s, i == 0)
		p.indentLine()
		p.stmt(s)
		p.trailing(s)
	}
	p.comments(p.cm.Close[key], len(stmts) == 0)
	p.depth--
	p.indentLine()
	p.b.WriteString("}")
}

func (p *printer) stmt(s *Stmt) {
	switch {
	case s.Repeat != nil:
		p.b.WriteString("repeat ")
		p.expr(s.Repeat.Count)
		if s.Repeat.Max != nil {
			p.b.WriteString(" max ")
			p.expr(s.Repeat.Max)
		}
		p.b.WriteString(" {")
		p.body(s, s.Repeat.Stmts)
	case s.Assign != nil:
		p.b.WriteString(s.Assign.Name.Name + " " + s.Assign.Op + " ")
		p.expr(s.Assign.Value)
	}
}

func (p *printer) typ(t *Type) {
	p.b.WriteString(t.Name.Name)
	if t.Dims != nil {
		p.b.WriteString("[")
		for i, d := range t.Dims {
			if i > 0 {
				p.b.WriteString(", ")
			}
			p.expr(d)
		}
		p.b.WriteString("]")
	}
}

func (p *printer) expr(e *Expr) {
	p.term(e.Left)
	for _, r := range e.Rest {
		p.b.WriteString(" " + r.Op + " ")
		p.term(r.Term)
	}
}

func (p *printer) term(t *Term) {
	p.unary(t.Left)
	for _, r := range t.Rest {
		p.b.WriteString(" " + r.Op + " ")
		p.unary(r.Factor)
	}
}

func (p *printer) unary(u *Unary) {
	if u.Neg {
		p.b.WriteString("-")
	}
	p.primary(u.Primary)
}

func (p *printer) primary(x *Primary) {
	switch {
	case x.Number != nil:
		p.b.WriteString(x.Number.Text)
	case x.List != nil:
		p.b.WriteString("[")
		for i, e := range x.List.Elems {
			if i > 0 {
				p.b.WriteString(", ")
			}
			p.expr(e)
		}
		p.b.WriteString("]")
	case x.Call != nil:
		p.call(x.Call)
	case x.Ref != nil:
		p.b.WriteString(x.Ref.Name)
	case x.Paren != nil:
		p.b.WriteString("(")
		p.expr(x.Paren)
		p.b.WriteString(")")
	}
}

func (p *printer) call(c *Call) {
	p.b.WriteString(c.Func.Name + "(")
	for i, a := range c.Args {
		if i > 0 {
			p.b.WriteString(", ")
		}
		if a.Name != nil {
			p.b.WriteString(a.Name.Name + ": ")
		}
		p.expr(a.Value)
	}
	p.b.WriteString(")")
}

package syntax

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// CommentMap keeps the comments of a file beside the AST so that the
// printer can put them back. Keys are *Decl and *Stmt nodes (the items of
// the file and of blocks) or the block-like *Decl and *Stmt nodes whose
// closing brace a comment precedes.
//
// Leading comment lists may hold "" entries: a blank line in the source
// (runs of blank lines are kept as one).
type CommentMap struct {
	Leading  map[any][]string // comments (and blank lines) on the lines before an item
	Trailing map[any]string   // a comment after an item on its last line
	Header   map[any]string   // a comment after the `{` that opens a block
	Close    map[any][]string // comments before the `}` that closes a block
	End      []string         // comments after the last declaration
}

// commentWalker assigns comment tokens to items in document order.
type commentWalker struct {
	m        *CommentMap
	comments []lexer.Token
	next     int // index of the first unassigned comment
	lastLine int // line of the last thing placed (item end or comment)
	prev     any // last item ended, candidate for a trailing comment
	prevLine int // the line prev ended on
}

// attachComments walks the file and fills a CommentMap from the comment
// tokens among toks.
func attachComments(f *File, toks []lexer.Token) *CommentMap {
	w := &commentWalker{m: &CommentMap{
		Leading:  map[any][]string{},
		Trailing: map[any]string{},
		Header:   map[any]string{},
		Close:    map[any][]string{},
	}}
	for _, t := range toks {
		if strings.HasPrefix(t.Value, "//") {
			w.comments = append(w.comments, t)
		}
	}
	for _, d := range f.Decls {
		w.item(d, d.Pos, d.EndPos, blockOfDecl(d))
	}
	w.m.End = w.before(-1)
	return w.m
}

func blockOfDecl(d *Decl) []*Stmt {
	if d.Block != nil {
		return d.Block.Stmts
	}
	return nil
}

// before collects the comments that start before offset (all remaining when
// offset < 0), turning a same-line comment after the previous item into its
// trailing comment.
func (w *commentWalker) before(offset int) []string {
	var out []string
	for w.next < len(w.comments) {
		c := w.comments[w.next]
		if offset >= 0 && c.Pos.Offset >= offset {
			break
		}
		w.next++
		text := strings.TrimRight(c.Value, " \t\r")
		if w.prev != nil && c.Pos.Line == w.prevLine {
			if _, taken := w.m.Trailing[w.prev]; !taken {
				w.m.Trailing[w.prev] = text
				w.lastLine = c.Pos.Line
				continue
			}
		}
		if w.lastLine > 0 && c.Pos.Line > w.lastLine+1 && (len(out) == 0 || out[len(out)-1] != "") {
			out = append(out, "")
		}
		out = append(out, text)
		w.lastLine = c.Pos.Line
	}
	return out
}

// item places the comments before one item, then walks its nested
// statements (for blocks and repeats), then its closing brace.
func (w *commentWalker) item(key any, start, end lexer.Position, nested []*Stmt) {
	lead := w.before(start.Offset)
	if w.lastLine > 0 && start.Line > w.lastLine+1 && (len(lead) == 0 || lead[len(lead)-1] != "") {
		lead = append(lead, "")
	}
	if len(lead) > 0 {
		w.m.Leading[key] = lead
	}
	isBlock := nested != nil || isBlockItem(key)
	if !isBlock {
		w.prev, w.prevLine, w.lastLine = key, end.Line, end.Line
		return
	}
	// The block header line: a comment there belongs to the header.
	w.prev, w.prevLine, w.lastLine = nil, start.Line, start.Line
	if w.next < len(w.comments) {
		c := w.comments[w.next]
		if c.Pos.Line == start.Line && c.Pos.Offset < end.Offset {
			w.m.Header[key] = strings.TrimRight(c.Value, " \t\r")
			w.next++
		}
	}
	for _, s := range nested {
		var inner []*Stmt
		if s.Repeat != nil {
			inner = s.Repeat.Stmts
		}
		w.item(s, s.Pos, s.EndPos, inner)
	}
	closeAt := end.Offset - 1 // the `}`
	if cl := w.before(closeAt); len(cl) > 0 {
		w.m.Close[key] = cl
	}
	w.prev, w.prevLine, w.lastLine = key, end.Line, end.Line
}

func isBlockItem(key any) bool {
	switch k := key.(type) {
	case *Decl:
		return k.Block != nil
	case *Stmt:
		return k.Repeat != nil
	}
	return false
}

package diag

import (
	"fmt"
	"io"
	"strings"
)

// Render writes d as file:line:col: message and, when src holds the file's
// text, the source line with a caret under the span, in the style of stanc
// and HCL. Notes follow with their own snippets when they are in the same
// file.
func Render(w io.Writer, d Diagnostic, src []byte) {
	fmt.Fprintf(w, "%s: %s\n", d.Pos, d.Msg)
	snippet(w, d.Pos, d.End, src)
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  %s: %s\n", n.Pos, n.Msg)
		if n.Pos.File == d.Pos.File {
			snippet(w, n.Pos, Pos{}, src)
		}
	}
	if d.Suggest != "" {
		fmt.Fprintf(w, "  hint: %s\n", d.Suggest)
	}
}

// snippet prints the line of pos with carets from pos to end (or one caret
// when end is not on the same line).
func snippet(w io.Writer, pos, end Pos, src []byte) {
	if src == nil || !pos.IsValid() {
		return
	}
	lines := strings.Split(string(src), "\n")
	if pos.Line > len(lines) {
		return
	}
	line := strings.TrimRight(lines[pos.Line-1], "\r")
	width := 1
	if end.IsValid() && end.Line == pos.Line && end.Col > pos.Col {
		width = end.Col - pos.Col
	}
	col := min(max(pos.Col, 1), len(line)+1)
	var pad strings.Builder
	for _, r := range line[:col-1] {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	gutter := fmt.Sprintf("%4d | ", pos.Line)
	fmt.Fprintf(w, "%s%s\n", gutter, line)
	fmt.Fprintf(w, "%s%s%s\n", strings.Repeat(" ", len(gutter)-2)+"| ", pad.String(), strings.Repeat("^", width))
}

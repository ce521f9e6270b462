// Package diag holds the diagnostics that every phase of the spec language
// reports: a message anchored at a source span, with optional related
// positions and a suggestion, sorted and printed as file:line:col: message.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// bytes, and is 0 when only the line is known. A zero Pos means "no
// position".
type Pos struct {
	File   string
	Offset int
	Line   int
	Col    int
}

// IsValid reports whether p refers to a place in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as file:line:col, or file:line when the column is
// unknown.
func (p Pos) String() string {
	if !p.IsValid() {
		if p.File != "" {
			return p.File
		}
		return "-"
	}
	if p.Col == 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Before reports whether p comes before q in the same file.
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Note is a secondary position that a diagnostic refers to, such as the
// first definition of a name defined twice.
type Note struct {
	Pos Pos
	Msg string
}

// Diagnostic is one problem found in a spec: the span it is about, the
// message, related positions and an optional suggestion.
type Diagnostic struct {
	Pos     Pos
	End     Pos
	Msg     string
	Notes   []Note
	Suggest string
}

// Error formats d as file:line:col: message, followed by its notes and
// suggestion on indented lines.
func (d Diagnostic) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", d.Pos, d.Msg)
	if d.Suggest != "" {
		fmt.Fprintf(&b, " (%s)", d.Suggest)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "\n\t%s: %s", n.Pos, n.Msg)
	}
	return b.String()
}

// List is a set of diagnostics. It implements error so that a phase can
// return all of its findings at once.
type List []Diagnostic

// Add appends a diagnostic at the span [pos, end).
func (l *List) Add(pos, end Pos, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Pos: pos, End: end, Msg: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// Sort orders the list by position, then by message, and removes exact
// duplicates.
func (l *List) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Pos != s[j].Pos {
			return s[i].Pos.Before(s[j].Pos)
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d.Pos == s[i-1].Pos && d.Msg == s[i-1].Msg {
			continue
		}
		out = append(out, d)
	}
	*l = out
}

// Err returns l as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error formats every diagnostic, one per line.
func (l List) Error() string {
	parts := make([]string, len(l))
	for i, d := range l {
		parts[i] = d.Error()
	}
	return strings.Join(parts, "\n")
}

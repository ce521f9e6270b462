package config

import (
	"errors"
	"sort"
	"strings"

	"ssdgm/lang/diag"

	"gopkg.in/yaml.v3"
)

// A config's problems are lang/diag diagnostics, like a spec's: a
// diag.List sorted by position, each at file:line:col (file:line for a
// YAML syntax error, whose column is unknown) with the span of the key or
// value it is about, so that the command line prints them with the same
// source line and caret.

// nodeSpan returns the position of n in file and, for a scalar written on
// one line, the end of its text; otherwise a zero end (one caret).
func nodeSpan(file string, n *yaml.Node) (diag.Pos, diag.Pos) {
	pos := diag.Pos{File: file, Line: n.Line, Col: n.Column}
	if n.Kind != yaml.ScalarNode || strings.Contains(n.Value, "\n") {
		return pos, diag.Pos{}
	}
	width := len(n.Value)
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		width += 2
	case 0, yaml.TaggedStyle:
	default:
		return pos, diag.Pos{}
	}
	end := pos
	end.Col += max(width, 1)
	return pos, end
}

// sortByPos orders l by position, keeping the order of errors at the same
// position.
func sortByPos(l diag.List) {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// unpositioned returns the messages of l without positions (values set in
// Go or on the command line), one per line.
func unpositioned(l diag.List) error {
	msgs := make([]string, len(l))
	for i, d := range l {
		msgs[i] = d.Msg
	}
	return errors.New(strings.Join(msgs, "\n"))
}

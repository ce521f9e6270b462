package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"ssdgm/lang/dot"
	"ssdgm/runtime/atomicfile"
)

const graphUsage = `usage: ssdgm graph [-T svg|png] [-o FILE] FILE

Writes the encoder and decoder of a checked spec as a Graphviz DOT
picture: observed data shaded, supervised variables double-circled,
deterministic values as dashed boxes, repeats as plates. -T svg or -T png
renders it through Graphviz's dot program (Debian/Ubuntu: apt-get install
graphviz); without -T the DOT text is written.`

func runGraph(e *env, args []string) int {
	fs := newFlags(e, "graph", graphUsage)
	out := fs.String("o", "", "write to this `FILE` instead of stdout")
	format := fs.String("T", "", "render through Graphviz's dot: `svg` or png (default: the DOT text)")
	source := fs.Bool("source", e.tty, "show the source line under each problem")
	files, ok := parseFlags(e, fs, graphUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, graphUsage)
		return exitUsage
	}
	if *format != "" && !slices.Contains(dot.Formats(), *format) {
		fmt.Fprintf(e.stderr, "ssdgm graph: -T %s: want one of %s (or no -T for the DOT text)\n", *format, strings.Join(dot.Formats(), ", "))
		return exitUsage
	}
	m, _ := loadModel(e, files[0], *source)
	if m == nil {
		return exitFail
	}
	var buf bytes.Buffer
	if err := dot.Write(&buf, m); err != nil {
		fmt.Fprintf(e.stderr, "ssdgm graph: %v\n", err)
		return exitFail
	}
	b := buf.Bytes()
	if *format != "" {
		var err error
		if b, err = dot.Render(b, *format); err != nil {
			fmt.Fprintf(e.stderr, "ssdgm graph: %v\n", err)
			return exitFail
		}
	}
	if *out == "" {
		_, _ = e.stdout.Write(b)
		return exitOK
	}
	if err := writeFileAtomic(*out, b); err != nil {
		fmt.Fprintf(e.stderr, "ssdgm graph: %v\n", err)
		return exitFail
	}
	return exitOK
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i+1]
		}
	}
	return "."
}

// writeFileAtomic writes a file the user named through atomicfile, keeping
// the permission bits of a file it replaces (0644 for a new one).
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, atomicfile.ModeOf(path, 0o644))
}

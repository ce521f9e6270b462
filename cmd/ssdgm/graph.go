package main

import (
	"bytes"
	"fmt"

	"ssdgm/lang/dot"
	"ssdgm/runtime/atomicfile"
)

const graphUsage = `usage: ssdgm graph [-o out.dot] FILE

Writes the encoder and decoder of a checked spec as a Graphviz DOT
picture: observed data shaded, supervised variables double-circled,
deterministic values as dashed boxes, repeats as plates. Render it with
` + "`dot -Tpng out.dot -o out.png`."

func runGraph(e *env, args []string) int {
	fs := newFlags(e, "graph", graphUsage)
	out := fs.String("o", "", "write the DOT text to this file instead of stdout")
	source := fs.Bool("source", e.tty, "show the source line under each problem")
	files, ok := parseFlags(e, fs, graphUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, graphUsage)
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
	if *out == "" {
		_, _ = e.stdout.Write(buf.Bytes())
		return exitOK
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
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

package main

import (
	"bytes"
	"fmt"
	"os"

	"ssdgm/lang/dot"
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

// writeFileAtomic writes data to path through a temporary file in the same
// folder and a rename, so a reader never sees a half-written file.
// An existing file keeps its permissions; a new one gets 0644.
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dirOf(path), ".ssdgm-*")
	if err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i+1]
		}
	}
	return "."
}

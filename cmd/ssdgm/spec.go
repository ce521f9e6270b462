package main

import (
	"fmt"
	"io"
	"os"

	"ssdgm/lang/check"
)

// readSpec reads a spec file, or stdin for "-".
func readSpec(e *env, path string) ([]byte, string, error) {
	if path == "-" {
		b, err := io.ReadAll(e.stdin)
		return b, "<stdin>", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("cannot read spec: %w", err)
	}
	return b, path, nil
}

// loadModel reads, parses and checks a spec. On failure it prints the
// diagnostics and returns nil.
func loadModel(e *env, path string, showSource bool) (*check.Model, []byte) {
	src, name, err := readSpec(e, path)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssdgm: %v\n", err)
		return nil, nil
	}
	m, err := check.SourceWith(name, src, e.limits)
	if err != nil {
		printDiags(e, err, src, showSource)
		return nil, src
	}
	return m, src
}

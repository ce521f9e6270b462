package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"ssdgm/lang/diag"
)

// newFlags returns a silent flag set for a verb; parseFlags prints its
// errors with the verb's usage text.
func newFlags(e *env, name, usageText string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args allowing flags after positional arguments, as in
// `ssdgm check a.ssdgm -source`. It returns the positional arguments, or
// ok=false after printing the error and the usage.
func parseFlags(e *env, fs *flag.FlagSet, usageText string, args []string) ([]string, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fmt.Fprintln(e.stdout, usageText)
				printDefaults(e.stdout, fs)
				return nil, false
			}
			fmt.Fprintf(e.stderr, "ssdgm %s: %v\n%s\n", fs.Name(), err, usageText)
			printDefaults(e.stderr, fs)
			return nil, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, true
		}
		if rest[0] == "-" { // stdin as a file argument
			pos = append(pos, rest[0])
			args = rest[1:]
			continue
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// printDiags writes diagnostics (of a spec or of a run config) to stderr,
// each as file:line:col: message, and with the source line and a caret
// when showSource is set.
func printDiags(e *env, err error, src []byte, showSource bool) {
	list, ok := err.(diag.List)
	if !ok {
		fmt.Fprintln(e.stderr, err)
		return
	}
	for _, d := range list {
		if showSource {
			diag.Render(e.stderr, d, src)
		} else {
			fmt.Fprintln(e.stderr, d.Error())
		}
	}
}

package main

import "fmt"

const checkUsage = `usage: ssdgm check [-source] [-q] FILE...

Parses and checks each spec and prints every problem as
file:line:col: message. Exit status 0 when all files are clean,
1 when any has diagnostics, 2 for a bad command line.`

func runCheck(e *env, args []string) int {
	fs := newFlags(e, "check", checkUsage)
	source := fs.Bool("source", e.tty, "show the source line with a caret under each problem (default: on a terminal)")
	quiet := fs.Bool("q", false, "print nothing for clean files")
	files, ok := parseFlags(e, fs, checkUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, checkUsage)
		return exitUsage
	}
	status := exitOK
	for _, f := range files {
		m, _ := loadModel(e, f, *source)
		if m == nil {
			status = exitFail
			continue
		}
		if !*quiet {
			fmt.Fprintf(e.stdout, "%s: ok (model %s: %d variables, %d networks)\n", f, m.Name, len(m.Vars), len(m.Nets))
		}
	}
	return status
}

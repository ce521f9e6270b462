package main

import (
	"bytes"
	"fmt"

	"ssdgm/lang/syntax"
)

const fmtUsage = `usage: ssdgm fmt [-w] [-l] [-d] FILE...

Prints each spec in canonical form, keeping its comments. "-" reads
stdin. With -w the files are rewritten in place (atomically), -l lists
the files whose formatting differs, -d prints a diff instead.`

func runFmt(e *env, args []string) int {
	fs := newFlags(e, "fmt", fmtUsage)
	write := fs.Bool("w", false, "write the result back to each file")
	list := fs.Bool("l", false, "list files whose formatting differs")
	diff := fs.Bool("d", false, "print a diff of the changes")
	source := fs.Bool("source", e.tty, "show the source line under each syntax error")
	files, ok := parseFlags(e, fs, fmtUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, fmtUsage)
		return exitUsage
	}
	status := exitOK
	for _, path := range files {
		src, name, err := readSpec(e, path)
		if err != nil {
			fmt.Fprintf(e.stderr, "ssdgm fmt: %v\n", err)
			status = exitFail
			continue
		}
		f, err := syntax.Parse(name, src)
		if err != nil {
			printDiags(e, err, src, *source)
			status = exitFail
			continue
		}
		out := syntax.Format(f)
		changed := !bytes.Equal(out, src)
		switch {
		case *list || *diff || *write:
			if *list && changed {
				fmt.Fprintln(e.stdout, name)
			}
			if *diff && changed {
				fmt.Fprint(e.stdout, unifiedDiff(name, string(src), string(out)))
			}
			if *write && changed && path != "-" {
				if err := writeFileAtomic(path, out); err != nil {
					fmt.Fprintf(e.stderr, "ssdgm fmt: %v\n", err)
					status = exitFail
				}
			}
		default:
			_, _ = e.stdout.Write(out)
		}
	}
	return status
}

package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"ssdgm/runtime/results"
)

const resultsUsage = `usage: ssdgm results [flags] RUN...

Summarises run folders (RUN may be a glob such as 'runs/m100-*', or a
folder of runs such as runs/). Runs whose spec and resolved config differ
only in seed (and run name or output folder) form one row: the config keys
that differ between rows, the seeds, the mean ± sample standard deviation
of every test metric of metrics.csv (every column with a "test" part:
err_test_<var> in percent, elbo_test, ...), and, where test metrics were
recorded at the epoch of best validation error, the same at that epoch;
then epochs, steps and wall time (start to end in meta.json). A run that
is unfinished, diverged, failed or has no test evaluation gets its own row
saying so and is never averaged in.

--format text (aligned columns, the default), markdown (README tables),
csv (raw values: rates as fractions, seconds) or json (per-run values too).
--plot FILE.png draws the validation curves of all runs, one colour per
row.`

func runResults(e *env, args []string) int {
	fs := newFlags(e, "results", resultsUsage)
	format := fs.String("format", "text", "output `format`: "+strings.Join(results.Formats(), ", "))
	plotTo := fs.String("plot", "", "also draw the validation curves to `FILE.png`")
	dirs, ok := parseFlags(e, fs, resultsUsage, args)
	if !ok {
		return exitUsage
	}
	if len(dirs) == 0 {
		fmt.Fprintln(e.stderr, resultsUsage)
		return exitUsage
	}
	if !slices.Contains(results.Formats(), *format) {
		fmt.Fprintf(e.stderr, "ssdgm results: unknown --format %q (want one of %s)\n", *format, strings.Join(results.Formats(), ", "))
		return exitUsage
	}
	if *plotTo != "" && !strings.EqualFold(filepath.Ext(*plotTo), ".png") {
		fmt.Fprintf(e.stderr, "ssdgm results: --plot %s: the figure is a PNG; name it FILE.png\n", *plotTo)
		return exitUsage
	}
	paths, err := results.Expand(dirs)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssdgm results: %v\n", err)
		return exitFail
	}
	code := exitOK
	var rs []*results.Run
	for _, p := range paths {
		r, err := results.Load(p)
		if err != nil {
			fmt.Fprintf(e.stderr, "ssdgm results: skipping %v\n", err)
			code = exitFail
			continue
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return exitFail
	}
	s := results.Summarise(rs)
	if err := s.Write(e.stdout, *format); err != nil {
		fmt.Fprintf(e.stderr, "ssdgm results: %v\n", err)
		return exitFail
	}
	if *plotTo != "" {
		if err := s.Plot(*plotTo); err != nil {
			fmt.Fprintf(e.stderr, "ssdgm results: --plot: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(e.stderr, "wrote %s\n", *plotTo)
	}
	return code
}

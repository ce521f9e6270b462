package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
	"ssdgm/runtime/train"
)

const checkUsage = `usage: ssdgm check [-source] [-q] [--dataset NAME] FILE...

Parses and checks each spec and prints every problem as
file:line:col: message. With --dataset (or when SPEC.yaml beside the
spec names a dataset) the spec's data shape and supervised labels are also
held against that dataset's label schema. Exit status 0 when all files
are clean, 1 when any has diagnostics, 2 for a bad command line.`

func runCheck(e *env, args []string) int {
	fs := newFlags(e, "check", checkUsage)
	source := fs.Bool("source", e.tty, "show the source line with a caret under each problem (default: on a terminal)")
	quiet := fs.Bool("q", false, "print nothing for clean files")
	dataset := fs.String("dataset", "", "hold the spec against this dataset's label schema (see `ssdgm data list`)")
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
		m, src := loadModel(e, f, *source)
		if m == nil {
			status = exitFail
			continue
		}
		name := *dataset
		if name == "" {
			name = datasetBeside(f)
		}
		if name != "" {
			schema, shape, err := data.SchemaOf(name, data.Options{})
			if err == nil {
				err = train.CheckSchema(m, name, schema, shape)
			}
			if err != nil {
				printDiags(e, err, src, *source)
				status = exitFail
				continue
			}
		}
		if !*quiet {
			against := ""
			if name != "" {
				against = ", labels match dataset " + name
			}
			fmt.Fprintf(e.stdout, "%s: ok (model %s: %d variables, %d networks%s)\n", f, m.Name, len(m.Vars), len(m.Nets), against)
		}
	}
	return status
}

// datasetBeside returns the dataset named by the run config SPEC.yaml
// beside a spec, or "" when there is none.
func datasetBeside(spec string) string {
	if spec == "-" {
		return ""
	}
	path := strings.TrimSuffix(spec, filepath.Ext(spec)) + ".yaml"
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	cfg, err := config.Load(path)
	if err != nil {
		return ""
	}
	return cfg.Dataset
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ssdgm/lang/check"
	"ssdgm/lang/dot"
	"ssdgm/runtime/report"
	"ssdgm/runtime/runs"
)

const reportUsage = `usage: ssdgm report [-o FILE.html] RUN

Writes the run folder RUN as one self-contained HTML page (default
RUN/report.html; images inlined, nothing fetched): status, test metrics,
the metrics table per epoch, learning curves (SVG), every picture of
RUN/pictures with its caption, the model's graph (when Graphviz's dot is
installed), the spec, the resolved config, meta.json and the end of
train.log. Open it in any browser.`

func runReport(e *env, args []string) int {
	fs := newFlags(e, "report", reportUsage)
	out := fs.String("o", "", "output `FILE.html` (default: RUN/report.html)")
	dirs, ok := parseFlags(e, fs, reportUsage, args)
	if !ok {
		return exitUsage
	}
	if len(dirs) != 1 {
		fmt.Fprintln(e.stderr, reportUsage)
		return exitUsage
	}
	dir := dirs[0]
	if *out == "" {
		*out = filepath.Join(dir, "report.html")
	}
	if ext := strings.ToLower(filepath.Ext(*out)); ext != ".html" && ext != ".htm" {
		fmt.Fprintf(e.stderr, "ssdgm report: -o %s: the report is HTML; name it FILE.html\n", *out)
		return exitUsage
	}
	if info, err := os.Stat(filepath.Join(dir, runs.MetaFile)); err != nil || !info.Mode().IsRegular() {
		fmt.Fprintf(e.stderr, "ssdgm report: %s is not a run folder (no %s)\n", dir, runs.MetaFile)
		return exitFail
	}
	opt := report.Options{}
	opt.Graph, opt.GraphNote = modelGraph(filepath.Join(dir, runs.SpecFile))
	b, err := report.Build(dir, opt)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssdgm report: %v\n", err)
		return exitFail
	}
	if err := writeFileAtomic(*out, b); err != nil {
		fmt.Fprintf(e.stderr, "ssdgm report: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	if opt.GraphNote != "" {
		fmt.Fprintf(e.stderr, "ssdgm report: no model graph: %s\n", opt.GraphNote)
	}
	return exitOK
}

// modelGraph renders a run's spec as SVG, or says why it cannot.
func modelGraph(specPath string) ([]byte, string) {
	src, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err.Error()
	}
	m, err := check.Source(specPath, src)
	if err != nil {
		return nil, fmt.Sprintf("the run's spec does not check with this version of ssdgm: %v", err)
	}
	var b bytes.Buffer
	if err := dot.Write(&b, m); err != nil {
		return nil, err.Error()
	}
	svg, err := dot.Render(b.Bytes(), "svg")
	if err != nil {
		return nil, err.Error()
	}
	return svg, ""
}

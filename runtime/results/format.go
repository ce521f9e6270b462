package results

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Formats lists the output formats of Write.
func Formats() []string { return []string{"text", "markdown", "csv", "json"} }

// Write renders s in a format: "text" (aligned columns), "markdown" (a
// table for README files), "csv" (raw values: fractions, seconds) or
// "json" (everything, per-run values included).
func (s *Summary) Write(w io.Writer, format string) error {
	switch format {
	case "text", "":
		return s.writeText(w)
	case "markdown", "md":
		return s.writeMarkdown(w)
	case "csv":
		return s.writeCSV(w)
	case "json":
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// IsPercent reports whether a metric is a rate shown in percent: an error
// (err_*), a cosine distance 1 − cos θ (cos_*) or an accuracy (a part named
// acc).
func IsPercent(col string) bool {
	if strings.HasPrefix(col, "err_") || strings.HasPrefix(col, "cos_") {
		return true
	}
	for _, p := range strings.Split(col, "_") {
		if p == "acc" || p == "accuracy" {
			return true
		}
	}
	return false
}

// header is a metric's column title in text and Markdown.
func header(col string) string {
	if IsPercent(col) {
		return col + " %"
	}
	return col
}

// cell renders a Stat: "mean ± std", the mean alone for one value, and
// "(k of n)" where only k of the group's n runs have the metric.
func cell(col string, st Stat, n int) string {
	if st.N == 0 {
		return "–"
	}
	scale := 1.0
	if IsPercent(col) {
		scale = 100
	}
	s := strconv.FormatFloat(st.Mean*scale, 'f', 2, 64)
	if st.N > 1 {
		s += " ± " + strconv.FormatFloat(st.Std*scale, 'f', 2, 64)
	}
	if st.N < n {
		s += fmt.Sprintf(" (%d of %d)", st.N, n)
	}
	return strings.Replace(s, "-", "−", 1)
}

// span renders per-run counts: one value when they agree, else min–max.
func span[T int | int64](vs []T) string {
	if len(vs) == 0 {
		return ""
	}
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// wall renders the mean ± std of wall times in minutes (seconds under one
// minute).
func wall(secs []float64) string {
	var known []float64
	for _, s := range secs {
		if s > 0 {
			known = append(known, s)
		}
	}
	st := newStat(known)
	if st.N == 0 {
		return "–"
	}
	unit, div := "min", 60.0
	if st.Mean < 60 {
		unit, div = "s", 1
	}
	s := strconv.FormatFloat(st.Mean/div, 'f', 1, 64)
	if st.N > 1 {
		s += " ± " + strconv.FormatFloat(st.Std/div, 'f', 1, 64)
	}
	return s + " " + unit
}

func joinInts[T int | int64](vs []T, sep string) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprint(v))
	}
	return strings.Join(parts, sep)
}

// table returns the header and cells of the text and Markdown forms.
func (s *Summary) table() ([]string, [][]string) {
	head := append([]string{"spec"}, s.Keys...)
	head = append(head, "seeds")
	for _, m := range s.Metrics {
		head = append(head, header(m))
	}
	if s.Best {
		head = append(head, "best-val epoch")
		for _, m := range s.Metrics {
			head = append(head, "best-val "+header(m))
		}
	}
	head = append(head, "epochs", "steps", "wall", "status")
	var rows [][]string
	for _, r := range s.Rows {
		c := []string{r.Spec}
		for _, k := range s.Keys {
			c = append(c, r.Config[k])
		}
		c = append(c, joinInts(r.Seeds, ", "))
		done := r.Status == Done
		for _, m := range s.Metrics {
			if done {
				c = append(c, cell(m, r.Final[m], len(r.Runs)))
			} else {
				c = append(c, "–")
			}
		}
		if s.Best {
			if done {
				c = append(c, joinInts(r.BestEpochs, ", "))
			} else {
				c = append(c, "–")
			}
			for _, m := range s.Metrics {
				if done {
					c = append(c, cell(m, r.Best[m], len(r.Runs)))
				} else {
					c = append(c, "–")
				}
			}
		}
		status := r.Status
		if !done {
			status = fmt.Sprintf("%s: %s (%s)", r.Status, r.Note, filepath.Base(r.Runs[0]))
		}
		c = append(c, span(r.Epochs), span(r.Steps), wall(r.WallSeconds), status)
		rows = append(rows, c)
	}
	return head, rows
}

func (s *Summary) writeText(w io.Writer) error {
	head, rows := s.table()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func (s *Summary) writeMarkdown(w io.Writer) error {
	head, rows := s.table()
	esc := func(c []string) string {
		out := make([]string, len(c))
		for i, x := range c {
			out[i] = strings.ReplaceAll(x, "|", `\|`)
		}
		return "| " + strings.Join(out, " | ") + " |\n"
	}
	var b strings.Builder
	b.WriteString(esc(head))
	b.WriteString("|" + strings.Repeat("---|", len(head)) + "\n")
	for _, r := range rows {
		b.WriteString(esc(r))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCSV writes one record per row with raw values: rates as fractions,
// wall times in seconds, per-run lists joined with ";".
func (s *Summary) writeCSV(w io.Writer) error {
	head := append([]string{"spec"}, s.Keys...)
	head = append(head, "status", "note", "runs", "seeds", "n")
	for _, m := range s.Metrics {
		head = append(head, m+"_mean", m+"_std", m+"_n")
	}
	if s.Best {
		head = append(head, "best_val_epochs")
		for _, m := range s.Metrics {
			head = append(head, "best_val_"+m+"_mean", "best_val_"+m+"_std", "best_val_"+m+"_n")
		}
	}
	head = append(head, "epochs", "steps", "wall_s_mean", "wall_s_std")
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 10, 64)
	}
	stat := func(st Stat) []string {
		if st.N == 0 {
			return []string{"", "", "0"}
		}
		return []string{num(st.Mean), num(st.Std), strconv.Itoa(st.N)}
	}
	for _, r := range s.Rows {
		rec := []string{r.Spec}
		for _, k := range s.Keys {
			rec = append(rec, r.Config[k])
		}
		rec = append(rec, r.Status, r.Note, strings.Join(r.Runs, ";"), joinInts(r.Seeds, ";"), strconv.Itoa(len(r.Runs)))
		for _, m := range s.Metrics {
			rec = append(rec, stat(r.Final[m])...)
		}
		if s.Best {
			rec = append(rec, joinInts(r.BestEpochs, ";"))
			for _, m := range s.Metrics {
				rec = append(rec, stat(r.Best[m])...)
			}
		}
		var known []float64
		for _, x := range r.WallSeconds {
			if x > 0 {
				known = append(known, x)
			}
		}
		ws := newStat(known)
		rec = append(rec, joinInts(r.Epochs, ";"), joinInts(r.Steps, ";"), num(ws.Mean), num(ws.Std))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

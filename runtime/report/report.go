// Package report writes one run folder as a single self-contained HTML
// page: its status, the test metrics, the metrics table per epoch,
// learning curves drawn as SVG, every picture of RUN/pictures with its
// caption, the model's graph, the spec, the resolved config, meta.json and
// the end of the training log. Images are inlined as data URIs, so the
// page fetches nothing and can be mailed or archived as one file.
package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	pics "ssdgm/runtime/pictures"
	"ssdgm/runtime/results"
	"ssdgm/runtime/runs"
)

// Options say what goes into a report besides the run folder.
type Options struct {
	// Graph is the model's picture as SVG (ssdgm graph -T svg), or nil.
	Graph []byte
	// GraphNote says why there is no graph (dot missing, say).
	GraphNote string
	// LogLines bounds the lines of train.log shown (its end); 0 means 40.
	LogLines int
}

// figure is an inlined picture with its caption.
type figure struct {
	Title, Caption string
	Src            template.URL
}

// page is what the template renders.
type page struct {
	Name, Dir, Model, Status, Note string
	Summary                        [][2]string
	Columns                        []string
	Rows                           [][]string
	Curves                         []figure
	Pictures                       []figure
	Graph                          template.URL
	GraphNote                      string
	Spec, Config, Meta, Log        string
}

// Build returns the report of the run folder dir.
func Build(dir string, opt Options) ([]byte, error) {
	r, err := results.Load(dir)
	if err != nil {
		return nil, err
	}
	p := &page{Name: r.Name(), Dir: dir, Model: r.Model, Status: r.Status, Note: r.Note, Columns: r.Columns, GraphNote: opt.GraphNote}
	p.Summary = summary(r)
	for _, row := range r.Rows {
		var cells []string
		for _, c := range r.Columns {
			v, ok := row[c]
			cells = append(cells, cell(c, v, ok))
		}
		p.Rows = append(p.Rows, cells)
	}
	if p.Curves, err = curves(r); err != nil {
		return nil, err
	}
	if p.Pictures, err = pictures(filepath.Join(dir, "pictures")); err != nil {
		return nil, err
	}
	if len(opt.Graph) > 0 {
		p.Graph = dataURL("image/svg+xml", opt.Graph)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Sprintf("(%v)", err)
		}
		return string(b)
	}
	p.Spec, p.Config, p.Meta = read(runs.SpecFile), read(runs.ConfigFile), read(runs.MetaFile)
	n := opt.LogLines
	if n <= 0 {
		n = 40
	}
	lines := strings.Split(strings.TrimRight(read(runs.LogFile), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("(… %d earlier lines)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	p.Log = strings.Join(lines, "\n")
	var b bytes.Buffer
	if err := tmpl.Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// summary lists the test metrics of the last epoch and, when there is a
// best validation epoch, that epoch's.
func summary(r *results.Run) [][2]string {
	var out [][2]string
	if len(r.Rows) > 0 {
		out = append(out, [2]string{"epochs", fmt.Sprintf("%d of %d", int(r.Rows[len(r.Rows)-1]["epoch"]), r.Epochs)})
		out = append(out, [2]string{"steps", strconv.Itoa(int(r.Rows[len(r.Rows)-1]["step"]))})
	}
	if w := r.Wall(); w > 0 {
		out = append(out, [2]string{"wall time", w.Round(1e9).String()})
	}
	for _, c := range r.TestMetrics() {
		if v, ok := r.Last(c); ok {
			out = append(out, [2]string{c + " (last epoch)", cell(c, v, true)})
		}
	}
	if b := r.Best(); b >= 0 {
		val, _ := r.ValColumn()
		out = append(out, [2]string{"best " + val + " epoch", fmt.Sprintf("%d (%s)", int(r.Rows[b]["epoch"]), cell(val, r.Rows[b][val], true))})
		if b < len(r.Rows)-1 {
			for _, c := range r.TestMetrics() {
				if v, ok := r.Rows[b][c]; ok {
					out = append(out, [2]string{c + " (best epoch)", cell(c, v, true)})
				}
			}
		}
	}
	return out
}

// cell renders a metric: rates in percent, others with four significant
// digits; an empty cell where the epoch has no value.
func cell(col string, v float64, ok bool) string {
	switch {
	case !ok:
		return ""
	case col == "epoch" || col == "step":
		return strconv.Itoa(int(v))
	case results.IsPercent(col):
		return strconv.FormatFloat(100*v, 'f', 2, 64) + " %"
	case math.Abs(v) >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// curves draws loss, errors and ELBOs against epoch, one SVG each.
func curves(r *results.Run) ([]figure, error) {
	groups := pics.CurveGroups()
	var out []figure
	for _, g := range groups {
		p := plot.New()
		p.Title.Text = g.Title
		p.X.Label.Text, p.Y.Label.Text = "epoch", g.Unit
		p.Add(plotter.NewGrid())
		p.Legend.Top = true
		k := 0
		for _, c := range r.Columns {
			if !g.Match(c) {
				continue
			}
			var xys plotter.XYs
			for _, row := range r.Rows {
				y, ok := row[c]
				if e, eok := row["epoch"]; ok && eok && !math.IsNaN(y) && !math.IsInf(y, 0) {
					xys = append(xys, plotter.XY{X: e, Y: g.Scale * y})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, err
			}
			col := palette[k%len(palette)]
			l.Color, pts.Color = col, col
			pts.Radius = vg.Points(2)
			p.Add(l, pts)
			p.Legend.Add(c, l, pts)
			k++
		}
		if k == 0 {
			continue
		}
		cv := vgsvg.New(5*vg.Inch, 3*vg.Inch)
		p.Draw(draw.New(cv))
		var b bytes.Buffer
		if _, err := cv.WriteTo(&b); err != nil {
			return nil, err
		}
		out = append(out, figure{Title: g.Title, Src: dataURL("image/svg+xml", b.Bytes())})
	}
	return out, nil
}

// pictures inlines every PNG of dir, in the order training draws them.
func pictures(dir string) ([]figure, error) {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".png") {
			names = append(names, e.Name())
		}
	}
	sort.SliceStable(names, func(i, j int) bool {
		ki, kj := kindOrder(names[i]), kindOrder(names[j])
		if ki != kj {
			return ki < kj
		}
		return names[i] < names[j]
	})
	var out []figure
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out = append(out, figure{Title: n, Caption: Caption(n), Src: dataURL("image/png", b)})
	}
	return out, nil
}

// kinds are the picture kinds of runtime/pictures, in its drawing order,
// with what each shows.
var kinds = []struct{ prefix, caption string }{
	{"recon", "rows of test inputs, each over its reconstruction (encoder means, supervised variables clamped to the true labels)"},
	{"analogy", "each row a test image (first column), then its inferred style decoded with every value of %s"},
	{"conditional", "row k has %s = k; the columns draw everything else from the prior"},
	{"sweep", "row j moves component j of %s over the range of its labels, everything else at a test image's inferred values"},
	{"traverse", "the most active unsupervised latent dimensions, each over [−3, 3], the rest at a test image's inferred values"},
	{"latent", "the unsupervised latents of test images, PCA to 2-D, coloured by the first discrete label"},
	{"prior", "samples from the prior"},
	{"curves", "training loss, validation and test error, ELBO against epoch and training time"},
}

func kindOrder(name string) int {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	for i, k := range kinds {
		if base == k.prefix || strings.HasPrefix(base, k.prefix+"_") {
			return i
		}
	}
	return len(kinds)
}

// Caption says what a picture of RUN/pictures shows, from its file name
// (analogy_y.png: the analogies of y); "" for a name it does not know.
func Caption(name string) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	for _, k := range kinds {
		if base == k.prefix {
			return strings.ReplaceAll(k.caption, "%s", "the variable")
		}
		if v, ok := strings.CutPrefix(base, k.prefix+"_"); ok {
			return strings.ReplaceAll(k.caption, "%s", v)
		}
	}
	return ""
}

func dataURL(mime string, b []byte) template.URL {
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
}

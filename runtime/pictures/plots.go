package pictures

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"ssdgm/runtime/atomicfile"
)

// plotDPI is the resolution of plotted pictures: a W×H-inch plot is
// W·96 × H·96 pixels.
const plotDPI = 96

// palette holds distinguishable colours (Tableau 10, then 10 more); it
// repeats past 20 classes.
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
	{174, 199, 232, 255}, {255, 187, 120, 255}, {152, 223, 138, 255}, {255, 152, 150, 255}, {197, 176, 213, 255},
	{196, 156, 148, 255}, {247, 182, 210, 255}, {199, 199, 199, 255}, {219, 219, 141, 255}, {158, 218, 229, 255},
}

func colour(i int) color.RGBA { return palette[max(i, 0)%len(palette)] }

// renderPlots draws a grid of plots, aligned, on a white canvas of w×h
// inches and writes it as PNG to path.
func renderPlots(path string, plots [][]*plot.Plot, w, h vg.Length) error {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	t := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, t, dc)
	for i, row := range plots {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return err
	}
	return atomicfile.Write(path, b.Bytes(), 0o644)
}

// metrics is a parsed metrics.csv: its columns by name, NaN where a row
// has no value.
type metrics struct {
	names []string
	cols  map[string][]float64
	rows  int
}

func readMetrics(path string) (*metrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	m := &metrics{names: recs[0], cols: map[string][]float64{}, rows: len(recs) - 1}
	for j, name := range m.names {
		col := make([]float64, m.rows)
		for i, rec := range recs[1:] {
			col[i] = math.NaN()
			if j < len(rec) {
				if v, err := strconv.ParseFloat(strings.TrimSpace(rec[j]), 64); err == nil {
					col[i] = v
				}
			}
		}
		m.cols[name] = col
	}
	return m, nil
}

// WriteCurves draws the learning curves of a run's metrics.csv to path: a
// 3×2 grid of panels, the training loss, the classification errors (in %)
// and the ELBOs against the epoch (left) and the cumulative training time
// in seconds (right). note is added to the title.
func WriteCurves(metricsCSV, path, note string) error {
	m, err := readMetrics(metricsCSV)
	if err != nil {
		return err
	}
	if m.rows == 0 {
		return fmt.Errorf("%s has no rows yet", metricsCSV)
	}
	epoch := m.cols["epoch"]
	if epoch == nil {
		return fmt.Errorf("%s has no epoch column", metricsCSV)
	}
	wall := make([]float64, m.rows)
	total := 0.0
	for i, s := range m.cols["seconds"] {
		if !math.IsNaN(s) {
			total += s
		}
		wall[i] = total
	}
	groups := CurveGroups()
	var plots [][]*plot.Plot
	for gi, g := range groups {
		var row []*plot.Plot
		for _, x := range []struct {
			label string
			vals  []float64
		}{{"epoch", epoch}, {"training time (s)", wall}} {
			p := plot.New()
			p.Title.Text = g.Title
			if gi == 0 && note != "" {
				p.Title.Text += " [" + note + "]"
			}
			p.X.Label.Text, p.Y.Label.Text = x.label, g.Unit
			p.Add(plotter.NewGrid())
			p.Legend.Top = true
			k := 0
			for _, name := range m.names {
				if !g.Match(name) {
					continue
				}
				var xys plotter.XYs
				for i, y := range m.cols[name] {
					if !math.IsNaN(y) && !math.IsNaN(x.vals[i]) && !math.IsInf(y, 0) {
						xys = append(xys, plotter.XY{X: x.vals[i], Y: g.Scale * y})
					}
				}
				if len(xys) == 0 {
					continue
				}
				l, pts, err := plotter.NewLinePoints(xys)
				if err != nil {
					return err
				}
				l.Color, pts.Color = colour(k), colour(k)
				pts.Radius = vg.Points(2)
				p.Add(l, pts)
				p.Legend.Add(name, l, pts)
				k++
			}
			if k == 0 {
				p.Title.Text += " (no values)"
			}
			row = append(row, p)
		}
		plots = append(plots, row)
	}
	return renderPlots(path, plots, 10*vg.Inch, 9*vg.Inch)
}

// CurveGroup is one panel of the learning curves: the metrics.csv columns
// it draws (Match), their title and unit, and the factor from the stored
// value to the unit (100 for fractions shown in percent).
type CurveGroup struct {
	Title, Unit string
	Match       func(column string) bool
	Scale       float64
}

// CurveGroups are the panels of curves.png and of the run report's curves:
// training loss, classification errors, ELBOs.
func CurveGroups() []CurveGroup {
	return []CurveGroup{
		{"training loss", "loss per step", func(n string) bool { return n == "loss" }, 1},
		{"classification error", "error (%)", func(n string) bool { return strings.HasPrefix(n, "err_") }, 100},
		{"ELBO", "nats per example", func(n string) bool { return strings.HasPrefix(n, "elbo_") }, 1},
	}
}

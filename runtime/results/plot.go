package results

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"ssdgm/runtime/atomicfile"
)

// groupColours are Tableau 10; they repeat past ten groups.
var groupColours = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// Label names a row in a legend: its spec and its values of the
// differing keys.
func (s *Summary) Label(i int) string {
	r := s.Rows[i]
	parts := []string{r.Spec}
	for _, k := range s.Keys {
		parts = append(parts, k+"="+r.Config[k])
	}
	if r.Status != Done {
		parts = append(parts, "("+r.Status+": "+filepath.Base(r.Runs[0])+")")
	}
	return strings.Join(parts, " ")
}

// Plot draws the validation curve (s.Val against epoch, errors in
// percent) of every run on one figure, one colour per row, and writes it
// as a PNG to path.
func (s *Summary) Plot(path string) error {
	if s.Val == "" {
		return fmt.Errorf("no run has a validation column (err_val_* or elbo_val) to plot")
	}
	p := plot.New()
	p.Title.Text = "validation curves"
	p.X.Label.Text = "epoch"
	scale := 1.0
	p.Y.Label.Text = s.Val
	if IsPercent(s.Val) {
		scale = 100
		p.Y.Label.Text += " (%)"
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	drawn := 0
	for i, row := range s.Rows {
		c := groupColours[i%len(groupColours)]
		labelled := false
		for _, r := range row.group {
			var xys plotter.XYs
			for _, m := range r.Rows {
				y, ok := m[s.Val]
				e, eok := m["epoch"]
				if ok && eok && !math.IsNaN(y) && !math.IsInf(y, 0) {
					xys = append(xys, plotter.XY{X: e, Y: scale * y})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			l.Color, pts.Color = c, c
			pts.Radius = vg.Points(1.5)
			if row.Status != Done {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p.Add(l, pts)
			if !labelled {
				p.Legend.Add(s.Label(i), l)
				labelled = true
			}
			drawn++
		}
	}
	if drawn == 0 {
		return fmt.Errorf("no run has values in %s to plot", s.Val)
	}
	cv := vgimg.NewWith(vgimg.UseWH(9*vg.Inch, 6*vg.Inch), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(cv))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: cv}).WriteTo(&b); err != nil {
		return err
	}
	return atomicfile.Write(path, b.Bytes(), 0o644)
}

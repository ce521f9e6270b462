package pictures

import (
	"fmt"
	"image/color"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"ssdgm/lang/check"
)

// PCA projects the rows of x (n×d, row-major) onto their first k principal
// components, after centring. It returns the n×k projection and the
// fraction of the variance each component explains. Components past d
// (or past the rank) are zero.
func PCA(x []float64, n, d, k int) (proj []float64, explained []float64, err error) {
	if n < 1 || d < 1 || len(x) != n*d {
		return nil, nil, fmt.Errorf("pca: %d values are not %d×%d", len(x), n, d)
	}
	c := make([]float64, len(x))
	for j := 0; j < d; j++ {
		mean := 0.0
		for i := 0; i < n; i++ {
			mean += x[i*d+j]
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			c[i*d+j] = x[i*d+j] - mean
		}
	}
	X := mat.NewDense(n, d, c)
	var svd mat.SVD
	if !svd.Factorize(X, mat.SVDThin) {
		return nil, nil, fmt.Errorf("pca: the SVD of the %d×%d latents did not converge", n, d)
	}
	var V mat.Dense
	svd.VTo(&V)
	s := svd.Values(nil)
	total := 0.0
	for _, v := range s {
		total += v * v
	}
	proj = make([]float64, n*k)
	explained = make([]float64, k)
	for j := 0; j < k && j < len(s); j++ {
		if total > 0 {
			explained[j] = s[j] * s[j] / total
		}
		for i := 0; i < n; i++ {
			sum := 0.0
			for l := 0; l < d; l++ {
				sum += c[i*d+l] * V.At(l, j)
			}
			proj[i*k+j] = sum
		}
	}
	return proj, explained, nil
}

// latent draws the continuous unsupervised latents of up to Points test
// images, projected to 2-D with PCA, coloured by the label of the first
// discrete supervised variable where the split has it. With NPY it writes
// the projection (n×2) beside the picture, and the labels (n, -1 where
// absent) as NAME_labels.npy.
func (d *Drawer) latent(path string) error {
	rows := d.testRows(d.opt.Points)
	c, _, err := d.encode(rows)
	if err != nil {
		return fmt.Errorf("latent: %w", err)
	}
	var keys []string
	for k := range c.vals {
		if v := d.varOf(k); v != nil && v.Role == check.Latent && v.Kind == check.Continuous {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("latent: %s has no continuous unsupervised latent", d.m.Name)
	}
	sort.Strings(keys)
	n := c.n
	var x []float64
	dim := 0
	for _, k := range keys {
		dim += len(c.vals[k]) / n
	}
	x = make([]float64, 0, n*dim)
	for i := 0; i < n; i++ {
		for _, k := range keys {
			for _, v := range c.row(k, i) {
				x = append(x, float64(v))
			}
		}
	}
	proj, explained, err := PCA(x, n, dim, 2)
	if err != nil {
		return fmt.Errorf("latent: %w", err)
	}
	labels := make([]int, n)
	colourBy := ""
	for i := range labels {
		labels[i] = -1
	}
	for _, v := range d.m.Vars {
		if v.Role == check.Supervised && v.Kind == check.Discrete && v.Slots == 0 {
			if ld := d.opt.Split.Labels[v.Label.Name]; ld != nil {
				colourBy = v.Label.Name
				for i, r := range rows {
					if ld.Has[r] {
						labels[i] = ld.Class(r, 0)
					}
				}
			}
			break
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("latent space of %s: %s of %d test images, PCA", d.m.Name, strings.Join(keys, ", "), n)
	if d.opt.Note != "" {
		p.Title.Text += " [" + d.opt.Note + "]"
	}
	p.X.Label.Text = fmt.Sprintf("PC1 (%.0f%% of the variance)", 100*explained[0])
	p.Y.Label.Text = fmt.Sprintf("PC2 (%.0f%% of the variance)", 100*explained[1])
	p.Add(plotter.NewGrid())
	byClass := map[int]plotter.XYs{}
	for i := 0; i < n; i++ {
		byClass[labels[i]] = append(byClass[labels[i]], plotter.XY{X: proj[2*i], Y: proj[2*i+1]})
	}
	classes := make([]int, 0, len(byClass))
	for k := range byClass {
		classes = append(classes, k)
	}
	sort.Ints(classes)
	p.Legend.Left, p.Legend.Top = false, true
	if colourBy != "" {
		p.Legend.Add("colour: " + colourBy)
	}
	for _, k := range classes {
		sc, err := plotter.NewScatter(byClass[k])
		if err != nil {
			return fmt.Errorf("latent: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: colour(k), Radius: vg.Points(1.6), Shape: draw.CircleGlyph{}}
		name := fmt.Sprint(k)
		switch {
		case colourBy == "":
			name = "test points"
			sc.GlyphStyle.Color = colour(0)
		case k < 0:
			name = "no label"
			sc.GlyphStyle.Color = color.RGBA{160, 160, 160, 255}
		}
		p.Add(sc)
		p.Legend.Add(name, sc)
	}
	if err := renderPlots(path, [][]*plot.Plot{{p}}, 8*vg.Inch, 7*vg.Inch); err != nil {
		return fmt.Errorf("latent: %w", err)
	}
	if !d.opt.NPY {
		return nil
	}
	p32 := make([]float32, len(proj))
	for i, v := range proj {
		p32[i] = float32(v)
	}
	l32 := make([]float32, n)
	for i, v := range labels {
		l32[i] = float32(v)
	}
	if err := WriteNPY(npyPath(path), []int{n, 2}, p32); err != nil {
		return err
	}
	return WriteNPY(strings.TrimSuffix(npyPath(path), ".npy")+"_labels.npy", []int{n}, l32)
}

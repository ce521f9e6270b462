// Package pictures draws what a trained model has learnt, as PNG files:
// reconstructions, analogies, conditional samples, sweeps of continuous
// supervised variables, traversals of the unsupervised latents, the latent
// space projected to 2-D, prior samples and the learning curves.
//
// Which pictures a model gets follows from its spec's variable roles, never
// from its name: analogies and conditional samples for every discrete
// supervised variable, a sweep for every continuous supervised one,
// traversals and the latent scatter for the continuous unsupervised
// latents. Every picture carries a caption saying what its rows and
// columns are; grids are pixel-exact (runtime/grid). Files are written
// atomically, and with Options.NPY the raw arrays go beside them as .npy.
package pictures

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/data"
	"ssdgm/runtime/grid"
)

// The picture kinds.
const (
	Recon       = "recon"       // test inputs over their reconstructions
	Analogy     = "analogy"     // rows: test images; columns: values of a discrete supervised variable
	Conditional = "conditional" // rows: values of a discrete supervised variable; columns: prior samples
	Sweep       = "sweep"       // rows: components of a continuous supervised variable; columns: values
	Traverse    = "traverse"    // rows: unsupervised latent dimensions; columns: values in [-3, 3]
	Latent      = "latent"      // unsupervised latents of test points, PCA to 2-D, coloured by label
	Prior       = "prior"       // samples from the prior, some latents optionally fixed
	Slots       = "slots"       // test inputs with each active slot's glimpse boxed, reconstructions, each slot decoded alone
	Curves      = "curves"      // learning curves from metrics.csv
	Values      = "values"      // rows: test images; columns: input, reconstruction, named decoder values
	Relight     = "relight"     // a test image under a supervised direction moved in azimuth and elevation
)

// Kinds lists the picture kinds in the order WriteAll draws them.
func Kinds() []string {
	return []string{Recon, Values, Analogy, Conditional, Sweep, Relight, Traverse, Latent, Prior, Slots, Curves}
}

// Options say what to draw from.
type Options struct {
	Model   *check.Model
	Weights *compiler.Weights
	// Compile gives the encoder's handling of discrete latents (the run's
	// train.CompileOptions); the zero value relaxes nothing.
	Compile compiler.Options
	// Split holds the test images and, when present, their labels (which
	// are clamped in the encoder).
	Split *data.Split
	// N is the number of test images (rows) or samples per row; 0 means 10.
	N int
	// Points bounds the test points of the latent scatter; 0 means 2000.
	Points int
	// Seed seeds the prior samples.
	Seed uint64
	// NPY writes each picture's values beside it as a .npy file.
	NPY bool
	// Note is appended to every caption, e.g. "epoch 3".
	Note string
	// Show names the decoder values a values picture draws; empty: every
	// value shaped like the image.
	Show []string
}

// encBatch is the batch size of the encoder.
const encBatch = 100

// Drawer draws the pictures of one model and set of weights.
type Drawer struct {
	opt   Options
	m     *check.Model
	shape [3]int // C, H, W of the data as drawn
	gopt  grid.Options
	enc   map[bool]*compiler.Encoder // by clamp
	encB  int
	rng   *rand.Rand
}

// New returns a Drawer for opt. The model's data must be an image with 1
// or 3 channels, or a vector (drawn as a one-pixel-high strip).
func New(opt Options) (*Drawer, error) {
	if opt.Model == nil || opt.Weights == nil {
		return nil, errors.New("pictures: no model or weights")
	}
	if opt.N <= 0 {
		opt.N = 10
	}
	if opt.Points <= 0 {
		opt.Points = 2000
	}
	d := &Drawer{opt: opt, m: opt.Model, enc: map[bool]*compiler.Encoder{}, rng: rand.New(rand.NewPCG(opt.Seed, 0x70696373))}
	s := opt.Model.Data.Shape
	switch len(s) {
	case 1:
		d.shape = [3]int{1, 1, s[0]}
	case 2:
		d.shape = [3]int{1, s[0], s[1]}
	case 3:
		d.shape = [3]int{s[0], s[1], s[2]}
	default:
		return nil, fmt.Errorf("pictures: cannot draw data of shape %v", s)
	}
	if d.shape[0] != 1 && d.shape[0] != 3 {
		return nil, fmt.Errorf("pictures: cannot draw data with %d channels (want 1 or 3)", d.shape[0])
	}
	d.gopt = grid.Options{Scale: max(1, min(8, 64/max(d.shape[1], d.shape[2])))}
	if opt.Split != nil && opt.Split.N > 0 && opt.Split.ImageSize() != s.Size() {
		return nil, fmt.Errorf("pictures: the split's images have %d values, the model's data %d", opt.Split.ImageSize(), s.Size())
	}
	return d, nil
}

// Close releases the encoders.
func (d *Drawer) Close() {
	for _, e := range d.enc {
		e.Close()
	}
}

// Vars returns the variables a kind is drawn for, by name, in model
// order: discrete supervised ones for analogy and conditional, continuous
// supervised ones for sweep; nil for the other kinds (drawn once).
func (d *Drawer) Vars(kind string) []string {
	var out []string
	for _, v := range d.m.Vars {
		if v.Role != check.Supervised || v.Slots > 0 {
			continue
		}
		switch {
		case (kind == Analogy || kind == Conditional) && v.Kind == check.Discrete,
			kind == Sweep && v.Kind == check.Continuous:
			out = append(out, v.Name)
		}
	}
	if kind == Relight {
		return d.directions()
	}
	return out
}

// Applies reports whether a kind can be drawn for the model and split.
func (d *Drawer) Applies(kind string) bool {
	switch kind {
	case Analogy, Conditional, Sweep, Relight:
		return len(d.Vars(kind)) > 0 && (kind == Conditional || d.hasTest())
	case Values:
		return d.hasTest() && (len(d.opt.Show) > 0 || len(d.showable()) > 0)
	case Recon:
		return d.hasTest()
	case Traverse, Latent:
		return d.hasTest() && len(d.unsupervised()) > 0
	case Prior:
		return true
	case Slots:
		_, ok := slotsOf(d.m)
		return ok && d.hasTest() && d.shape[0] == 1
	}
	return false
}

func (d *Drawer) hasTest() bool { return d.opt.Split != nil && d.opt.Split.N > 0 }

// unsupervised returns the continuous unsupervised latents.
func (d *Drawer) unsupervised() []*check.Var {
	var out []*check.Var
	for _, v := range d.m.Vars {
		if v.Role == check.Latent && v.Kind == check.Continuous {
			out = append(out, v)
		}
	}
	return out
}

// FileName returns the base name of a kind's picture for variable v ("" for
// kinds drawn once): recon.png, analogy_y.png, and so on.
func FileName(kind, v string) string {
	if v == "" {
		return kind + ".png"
	}
	return kind + "_" + v + ".png"
}

// Draw draws one picture of a kind to path (and its .npy beside it with
// Options.NPY). v names the variable for analogy, conditional and sweep
// ("" for the first that applies); fixed gives, for prior, latents held at
// one value for every sample (see ParseSet).
func (d *Drawer) Draw(kind, v string, fixed map[string][]float32, path string) error {
	if kind == Analogy || kind == Conditional || kind == Sweep || kind == Relight {
		vars := d.Vars(kind)
		if len(vars) == 0 {
			what := map[string]string{Analogy: "discrete", Conditional: "discrete", Sweep: "continuous", Relight: "3-vector (direction)"}[kind]
			return fmt.Errorf("%s pictures need a %s supervised variable, and %s has none", kind, what, d.m.Name)
		}
		if v == "" {
			v = vars[0]
		} else if !slices.Contains(vars, v) {
			return fmt.Errorf("%s pictures are drawn for %s, not %q", kind, strings.Join(vars, ", "), v)
		}
	}
	if kind != Prior && kind != Conditional && !d.hasTest() {
		return fmt.Errorf("%s pictures need test images", kind)
	}
	if kind == Latent {
		return d.latent(path)
	}
	var p *picture
	var err error
	switch kind {
	case Recon:
		p, err = d.recon()
	case Analogy:
		p, err = d.analogy(v)
	case Conditional:
		p, err = d.conditional(v)
	case Sweep:
		p, err = d.sweep(v)
	case Relight:
		p, err = d.relight(v)
	case Values:
		p, err = d.values(d.opt.Show)
	case Traverse:
		p, err = d.traverse()
	case Prior:
		p, err = d.prior(fixed)
	case Slots:
		p, err = d.slots()
	default:
		return fmt.Errorf("unknown picture kind %q (want one of %s)", kind, strings.Join(Kinds(), ", "))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	return d.write(p, path)
}

// WriteAll draws every picture that applies to the model into dir,
// creating it, and the learning curves from metricsCSV when it is not "".
// A picture that fails does not stop the others; the errors are joined.
func WriteAll(opt Options, dir, metricsCSV string) (err error) {
	defer func() { // training calls this: never let a picture take it down
		if r := recover(); r != nil {
			err = fmt.Errorf("pictures: internal error: %v", r)
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	if metricsCSV != "" {
		if err := WriteCurves(metricsCSV, filepath.Join(dir, FileName(Curves, "")), opt.Note); err != nil {
			errs = append(errs, fmt.Errorf("curves: %w", err))
		}
	}
	d, err := New(opt)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer d.Close()
	for _, kind := range Kinds() {
		if kind == Curves || !d.Applies(kind) {
			continue
		}
		vars := d.Vars(kind)
		if vars == nil {
			vars = []string{""}
		}
		for _, v := range vars {
			if err := d.Draw(kind, v, nil, filepath.Join(dir, FileName(kind, v))); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// picture is a grid of images with its caption.
type picture struct {
	imgs       []float32 // rows×cols images, rows first
	rows, cols int
	caption    string
	shape      [3]int // C, H, W of each image; zero: the data's
}

// write draws p (and its .npy, shaped rows × cols × C × H × W).
func (d *Drawer) write(p *picture, path string) error {
	caption := p.caption
	if d.opt.Note != "" {
		caption += " [" + d.opt.Note + "]"
	}
	shape := d.shape
	if p.shape != [3]int{} {
		shape = p.shape
	}
	img, err := captioned(p.imgs, shape, p.rows, p.cols, d.gopt, caption)
	if err != nil {
		return err
	}
	if err := writePNG(path, img); err != nil {
		return err
	}
	if d.opt.NPY {
		return WriteNPY(npyPath(path), []int{p.rows, p.cols, shape[0], shape[1], shape[2]}, p.imgs)
	}
	return nil
}

// npyPath is path with its extension replaced by .npy.
func npyPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".npy"
}

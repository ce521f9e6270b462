// Package predict applies a trained run's encoder to new data: it reads
// PNG and PGM images, folders of them, idx image files (.gz) and .npy
// arrays, holds each input's size and channels against the spec's data
// declaration (resizing by area averaging on request), and writes, per
// input, the predicted class and its probability for every discrete
// supervised variable, the mean of every continuous supervised one and,
// on request, the means of the unsupervised latents, as CSV, JSON or .npy.
package predict

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"ssdgm/lang/check"
	"ssdgm/runtime/data"
	"ssdgm/runtime/pictures"
)

// Inputs are data points read for prediction, in the order given.
type Inputs struct {
	Names []string  // per point: the file, or FILE[i] for the i-th of an array or idx file
	X     []float32 // len(Names) × the model's data size, values in [0, 1]
}

// N returns the number of points.
func (in *Inputs) N() int { return len(in.Names) }

// Reader reads inputs for one model's data declaration.
type Reader struct {
	decl   string // the declaration, e.g. "x: image[1, 28, 28]"
	shape  [3]int // C, H, W
	flat   bool   // declared as a vector
	resize bool
}

// NewReader returns a reader of inputs for m's data; with resize, images
// of another height and width are resized to the declared ones by area
// averaging.
func NewReader(m *check.Model, resize bool) (*Reader, error) {
	s := m.Data.Shape
	r := &Reader{resize: resize}
	switch len(s) {
	case 1:
		r.shape, r.flat = [3]int{1, 1, s[0]}, true
		r.decl = fmt.Sprintf("%s: vector[%d]", m.Data.Name, s[0])
	case 2:
		r.shape = [3]int{1, s[0], s[1]}
		r.decl = fmt.Sprintf("%s: image[%d, %d]", m.Data.Name, s[0], s[1])
	case 3:
		r.shape = [3]int{s[0], s[1], s[2]}
		r.decl = fmt.Sprintf("%s: image[%d, %d, %d]", m.Data.Name, s[0], s[1], s[2])
	default:
		return nil, fmt.Errorf("predict: cannot read inputs for data of shape %v", s)
	}
	return r, nil
}

// Size is the number of values of one point.
func (r *Reader) Size() int { return r.shape[0] * r.shape[1] * r.shape[2] }

// Read reads every path: an image file (.png, .pgm), a folder (its .png
// and .pgm files, in name order), an idx image file (.gz) or a .npy array
// (N × C × H × W, N × H × W, N × values, or one point's values). A path
// that cannot be read, or whose points do not fit the declaration, is
// reported in problems, each naming the file, and skipped.
func (r *Reader) Read(paths []string) (*Inputs, []error) {
	in := &Inputs{}
	var problems []error
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				err = errors.New("no such file or folder")
			}
			problems = append(problems, fmt.Errorf("%s: %v", p, err))
			continue
		}
		if !info.IsDir() {
			if err := r.readFile(p, in); err != nil {
				problems = append(problems, err)
			}
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %v", p, err))
			continue
		}
		var files []string
		for _, e := range ents {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".png" || ext == ".pgm") {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
		sort.Strings(files)
		if len(files) == 0 {
			problems = append(problems, fmt.Errorf("%s: the folder holds no .png or .pgm image", p))
		}
		for _, f := range files {
			if err := r.readFile(f, in); err != nil {
				problems = append(problems, err)
			}
		}
	}
	return in, problems
}

// readFile reads one file by its kind.
func (r *Reader) readFile(path string, in *Inputs) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case ext == ".png":
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: not a readable PNG image: %v", path, err)
		}
		c, pix := pngValues(img)
		bd := img.Bounds()
		x, err := r.fit(path, c, bd.Dy(), bd.Dx(), pix)
		if err != nil {
			return err
		}
		in.add(path, x)
	case ext == ".pgm":
		w, h, pix, err := data.DecodePGM(b)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		x, err := r.fit(path, 1, h, w, pix)
		if err != nil {
			return err
		}
		in.add(path, x)
	case ext == ".gz" || (len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b):
		n, h, w, pix, err := data.ReadIDXImages(path)
		if err != nil {
			return err
		}
		return r.addArray(path, n, 1, h, w, pix, in)
	case ext == ".npy":
		shape, vals, descr, err := pictures.DecodeNPYAny(b)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if descr == "|u1" || descr == "<u1" {
			for i := range vals {
				vals[i] /= 255
			}
		} else {
			for i, v := range vals {
				if !(v >= 0 && v <= 1) {
					return fmt.Errorf("%s: value %g at index %d is outside [0, 1] (scale pixel values to [0, 1], or save bytes as uint8)", path, v, i)
				}
			}
		}
		return r.addNPY(path, shape, vals, in)
	default:
		return fmt.Errorf("%s: unknown input kind %q (want .png, .pgm, an idx .gz, .npy, or a folder of images)", path, filepath.Ext(path))
	}
	return nil
}

// addNPY splits an array into points by its shape.
func (r *Reader) addNPY(path string, shape []int, vals []float32, in *Inputs) error {
	switch len(shape) {
	case 4:
		return r.addArray(path, shape[0], shape[1], shape[2], shape[3], vals, in)
	case 3:
		return r.addArray(path, shape[0], 1, shape[1], shape[2], vals, in)
	case 2:
		if shape[1] == r.Size() {
			return r.addArray(path, shape[0], r.shape[0], r.shape[1], r.shape[2], vals, in)
		}
		if r.flat {
			return fmt.Errorf("%s: an array of shape %v holds points of %d values, but the spec declares `%s` (%d values)", path, shape, shape[1], r.decl, r.Size())
		}
		return r.addArray(path, 1, 1, shape[0], shape[1], vals, in)
	case 1:
		if shape[0] != r.Size() {
			return fmt.Errorf("%s: an array of %d values, but the spec declares `%s` (%d values)", path, shape[0], r.decl, r.Size())
		}
		in.add(path, vals)
		return nil
	}
	return fmt.Errorf("%s: an array of shape %v; want N × C × H × W, N × H × W, N × values or one point's values", path, shape)
}

// addArray adds the n points of an n × c × h × w array, named FILE[i].
func (r *Reader) addArray(path string, n, c, h, w int, vals []float32, in *Inputs) error {
	d := c * h * w
	if n == 0 {
		return fmt.Errorf("%s: holds no points", path)
	}
	var xs [][]float32
	for i := 0; i < n; i++ {
		x, err := r.fit(path, c, h, w, vals[i*d:(i+1)*d])
		if err != nil {
			return err
		}
		xs = append(xs, x)
	}
	for i, x := range xs {
		in.add(fmt.Sprintf("%s[%d]", path, i), x)
	}
	return nil
}

func (in *Inputs) add(name string, x []float32) {
	in.Names = append(in.Names, name)
	in.X = append(in.X, x...)
}

// fit holds one c × h × w point against the declaration, resizing its
// height and width when asked.
func (r *Reader) fit(path string, c, h, w int, pix []float32) ([]float32, error) {
	want := r.shape
	if r.flat {
		if c*h*w != r.Size() {
			return nil, fmt.Errorf("%s: %d values (%s), but the spec declares `%s` (%d values)", path, c*h*w, dims(c, h, w), r.decl, r.Size())
		}
		return pix, nil
	}
	if c != want[0] {
		return nil, fmt.Errorf("%s: %s with %d channel%s, but the spec declares `%s` with %d", path, dims(1, h, w)[2:], c, plural(c), r.decl, want[0])
	}
	if h == want[1] && w == want[2] {
		return pix, nil
	}
	if !r.resize {
		return nil, fmt.Errorf("%s: %s, but the spec declares `%s` (%d×%d); pass --resize to resize by area averaging", path, dims(c, h, w), r.decl, want[1], want[2])
	}
	out := make([]float32, 0, r.Size())
	for k := 0; k < c; k++ {
		out = append(out, data.ResizeArea(pix[k*h*w:(k+1)*h*w], w, h, want[2], want[1])...)
	}
	return out, nil
}

func dims(c, h, w int) string {
	if c == 1 {
		return fmt.Sprintf("a %d×%d image", h, w)
	}
	return fmt.Sprintf("a %d-channel %d×%d image", c, h, w)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// pngValues returns an image's channels (1 for grey, including colour
// images whose pixels are all grey; 3 otherwise) and its values in [0, 1],
// channel-major. Transparency is ignored.
func pngValues(img image.Image) (int, []float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgb := make([]float32, 3*w*h)
	grey := true
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			cr, cg, cb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := y*w + x
			rgb[i], rgb[w*h+i], rgb[2*w*h+i] = float32(cr)/0xffff, float32(cg)/0xffff, float32(cb)/0xffff
			grey = grey && cr == cg && cg == cb
		}
	}
	if grey {
		return 1, rgb[:w*h]
	}
	return 3, rgb
}

// Package grid draws a batch of images as one picture: a rows×cols grid of
// cells separated by 1-pixel lines, written as PNG.
//
// Images come as one []float32 of N×C×H×W values (row-major C, H, W, the
// layout of runtime/data), grey for C = 1 and colour (RGB) for C = 3. Values
// are clamped into [0, 1] (NaN becomes 0) and mapped to bytes by rounding
// v×255. Cells are copied pixel for pixel, optionally enlarged by an integer
// factor (each pixel becomes a Scale×Scale block); nothing is interpolated,
// and the same input always gives the same bytes.
package grid

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"ssdgm/runtime/atomicfile"
)

// Options control the look of a grid. The zero value gives scale 1 and mid
// grey separators.
type Options struct {
	// Scale enlarges every image pixel to a Scale×Scale block; 0 means 1.
	Scale int
	// Separator is the colour of the 1-pixel lines around and between cells
	// and of empty cells; nil means grey 128.
	Separator color.Color
}

// MaxPixels bounds the size of a grid picture (width × height).
const MaxPixels = 1 << 28

// Size returns the width and height in pixels of a rows×cols grid of H×W
// images: every cell is W×Scale by H×Scale, with a 1-pixel line around and
// between cells.
func Size(shape [3]int, rows, cols int, opt Options) (width, height int) {
	s := scale(opt)
	return cols*shape[2]*s + cols + 1, rows*shape[1]*s + rows + 1
}

func scale(opt Options) int {
	if opt.Scale <= 0 {
		return 1
	}
	return opt.Scale
}

// Image draws the images into a rows×cols grid, filling rows first; cells
// past the last image are left in the separator colour. It returns an
// *image.Gray for C = 1 and an *image.RGBA for C = 3.
func Image(imgs []float32, shape [3]int, rows, cols int, opt Options) (image.Image, error) {
	c, h, w := shape[0], shape[1], shape[2]
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("grid: images have %d channels, want 1 (grey) or 3 (colour)", c)
	}
	if h <= 0 || w <= 0 || rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("grid: shape %v and grid %d×%d must be positive", shape, rows, cols)
	}
	if opt.Scale < 0 || opt.Scale > 64 {
		return nil, fmt.Errorf("grid: scale %d is outside 1..64", opt.Scale)
	}
	size := c * h * w
	if len(imgs)%size != 0 {
		return nil, fmt.Errorf("grid: %d values are not a whole number of %v images", len(imgs), shape)
	}
	n := len(imgs) / size
	if n > rows*cols {
		return nil, fmt.Errorf("grid: %d images do not fit a %d×%d grid", n, rows, cols)
	}
	s := scale(opt)
	width, height := Size(shape, rows, cols, opt)
	if float64(width)*float64(height) > MaxPixels {
		return nil, fmt.Errorf("grid: a %d×%d picture is too large", width, height)
	}
	sep := opt.Separator
	if sep == nil {
		sep = color.Gray{Y: 128}
	}
	rect := image.Rect(0, 0, width, height)
	var (
		gray *image.Gray
		rgba *image.RGBA
		out  image.Image
	)
	if c == 1 {
		gray = image.NewGray(rect)
		fill(gray.Pix, color.GrayModel.Convert(sep).(color.Gray).Y)
		out = gray
	} else {
		rgba = image.NewRGBA(rect)
		sc := color.RGBAModel.Convert(sep).(color.RGBA)
		for i := 0; i < len(rgba.Pix); i += 4 {
			rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], rgba.Pix[i+3] = sc.R, sc.G, sc.B, 255
		}
		out = rgba
	}
	for k := 0; k < n; k++ {
		img := imgs[k*size : (k+1)*size]
		x0 := 1 + (k%cols)*(w*s+1)
		y0 := 1 + (k/cols)*(h*s+1)
		for y := 0; y < h*s; y++ {
			for x := 0; x < w*s; x++ {
				p := (y/s)*w + x/s
				if gray != nil {
					gray.Pix[(y0+y)*gray.Stride+x0+x] = toByte(img[p])
					continue
				}
				o := (y0+y)*rgba.Stride + 4*(x0+x)
				rgba.Pix[o] = toByte(img[p])
				rgba.Pix[o+1] = toByte(img[h*w+p])
				rgba.Pix[o+2] = toByte(img[2*h*w+p])
			}
		}
	}
	return out, nil
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// toByte clamps v into [0, 1] (NaN to 0) and rounds v×255.
func toByte(v float32) byte {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return byte(math.Round(float64(v) * 255))
}

// Write draws the grid (see Image) and writes it to w as PNG.
func Write(w io.Writer, imgs []float32, shape [3]int, rows, cols int, opt Options) error {
	img, err := Image(imgs, shape, rows, cols, opt)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	return enc.Encode(w, img)
}

// WriteFile writes the grid as a PNG file atomically (atomicfile), so a
// failed write leaves no partial picture.
func WriteFile(path string, imgs []float32, shape [3]int, rows, cols int, opt Options) error {
	return atomicfile.WriteFunc(path, 0o644, func(w io.Writer) error {
		return Write(w, imgs, shape, rows, cols, opt)
	})
}

// Fit returns rows and cols for n images: cols = ceil(sqrt(n)) and as many
// rows as needed.
func Fit(n int) (rows, cols int) {
	if n <= 0 {
		return 1, 1
	}
	cols = int(math.Ceil(math.Sqrt(float64(n))))
	rows = (n + cols - 1) / cols
	return rows, cols
}

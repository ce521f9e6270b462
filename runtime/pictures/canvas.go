package pictures

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"ssdgm/runtime/atomicfile"
	"ssdgm/runtime/grid"
)

// Caption geometry: basicfont's 7×13 bitmap face (no anti-aliasing, so
// the pictures stay pixel-exact), a margin around the text, and a minimum
// picture width so that captions of narrow grids stay readable.
const (
	charW    = 7
	lineH    = 13
	margin   = 3
	minWidth = 320
)

// captionLines wraps text into lines of at most width pixels.
func captionLines(text string, width int) []string {
	per := max((width-2*margin)/charW, 8)
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			for len(w) > per { // a word longer than a line is cut
				if line != "" {
					lines = append(lines, line)
					line = ""
				}
				lines = append(lines, w[:per])
				w = w[per:]
			}
			switch {
			case line == "":
				line = w
			case len(line)+1+len(w) <= per:
				line += " " + w
			default:
				lines = append(lines, line)
				line = w
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// captionHeight returns the height of the caption band above a picture of
// the given width.
func captionHeight(text string, width int) int {
	return 2*margin + lineH*len(captionLines(text, width))
}

// pictureSize returns the size of a captioned grid picture: the grid
// (runtime/grid's Size), widened to minWidth, under a caption band.
func pictureSize(shape [3]int, rows, cols int, opt grid.Options, caption string) (width, height int) {
	gw, gh := grid.Size(shape, rows, cols, opt)
	width = max(gw, minWidth)
	return width, gh + captionHeight(caption, width)
}

// captioned draws the grid of imgs (see runtime/grid) under a caption
// saying what its rows and columns are, black on white. Grey data give a
// grey picture, colour data an RGBA one.
func captioned(imgs []float32, shape [3]int, rows, cols int, opt grid.Options, caption string) (image.Image, error) {
	g, err := grid.Image(imgs, shape, rows, cols, opt)
	if err != nil {
		return nil, err
	}
	width, height := pictureSize(shape, rows, cols, opt, caption)
	capH := captionHeight(caption, width)
	rect := image.Rect(0, 0, width, height)
	var dst draw.Image
	if _, ok := g.(*image.Gray); ok {
		dst = image.NewGray(rect)
	} else {
		dst = image.NewRGBA(rect)
	}
	draw.Draw(dst, rect, image.White, image.Point{}, draw.Src)
	draw.Draw(dst, g.Bounds().Add(image.Pt(0, capH)), g, image.Point{}, draw.Src)
	d := font.Drawer{Dst: dst, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13}
	for i, line := range captionLines(caption, width) {
		d.Dot = fixed.P(margin, margin+i*lineH+basicfont.Face7x13.Ascent)
		d.DrawString(line)
	}
	return dst, nil
}

// writePNG encodes img as PNG and writes it atomically.
func writePNG(path string, img image.Image) error {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return atomicfile.Write(path, b.Bytes(), 0o644)
}

package compiler

import (
	G "gorgonia.org/gorgonia"

	"ssdgm/compiler/ops"
	"ssdgm/lang/check"
)

// spatial lowers st_read (a glimpse out of an image) and st_write (a
// glimpse placed on a canvas).
func (b *branch) spatial(e *check.Call, img, where *G.Node) (*G.Node, error) {
	in := e.Args[0].Info().Shape
	if e.Func == "st_read" {
		return ops.STRead(img, where, in[0], in[1], in[2], e.Ints[0], e.Ints[1])
	}
	return ops.STWrite(img, where, in[0], in[1], in[2], e.Ints[0], e.Ints[1])
}

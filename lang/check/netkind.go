package check

// imageKind describes a network kind that maps an image [c, h, w] through
// a stack of layers, one per entry of `channels`: its argument defaults,
// its per-layer size rule and the compiler/nn block that builds it. Each
// lives in its own file (net_*.go); imageKinds lists them, and the
// checker, the limits and the compiler read only this table.
type imageKind struct {
	name           string
	kernel, stride int
	padding        func(kernel int) int
	outAct         string // default out_act; "" means act's
	// size maps one spatial size through one layer of kernel k, stride s
	// and padding p, saturating (addSat, mulSat) instead of overflowing.
	size func(h, k, s, p int64) int64
	// block names the compiler/nn constructor (nn.Blocks).
	block string
}

// imageKinds returns the image network kinds, in the order messages list
// them.
func imageKinds() []imageKind { return []imageKind{convKind(), deconvKind()} }

func lookupImageKind(name string) (imageKind, bool) {
	for _, k := range imageKinds() {
		if k.name == name {
			return k, true
		}
	}
	return imageKind{}, false
}

// ImageBlock returns the compiler/nn block that builds an image network of
// kind name, and whether kind is an image kind.
func ImageBlock(kind string) (string, bool) {
	k, ok := lookupImageKind(kind)
	return k.block, ok
}

package check

// deconvKind: deconv(channels, kernel: 4, stride: 2, padding: 1, out_act:
// none), a stack of transposed 2-D convolutions; each layer maps h to
// (h − 1)·s − 2p + k.
func deconvKind() imageKind {
	return imageKind{name: "deconv", kernel: 4, stride: 2, padding: func(int) int { return 1 }, outAct: "none", block: "ConvTranspose2d",
		size: func(h, k, s, p int64) int64 { return addSat(mulSat(h-1, s), k) - 2*p }}
}

package check

// convKind: conv(channels, kernel: 3, stride: 1, padding: kernel/2), a
// stack of 2-D convolutions; each layer maps h to (h + 2p − k)/s + 1.
func convKind() imageKind {
	return imageKind{name: "conv", kernel: 3, stride: 1, padding: func(k int) int { return k / 2 }, block: "Conv2d",
		size: func(h, k, s, p int64) int64 { return (addSat(h, 2*p)-k)/s + 1 }}
}

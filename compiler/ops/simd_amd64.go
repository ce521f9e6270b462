//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether the AVX2 kernels of simd_amd64.s can run here;
// it is set once, from the CPU's features, when the package loads.
var haveAVX2 = cpu.X86.HasAVX2

//go:noescape
func relu32(out, x *float32, n int)

//go:noescape
func reluGrad32(dx, y, gr *float32, n int)

//go:noescape
func bernPrep32(e, l *float32, n int, floor float32)

//go:noescape
func bernTerms32(t *float64, l, x, lg *float32, n int)

//go:noescape
func bernResid32(r, x, l, e *float32, n int)

//go:noescape
func add32(out, x, y *float32, n int)

//go:noescape
func scale32(out, x *float32, s float32, n int)

//go:build !amd64 || purego

package fastblas

import "unsafe"

// haveKern reports whether this build has the assembly micro-kernel.
const haveKern = false

// kern6x16 is the micro-kernel's arithmetic in plain Go. New leaves accel
// false in builds without the assembly kernel, so Sgemm does not call it.
func kern6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, load bool) {
	as := unsafe.Slice(a, 5*lda+k)
	bs := unsafe.Slice(b, 16*k)
	cs := unsafe.Slice(c, 5*ldc+16)
	for i := 0; i < 6; i++ {
		for j := 0; j < 16; j++ {
			var s float32
			if load {
				s = cs[i*ldc+j]
			}
			for l := 0; l < k; l++ {
				s += as[i*lda+l] * bs[l*16+j]
			}
			cs[i*ldc+j] = s
		}
	}
}

// kernT6x16 is kern6x16 with A transposed, in plain Go.
func kernT6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, load bool) {
	as := unsafe.Slice(a, max(k-1, 0)*lda+6)
	bs := unsafe.Slice(b, 16*k)
	cs := unsafe.Slice(c, 5*ldc+16)
	for i := 0; i < 6; i++ {
		for j := 0; j < 16; j++ {
			var s float32
			if load {
				s = cs[i*ldc+j]
			}
			for l := 0; l < k; l++ {
				s += as[l*lda+i] * bs[l*16+j]
			}
			cs[i*ldc+j] = s
		}
	}
}

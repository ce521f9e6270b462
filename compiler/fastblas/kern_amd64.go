//go:build amd64 && !purego

package fastblas

// haveKern reports whether this build has the assembly micro-kernel.
const haveKern = true

// kern6x16 is the AVX2/FMA micro-kernel (kern_amd64.s): C[0:6, 0:16] =
// (load ? C : 0) + A[0:6, 0:k]·P, with A's rows lda floats apart, P a
// packed panel of 16 floats per k, and C's rows ldc floats apart.
//
//go:noescape
func kern6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)

// kernT6x16 is kern6x16 with A transposed: the six A values of step l are
// a[l·lda : l·lda+6].
//
//go:noescape
func kernT6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)

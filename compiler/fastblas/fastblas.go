// Package fastblas is gonum's pure-Go BLAS with a faster float32 matrix
// product: Sgemm runs on a register-blocked AVX2/FMA micro-kernel
// (kern_amd64.s, 6×16 blocks of the product over cache-sized panels) when
// the CPU has AVX2 and FMA and the product is large enough to pay for
// packing its operands; everything else, and every other BLAS routine
// (float64 included), is gonum's. Its sums are those of vek's AVX2 kernel
// (github.com/viterin/vek), which it replaced, to the bit: one FMA chain
// per element in order over k.
package fastblas

import (
	"sync"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// minWork is the smallest m·n·k handed to the micro-kernel: below it, gonum's Sgemm
// with no packing is as fast.
const minWork = 32 * 32 * 32

// Implementation is a gonum BLAS whose Sgemm uses the micro-kernel. Its zero
// value is not ready: use New.
type Implementation struct {
	gonum.Implementation
	accel bool
	pool  *sync.Pool // []float32 scratch for packed operands and results
}

// New returns the BLAS; the micro-kernel is used only on CPUs with AVX2
// and FMA, in builds that have it (amd64, not purego).
func New() Implementation {
	return Implementation{
		accel: haveKern && cpu.X86.HasAVX2 && cpu.X86.HasFMA,
		pool:  &sync.Pool{New: func() any { return new([]float32) }},
	}
}

// Accelerated reports whether Sgemm runs on the AVX2/FMA micro-kernel.
func (im Implementation) Accelerated() bool { return im.accel }

func (im Implementation) get(n int) *[]float32 {
	p := im.pool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// fits reports whether x holds op(x), an r×cols matrix, with leading
// dimension ld.
func fits(t bool, r, cols int, x []float32, ld int) bool {
	if t {
		r, cols = cols, r
	}
	return ld >= max(1, cols) && len(x) >= (r-1)*ld+cols
}

// Sgemm computes c = alpha·op(a)·op(b) + beta·c (row-major, as gonum's).
func (im Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !im.accel || m*n*k < minWork || alpha == 0 || k == 0 {
		im.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	ta, tb := tA != blas.NoTrans, tB != blas.NoTrans
	if !fits(ta, m, k, a, lda) || !fits(tb, k, n, b, ldb) || !fits(false, m, n, c, ldc) {
		// gonum reports bad arguments.
		im.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if beta == 0 && alpha == 1 {
		im.gemm(ta, m, n, k, a, lda, tb, b, ldb, c, ldc)
		return
	}
	bt := im.get(m * n)
	defer im.pool.Put(bt)
	t := *bt
	im.gemm(ta, m, n, k, a, lda, tb, b, ldb, t, n)
	for i := 0; i < m; i++ {
		ci, ti := c[i*ldc:i*ldc+n], t[i*n:(i+1)*n]
		switch {
		case beta == 0:
			for j, v := range ti {
				ci[j] = alpha * v
			}
		case beta == 1 && alpha == 1:
			for j, v := range ti {
				ci[j] += v
			}
		default:
			for j, v := range ti {
				ci[j] = alpha*v + beta*ci[j]
			}
		}
	}
}

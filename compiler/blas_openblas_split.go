//go:build openblas && cgo

package compiler

/*
void openblas_set_num_threads(int);
*/
import "C"

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

// splitWork is the least m·n·k that splitBLAS shares out over goroutines
// (as fastblas's parWork: below it a goroutine costs more than it saves).
const splitWork = 1 << 18

// splitBLAS is OpenBLAS (netlib) with its matrix products split over
// GOMAXPROCS goroutines by Go, each block one single-threaded OpenBLAS call.
//
// OpenBLAS's own threads spin after each call, waiting for the next one.
// On a 2-core machine they took the cores that the Go kernels between two
// products (bias, activations, likelihoods, split over the cores too)
// needed: with OPENBLAS_NUM_THREADS=2 the OpenBLAS build's MNIST step was
// slower than the pure-Go build's although OpenBLAS's single-threaded
// sgemm is 15–30 % faster than fastblas's on the step's large shapes
// (BenchmarkSgemmOpenBLAS). Splitting in Go keeps one scheduler in charge
// of the cores: the OpenBLAS build then uses GOMAXPROCS as the pure-Go
// build does, and OPENBLAS_NUM_THREADS no longer matters.
type splitBLAS struct{ netlib.Implementation }

// newSplitBLAS sets OpenBLAS to one thread and returns the wrapper.
func newSplitBLAS() splitBLAS {
	C.openblas_set_num_threads(1)
	return splitBLAS{}
}

// splitBlocks returns the split of op(c) [m×n] into w parts: by rows when m ≥ n,
// else by columns, in multiples of 16 (OpenBLAS's register blocks), as
// [lo, hi) ranges of the split dimension. It returns nil where the product
// is too small or there is one core.
func splitBlocks(w, m, n, k int) (byRows bool, lims []int) {
	if w < 2 || m*n*k < splitWork {
		return false, nil
	}
	byRows = m >= n
	d := n
	if byRows {
		d = m
	}
	units := (d + 15) / 16
	w = min(w, units)
	if w < 2 {
		return false, nil
	}
	lims = make([]int, w+1)
	for i := 1; i <= w; i++ {
		lims[i] = min(d, 16*(i*units/w))
	}
	return byRows, lims
}

// splitRun runs f(lo, hi) for each block of lims on its own goroutine.
func splitRun(lims []int, f func(lo, hi int)) {
	var wg sync.WaitGroup
	for i := 0; i+1 < len(lims); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lims[i], lims[i+1])
		}()
	}
	wg.Wait()
}

// splitRowOff is the offset of op(x)'s row r in x (row stride ld): op(x)'s rows
// are x's columns where x is transposed.
func splitRowOff(t bool, r, ld int) int {
	if t {
		return r
	}
	return r * ld
}

// Sgemm computes c = alpha·op(a)·op(b) + beta·c, split as splitBlocks says.
func (s splitBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	splitGemm(s.Implementation.Sgemm, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm in float64.
func (s splitBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	splitGemm(s.Implementation.Dgemm, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// splitGemm runs the product through gemm (one OpenBLAS call per block),
// split as splitBlocks says; a product too small to split, or with
// arguments that do not fit, goes to gemm whole.
func splitGemm[T float32 | float64](gemm func(tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int),
	tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	byRows, lims := splitBlocks(runtime.GOMAXPROCS(0), m, n, k)
	if lims == nil || !splitFits(tA, m, k, len(a), lda) || !splitFits(tB, k, n, len(b), ldb) || !splitFits(blas.NoTrans, m, n, len(c), ldc) {
		gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	ta, tb := tA != blas.NoTrans, tB != blas.NoTrans
	splitRun(lims, func(lo, hi int) {
		if byRows {
			gemm(tA, tB, hi-lo, n, k, alpha, a[splitRowOff(ta, lo, lda):], lda, b, ldb, beta, c[lo*ldc:], ldc)
			return
		}
		// op(b)'s columns lo..hi are b's rows where b is transposed.
		gemm(tA, tB, m, hi-lo, k, alpha, a, lda, b[splitRowOff(!tb, lo, ldb):], ldb, beta, c[lo:], ldc)
	})
}

// splitFits reports whether x (length l, row stride ld) holds op(x) [r×cols]; a
// call that does not goes to netlib whole, which reports the bad argument.
func splitFits(t blas.Transpose, r, cols, l, ld int) bool {
	if t != blas.NoTrans {
		r, cols = cols, r
	}
	return r >= 0 && cols >= 0 && ld >= max(1, cols) && (r == 0 || l >= (r-1)*ld+cols)
}

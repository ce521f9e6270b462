//go:build openblas && cgo

package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

// TestSplitBLASAsOpenBLAS: splitBLAS's products, split by rows or by
// columns over 2 and 3 goroutines, with and without transposes, strides
// wider than the matrices, sizes off the 16-blocks and beta ≠ 0, give
// OpenBLAS's whole single-threaded call within rounding (k·1e-6 in float32,
// k·1e-15 in float64, k the inner dimension), and the same bits every time. Not the same
// bits as the whole call: OpenBLAS's sums for the last rows of a block
// depend on the block's size (a 1280-row product and its two 640-row halves
// differ in rows 636–639 by an ulp or two), as with OpenBLAS's own threads,
// so the OpenBLAS build's numbers are reproducible for a given GOMAXPROCS;
// the pure-Go build's do not depend on it (fastblas).
func TestSplitBLASAsOpenBLAS(t *testing.T) {
	cases := []struct{ m, n, k int }{
		{1280, 784, 256}, // rows
		{130, 1000, 70},  // columns
		{7168, 3, 32},    // rows, one 16-block of columns
		{33, 517, 129},   // columns, ragged
		{8, 8, 8},        // too small to split
	}
	r := rand.New(rand.NewPCG(5, 6))
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	for _, c := range cases {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, beta := range []float64{0, 0.5} {
				for _, w := range []int{2, 3} {
					t.Run(fmt.Sprintf("%dx%dx%d/%v/b%g/w%d", c.m, c.n, c.k, tr, beta, w), func(t *testing.T) {
						runtime.GOMAXPROCS(w)
						checkSplit(t, r, c.m, c.n, c.k, tr[0], tr[1], beta)
					})
				}
			}
		}
	}
}

// checkSplit compares one product of splitBLAS with netlib's.
func checkSplit(t *testing.T, r *rand.Rand, m, n, k int, ta, tb bool, beta float64) {
	t.Helper()
	ar, ac, br, bc := m, k, k, n
	tA, tB := blas.NoTrans, blas.NoTrans
	if ta {
		ar, ac, tA = k, m, blas.Trans
	}
	if tb {
		br, bc, tB = n, k, blas.Trans
	}
	lda, ldb, ldc := ac+3, bc+1, n+2 // strides wider than the rows
	a64 := make([]float64, (ar-1)*lda+ac)
	b64 := make([]float64, (br-1)*ldb+bc)
	c64 := make([]float64, (m-1)*ldc+n)
	for _, x := range [][]float64{a64, b64, c64} {
		for i := range x {
			x[i] = r.NormFloat64()
		}
	}
	f32 := func(x []float64) []float32 {
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = float32(v)
		}
		return y
	}
	a32, b32 := f32(a64), f32(b64)
	want32, got32 := f32(c64), f32(c64)
	netlib.Implementation{}.Sgemm(tA, tB, m, n, k, 1.5, a32, lda, b32, ldb, float32(beta), want32, ldc)
	splitBLAS{}.Sgemm(tA, tB, m, n, k, 1.5, a32, lda, b32, ldb, float32(beta), got32, ldc)
	again32 := f32(c64)
	splitBLAS{}.Sgemm(tA, tB, m, n, k, 1.5, a32, lda, b32, ldb, float32(beta), again32, ldc)
	for i := range want32 {
		if got32[i] != again32[i] {
			t.Fatalf("float32 c[%d] = %g, then %g", i, got32[i], again32[i])
		}
		if d := math.Abs(float64(got32[i] - want32[i])); d > 1e-6*float64(k)*(1+math.Abs(float64(want32[i]))) {
			t.Fatalf("float32 c[%d] = %g, OpenBLAS %g", i, got32[i], want32[i])
		}
	}
	want64, got64 := append([]float64(nil), c64...), append([]float64(nil), c64...)
	netlib.Implementation{}.Dgemm(tA, tB, m, n, k, 1.5, a64, lda, b64, ldb, beta, want64, ldc)
	splitBLAS{}.Dgemm(tA, tB, m, n, k, 1.5, a64, lda, b64, ldb, beta, got64, ldc)
	for i := range want64 {
		if math.Abs(got64[i]-want64[i]) > 1e-15*float64(k)*(1+math.Abs(want64[i])) {
			t.Fatalf("float64 c[%d] = %g, OpenBLAS %g", i, got64[i], want64[i])
		}
	}
}

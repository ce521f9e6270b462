//go:build !(openblas && cgo)

package compiler

import (
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"

	"ssdgm/compiler/fastblas"
)

// BLAS names the BLAS the matrix products run on.
//
// By default it is pure Go, no cgo and no system library needed: gonum's
// BLAS with float32 matrix products on compiler/fastblas's AVX2/FMA
// micro-kernel where the CPU has them, for
// Gorgonia's products and for the convolution ops (gonum's blas32).
// Building with `-tags openblas` (cgo, libopenblas-dev,
// CGO_LDFLAGS=-lopenblas) installs OpenBLAS instead; see blas_openblas.go.
var BLAS = "gonum (pure Go)" + func() string {
	if fastblas.New().Accelerated() {
		return ", float32 products on fastblas's AVX2/FMA kernel"
	}
	return ""
}()

// init installs fastblas as the BLAS of Gorgonia's matrix products (G.Use
// also sets the tensor package's) and of gonum's blas32, which the
// convolution ops call. float64 products stay gonum's, so float64 runs
// give the same numbers to the bit as with gonum alone.
func init() {
	impl := fastblas.New()
	G.Use(impl)
	blas32.Use(impl)
}

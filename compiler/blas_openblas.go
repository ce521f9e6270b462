//go:build openblas && cgo

package compiler

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"
)

// BLAS names the BLAS the matrix products run on.
const BLAS = "OpenBLAS (netlib, cgo)"

// init installs OpenBLAS, through gonum's netlib binding, as the BLAS of
// Gorgonia's matrix products (G.Use also sets the tensor package's) and of
// gonum's blas32/blas64, which the convolution ops in compiler/ops call.
// Build with `-tags openblas`, libopenblas-dev installed and
// CGO_LDFLAGS=-lopenblas. The products run single-threaded in OpenBLAS and
// are split over GOMAXPROCS goroutines (splitBLAS), so GOMAXPROCS sets the
// thread count of both builds alike.
func init() {
	impl := newSplitBLAS()
	G.Use(impl)
	blas32.Use(impl)
	blas64.Use(impl)
}

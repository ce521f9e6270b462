//go:build !(openblas && cgo)

package compiler

// BLAS names the BLAS the matrix products run on.
//
// By default it is gonum's pure-Go BLAS (Gorgonia's default, and gonum's
// blas32/blas64 default used by the convolution ops): no cgo and no system
// library needed. Building with `-tags openblas` (cgo, libopenblas-dev,
// CGO_LDFLAGS=-lopenblas) installs OpenBLAS instead; see blas_openblas.go.
const BLAS = "gonum (pure Go)"

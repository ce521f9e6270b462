//go:build openblas && cgo

package compiler

import (
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// TestOpenBLASInstalled: with the openblas tag, Gorgonia and gonum's blas32
// and blas64 (the convolution ops' BLAS) all run on netlib's OpenBLAS.
func TestOpenBLASInstalled(t *testing.T) {
	if _, ok := G.WhichBLAS().(netlib.Implementation); !ok {
		t.Errorf("gorgonia BLAS is %T", G.WhichBLAS())
	}
	if _, ok := blas32.Implementation().(netlib.Implementation); !ok {
		t.Errorf("blas32 is %T", blas32.Implementation())
	}
	if _, ok := blas64.Implementation().(netlib.Implementation); !ok {
		t.Errorf("blas64 is %T", blas64.Implementation())
	}
}

//go:build openblas && cgo

package compiler

import (
	"testing"

	"gonum.org/v1/gonum/blas"

	"ssdgm/compiler/fastblas"
	"ssdgm/compiler/internal/cputime"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// TestOpenBLASInstalled: with the openblas tag, Gorgonia and gonum's blas32
// and blas64 (the convolution ops' BLAS) all run on netlib's OpenBLAS,
// through splitBLAS.
func TestOpenBLASInstalled(t *testing.T) {
	if _, ok := G.WhichBLAS().(splitBLAS); !ok {
		t.Errorf("gorgonia BLAS is %T", G.WhichBLAS())
	}
	if _, ok := blas32.Implementation().(splitBLAS); !ok {
		t.Errorf("blas32 is %T", blas32.Implementation())
	}
	if _, ok := blas64.Implementation().(splitBLAS); !ok {
		t.Errorf("blas64 is %T", blas64.Implementation())
	}
}

// BenchmarkSgemmOpenBLAS times the MNIST step's largest float32 product
// shapes, and the faces step's widest linear layer's, on OpenBLAS (netlib,
// one call on OpenBLAS's one thread), on splitBLAS (the OpenBLAS build's
// products: one call per goroutine) and on fastblas's micro-kernel, the
// pure-Go build's; cpu-ns/op is process CPU time per product (run with
// GOMAXPROCS=1 OPENBLAS_NUM_THREADS=1 for one thread's cost):
// go test -tags openblas ./compiler -run XXX -bench SgemmOpenBLAS
func BenchmarkSgemmOpenBLAS(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
		ta, tb  bool
	}{
		{"1280x784x256", 1280, 784, 256, false, false},
		{"1280x256x784_NT", 1280, 256, 784, false, true},
		{"256x784x1280_TN", 256, 784, 1280, true, false},
		{"1280x256x60", 1280, 256, 60, false, false},
		// the faces step's widest linear layers (64 rows of 7168 features
		// into 256 units): forward, input gradient, weight gradient
		{"faces_64x256x7168", 64, 256, 7168, false, false},
		{"faces_32x256x7168", 32, 256, 7168, false, false},
		{"faces_32x7168x256_NT", 32, 7168, 256, false, true},
		{"faces_7168x256x32_TN", 7168, 256, 32, true, false},
		{"faces_7168x3x32_TN", 7168, 3, 32, true, false},
		{"faces_32x3x7168", 32, 3, 7168, false, false},
		{"faces_70x7168x32_TN", 70, 7168, 32, true, false},
		{"faces_64x7168x256_NT", 64, 7168, 256, false, true},
		{"faces_7168x256x64_TN", 7168, 256, 64, true, false},
	}
	for _, s := range shapes {
		a := make([]float32, s.m*s.k)
		bb := make([]float32, s.k*s.n)
		c := make([]float32, s.m*s.n)
		for i := range a {
			a[i] = float32(i%13) * 0.01
		}
		for i := range bb {
			bb[i] = float32(i%7) * 0.01
		}
		lda, ldb := s.k, s.n
		ta, tb := blas.NoTrans, blas.NoTrans
		if s.ta {
			lda, ta = s.m, blas.Trans
		}
		if s.tb {
			ldb, tb = s.k, blas.Trans
		}
		for _, impl := range []struct {
			name string
			im   blas.Float32Level3
		}{{"openblas", netlib.Implementation{}}, {"openblas-split", splitBLAS{}}, {"fastblas", fastblas.New()}} {
			b.Run(s.name+"/"+impl.name, func(b *testing.B) {
				sec := cputime.PerOp(b, func() { impl.im.Sgemm(ta, tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) })
				b.ReportMetric(2*float64(s.m*s.n*s.k)/sec/1e9, "cpu-GFLOP/s")
			})
		}
	}
}

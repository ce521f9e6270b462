package fastblas

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"ssdgm/compiler/internal/cputime"

	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestSgemm compares Sgemm with a float64 reference over transposes,
// strides, alpha and beta, on shapes that are and are not multiples of the
// kernel's vector width.
func TestSgemm(t *testing.T) {
	im := New()
	if !im.Accelerated() {
		t.Log("no AVX2+FMA: Sgemm is gonum's; checking it all the same")
	}
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	cases := []struct {
		m, n, k          int
		ta, tb           bool
		alpha, beta      float32
		padA, padB, padC int
	}{
		{64, 64, 64, false, false, 1, 0, 0, 0, 0},
		{37, 53, 41, false, false, 1, 0, 0, 0, 0},
		{37, 53, 41, true, false, 1, 0, 0, 0, 0},
		{37, 53, 41, false, true, 1, 0, 0, 0, 0},
		{37, 53, 41, true, true, 1, 0, 0, 0, 0},
		{40, 33, 70, false, false, 1, 1, 0, 0, 0},
		{40, 33, 70, true, false, 0.5, -2, 3, 5, 7},
		{40, 33, 70, false, true, 2, 0, 1, 2, 3},
		{128, 256, 79, false, true, 1, 1, 0, 0, 0},
		{3, 500, 40, false, false, 1, 0, 0, 0, 0},
		{8, 8, 8, false, false, 1, 0, 0, 0, 0}, // below minWork: gonum
	}
	for _, c := range cases {
		ar, ac := c.m, c.k
		if c.ta {
			ar, ac = c.k, c.m
		}
		br, bc := c.k, c.n
		if c.tb {
			br, bc = c.n, c.k
		}
		lda, ldb, ldc := ac+c.padA, bc+c.padB, c.n+c.padC
		a, b, cm := fill(ar*lda), fill(br*ldb), fill(c.m*ldc)
		want := make([]float64, len(cm))
		for i := 0; i < c.m; i++ {
			for j := 0; j < c.n; j++ {
				s := 0.0
				for l := 0; l < c.k; l++ {
					ai, bi := i*lda+l, l*ldb+j
					if c.ta {
						ai = l*lda + i
					}
					if c.tb {
						bi = j*ldb + l
					}
					av, bv := a[ai], b[bi]
					s += float64(av) * float64(bv)
				}
				want[i*ldc+j] = float64(c.alpha)*s + float64(c.beta)*float64(cm[i*ldc+j])
			}
		}
		tr := func(t bool) blas.Transpose {
			if t {
				return blas.Trans
			}
			return blas.NoTrans
		}
		got := append([]float32(nil), cm...)
		im.Sgemm(tr(c.ta), tr(c.tb), c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
		ref := append([]float32(nil), cm...)
		gonum.Implementation{}.Sgemm(tr(c.ta), tr(c.tb), c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, ref, ldc)
		for i := 0; i < c.m; i++ {
			for j := 0; j < ldc; j++ {
				x := i*ldc + j
				if j >= c.n {
					if got[x] != cm[x] {
						t.Fatalf("%+v: wrote outside C at (%d,%d)", c, i, j)
					}
					continue
				}
				tol := 1e-4 * (1 + math.Abs(want[x])) * math.Sqrt(float64(c.k))
				if math.Abs(float64(got[x])-want[x]) > tol || math.Abs(float64(ref[x])-want[x]) > tol {
					t.Fatalf("%+v: C(%d,%d) = %g (gonum %g), want %g", c, i, j, got[x], ref[x], want[x])
				}
			}
		}
	}
}

// BenchmarkSgemm times the training step's largest product shapes with
// this Sgemm, vek's MatMul (without the packing of transposed operands that
// it needs) and gonum's Sgemm; cpu-ns/op is the process CPU time per
// product (run with GOMAXPROCS=1 for one thread's cost).
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
		ta, tb  bool
	}{
		{"1280x784x256", 1280, 784, 256, false, false},
		{"1280x256x784_NT", 1280, 256, 784, false, true},
		{"256x784x1280_TN", 256, 784, 1280, true, false},
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
		// vek's MatMul (the previous kernel) on the operands packed dense.
		pa, pb := append([]float32(nil), a...), append([]float32(nil), bb...)
		for _, impl := range []struct {
			name string
			f    func()
		}{
			{"fastblas", func() { New().Sgemm(ta, tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) }},
			{"vek", func() { vek32.MatMul_Into(c, pa, pb, s.k) }},
			{"gonum", func() { gonum.Implementation{}.Sgemm(ta, tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) }},
		} {
			b.Run(s.name+"/"+impl.name, func(b *testing.B) {
				sec := cputime.PerOp(b, impl.f)
				b.ReportMetric(2*float64(s.m*s.n*s.k)/sec/1e9, "cpu-GFLOP/s")
			})
		}
	}
}

// TestSgemmBitsAsVek: with alpha 1 and beta 0 (every product of a
// training step) Sgemm gives vek's AVX2 MatMul (the kernel it replaced) to
// the bit, on shapes with and without whole 6×16 blocks, k over several
// kc passes, transposed operands, and the rows split over goroutines, so
// float32 runs keep their numbers.
func TestSgemmBitsAsVek(t *testing.T) {
	im := New()
	if !im.Accelerated() {
		t.Skip("no AVX2+FMA micro-kernel on this machine or build")
	}
	// The splits over goroutines need GOMAXPROCS ≥ 2, also on one core.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct {
		m, n, k int
		ta, tb  bool
	}{
		{128, 256, 784, false, false}, {1280, 784, 256, false, false},
		{1280, 256, 784, false, true}, {256, 784, 1280, true, false},
		{37, 53, 41, false, false}, {131, 50, 600, true, true}, {5, 70, 300, false, true},
		{1280, 10, 256, false, false}, {128, 60, 1280, true, false},
		// split over goroutines with op(a) transposed and k < m
		{600, 64, 40, true, false}, {1280, 256, 50, true, true},
		// split over goroutines by columns: op(b) transposed, or few rows
		{40, 200, 400, false, false}, {70, 300, 64, true, false}, {300, 100, 90, false, true},
	} {
		a, b := make([]float32, s.m*s.k), make([]float32, s.k*s.n)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		// vek multiplies dense row-major operands.
		da, db := a, b
		lda, ldb := s.k, s.n
		ta, tb := blas.NoTrans, blas.NoTrans
		if s.ta { // a holds op(a)ᵀ [k×m]
			lda, ta = s.m, blas.Trans
			da = make([]float32, len(a))
			for i := 0; i < s.m; i++ {
				for l := 0; l < s.k; l++ {
					da[i*s.k+l] = a[l*s.m+i]
				}
			}
		}
		if s.tb { // b holds op(b)ᵀ [n×k]
			ldb, tb = s.k, blas.Trans
			db = make([]float32, len(b))
			for l := 0; l < s.k; l++ {
				for j := 0; j < s.n; j++ {
					db[l*s.n+j] = b[j*s.k+l]
				}
			}
		}
		want := vek32.MatMul(da, db, s.k)
		got := make([]float32, s.m*s.n)
		im.Sgemm(ta, tb, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, got, s.n)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: element %d = %v, vek %v", s, i, got[i], want[i])
			}
		}
	}
}

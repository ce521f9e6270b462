//go:build !unix

package fastblas

import "testing"

// cpuPerOp runs f b.N times; without getrusage it reports wall time only
// and returns the wall seconds per call.
func cpuPerOp(b *testing.B, f func()) float64 {
	b.Helper()
	for i := 0; i < b.N; i++ {
		f()
	}
	return b.Elapsed().Seconds() / float64(b.N)
}

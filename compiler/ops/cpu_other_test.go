//go:build !unix

package ops

import "testing"

// cpuPerOp runs f b.N times; without getrusage it reports wall time only.
func cpuPerOp(b *testing.B, f func()) {
	b.Helper()
	for i := 0; i < b.N; i++ {
		f()
	}
}

//go:build unix

package fastblas

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user + system) the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerOp runs f b.N times and reports the process CPU time per call as
// cpu-ns/op beside the wall time, and returns it in seconds: on a shared
// machine the fairer figure (with GOMAXPROCS=1 it is what a call costs,
// whatever else runs).
func cpuPerOp(b *testing.B, f func()) float64 {
	b.Helper()
	t0 := processCPU()
	for i := 0; i < b.N; i++ {
		f()
	}
	ns := float64(processCPU()-t0) / float64(b.N)
	b.ReportMetric(ns, "cpu-ns/op")
	return ns / 1e9
}

// Package cputime reports the process CPU time a benchmarked call costs,
// beside the wall time testing measures: on a shared machine the fairer
// figure (with GOMAXPROCS=1 it is what a call costs, whatever else runs).
package cputime

import "testing"

// PerOp runs f b.N times and reports the process CPU time per call as
// cpu-ns/op beside the wall time, and returns it in seconds. Where the
// process CPU time is not available it reports nothing extra and returns
// the wall seconds per call.
func PerOp(b *testing.B, f func()) float64 {
	b.Helper()
	t0, ok := process()
	for i := 0; i < b.N; i++ {
		f()
	}
	if !ok {
		return b.Elapsed().Seconds() / float64(b.N)
	}
	t1, _ := process()
	ns := float64(t1-t0) / float64(b.N)
	b.ReportMetric(ns, "cpu-ns/op")
	return ns / 1e9
}

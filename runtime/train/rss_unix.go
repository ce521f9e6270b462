//go:build unix

package train

import (
	"runtime"
	"syscall"
)

// peakRSS returns the process's peak resident memory so far in bytes
// (getrusage's ru_maxrss, what `/usr/bin/time -f %M` reports), and true.
// Each epoch's line of train.log carries it, so a run's memory can be seen
// to stay flat.
func peakRSS() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss), true // bytes there
	}
	return int64(ru.Maxrss) * 1024, true // kilobytes elsewhere
}

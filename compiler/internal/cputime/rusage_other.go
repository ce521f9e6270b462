//go:build !unix

package cputime

import "time"

// process reports that the process CPU time is not available here.
func process() (time.Duration, bool) { return 0, false }

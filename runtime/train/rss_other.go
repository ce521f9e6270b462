//go:build !unix

package train

// peakRSS reports that the peak resident memory is not known here.
func peakRSS() (int64, bool) { return 0, false }

package ops

import (
	"runtime"
	"sync"
)

// parMin is the least number of elements worth splitting over goroutines.
const parMin = 1 << 16

// split says how a row kernel is divided: over up to workers goroutines,
// once it has at least minElems elements. Kernels take it as a value (tests
// force a split with it at any GOMAXPROCS), so there is no global knob.
type split struct{ workers, minElems int }

// defaultSplit is one goroutine per available CPU for kernels of at least
// parMin elements.
func defaultSplit() split { return split{workers: runtime.GOMAXPROCS(0), minElems: parMin} }

// parRows runs f over the rows [0, rows) of a kernel whose rows hold d
// elements each with the default split: the TapeMachine runs one op at a
// time on one thread, so a big element-wise kernel otherwise leaves the
// other cores idle (the Bernoulli likelihood of 1280×784 pixels: a step
// went from about 4,250 to 5,000 examples/s on 2 cores).
func parRows(rows, d int, f func(lo, hi int)) { defaultSplit().rows(rows, d, f) }

// rows runs f over the rows [0, rows), whose rows hold d elements each, in
// contiguous row ranges, one per worker, when there is enough work. Each
// row is computed by exactly one call, with the same arithmetic as a serial
// loop, so results do not depend on the split.
func (s split) rows(rows, d int, f func(lo, hi int)) {
	s.ranges(rows, d, func(_, lo, hi int) { f(lo, hi) })
}

// parts is how many workers ranges uses for rows rows of d elements each:
// one when there is too little work or only one worker.
func (s split) parts(rows, d int) int {
	n := min(s.workers, rows)
	if n < 2 || rows*d < s.minElems {
		return 1
	}
	return n
}

// ranges is rows that also tells f which worker it is, 0 ≤ w < parts(rows,
// d), so that each worker can use its own scratch.
func (s split) ranges(rows, d int, f func(w, lo, hi int)) {
	n := s.parts(rows, d)
	if n == 1 {
		f(0, 0, rows)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		lo, hi := i*rows/n, (i+1)*rows/n
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, lo, hi)
		}()
	}
	wg.Wait()
}

package fastblas

import (
	"runtime"
	"sync"
)

// The packed product's blocking: kc values of k per pass, so that a
// 16-column panel of B (16·kc floats, 16 KB) stays in the L1 cache while
// mc rows of A (72 KB) stay in L2 and are reused for every panel.
const (
	kc = 256
	mc = 72
)

// parWork is the least m·n·k worth splitting over goroutines.
const parWork = 1 << 18

// gemm computes c = op(a)·op(b) for op(a) [m×k] (a itself [k×m] when ta),
// op(b) [k×n] (b itself [n×k] when tb), row strides lda and ldb, and c
// [m×n] (row stride ldc), with
// the micro-kernel kern6x16 over 6×16 blocks of c. Every element of c is
// one FMA chain over k in order from zero, as in vek's kernel, so the
// result does not depend on the blocking or on the split over goroutines.
// The rows are split over up to GOMAXPROCS goroutines, in multiples of 6.
func (im Implementation) gemm(ta bool, m, n, k int, a []float32, lda int, tb bool, b []float32, ldb int, c []float32, ldc int) {
	w := runtime.GOMAXPROCS(0)
	if m*n*k < parWork {
		w = 1
	}
	// Split by columns where op(b) is transposed (its packing is a gather
	// that a split by rows would repeat in every goroutine) or op(a) has
	// too few rows to share out; else by rows, which measured as fast or
	// faster on the step's other shapes (BenchmarkSgemmOpenBLAS, 2 threads:
	// 1280×256×784ᵀ 4.9 → 3.7 ms by columns, 64×256×7168 6.4 → 3.7 ms,
	// but 256×784×1280 with op(a) transposed 5.7 → 6.7 ms).
	if np := (n + 15) / 16; w >= 2 && np >= 2*w && (tb || m < 48*w) {
		im.gemmCols(w, np, ta, m, n, k, a, lda, tb, b, ldb, c, ldc)
		return
	}
	w = min(w, (m+5)/6)
	if w < 2 {
		im.gemmRows(ta, m, n, k, a, lda, tb, b, ldb, c, ldc)
		return
	}
	blocks := (m + 5) / 6
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		lo, hi := 6*(i*blocks/w), min(m, 6*((i+1)*blocks/w))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var al []float32
			if ta { // op(a)'s rows are a's columns
				al = a[lo:]
			} else {
				al = a[lo*lda:]
			}
			im.gemmRows(ta, hi-lo, n, k, al, lda, tb, b, ldb, c[lo*ldc:], ldc)
		}()
	}
	wg.Wait()
}

// gemmCols is gemm split over w goroutines by op(b)'s np 16-column
// panels: each packs only its own panels, where a split by rows would pack
// all of op(b) in every goroutine (a fifth more CPU time on the MNIST step's
// products on two threads, more on those whose op(b) is large or transposed).
func (im Implementation) gemmCols(w, np int, ta bool, m, n, k int, a []float32, lda int, tb bool, b []float32, ldb int, c []float32, ldc int) {
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		j0, j1 := 16*(i*np/w), min(n, 16*((i+1)*np/w))
		wg.Add(1)
		go func() {
			defer wg.Done()
			bl := b[j0:] // op(b)'s columns are b's columns
			if tb {      // or b's rows
				bl = b[j0*ldb:]
			}
			im.gemmRows(ta, m, j1-j0, k, a, lda, tb, bl, ldb, c[j0:], ldc)
		}()
	}
	wg.Wait()
}

// gemmRows is gemm on one goroutine.
func (im Implementation) gemmRows(ta bool, m, n, k int, a []float32, lda int, tb bool, b []float32, ldb int, c []float32, ldc int) {
	np := (n + 15) / 16
	kmax := min(kc, k)
	pb := im.get(np * kmax * 16)
	defer im.pool.Put(pb)
	panel := *pb
	mfull := m - m%6
	var edge []float32
	if mfull < m {
		pe := im.get(6 * kmax)
		defer im.pool.Put(pe)
		edge = *pe
	}
	var tile [96]float32
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		packPanels(panel, tb, b, ldb, p0, kb, n)
		if edge != nil {
			clear(edge)
			for r := 0; r < m-mfull; r++ {
				er := edge[r*kb : (r+1)*kb]
				if !ta {
					copy(er, a[(mfull+r)*lda+p0:])
					continue
				}
				for l := range er {
					er[l] = a[(p0+l)*lda+mfull+r]
				}
			}
		}
		load := p0 > 0
		for i0 := 0; i0 < m; i0 += mc {
			i1 := min(i0+mc, m)
			for jp := 0; jp < np; jp++ {
				j0 := jp * 16
				cols := min(16, n-j0)
				pp := &panel[jp*kb*16]
				for ii := i0; ii < i1; ii += 6 {
					rows := min(6, i1-ii)
					kern, ap, la := kern6x16, (*float32)(nil), lda
					switch {
					case rows < 6:
						ap, la = &edge[0], kb
					case ta:
						kern, ap = kernT6x16, &a[p0*lda+ii]
					default:
						ap = &a[ii*lda+p0]
					}
					if rows == 6 && cols == 16 {
						kern(kb, ap, la, pp, &c[ii*ldc+j0], ldc, load)
						continue
					}
					if load {
						for r := 0; r < rows; r++ {
							copy(tile[r*16:r*16+cols], c[(ii+r)*ldc+j0:])
						}
					}
					kern(kb, ap, la, pp, &tile[0], 16, load)
					for r := 0; r < rows; r++ {
						copy(c[(ii+r)*ldc+j0:(ii+r)*ldc+j0+cols], tile[r*16:r*16+cols])
					}
				}
			}
		}
	}
}

// packPanels copies rows p0 ≤ l < p0+kb of op(b) [k×n] (b [n×k] with row
// stride ldb when tb, else [k×n]) into dst as 16-column panels, panel jp
// holding op(b)[l][16jp:16jp+16] at dst[(jp·kb + l)·16:], zero past
// column n.
func packPanels(dst []float32, tb bool, b []float32, ldb, p0, kb, n int) {
	np := (n + 15) / 16
	for jp := 0; jp < np; jp++ {
		j0 := jp * 16
		cols := min(16, n-j0)
		d := dst[jp*kb*16 : (jp+1)*kb*16]
		if cols < 16 {
			clear(d)
		}
		if !tb {
			for l := 0; l < kb; l++ {
				copy(d[l*16:l*16+cols], b[(p0+l)*ldb+j0:])
			}
			continue
		}
		for j := 0; j < cols; j++ {
			src := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
			for l, v := range src {
				d[l*16+j] = v
			}
		}
	}
}

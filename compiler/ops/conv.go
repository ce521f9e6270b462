package ops

import (
	"fmt"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConvGeom is the geometry of a 2-D convolution: an image side [C, H, W]
// and a column side of Ho×Wo kernel positions, kernel K×K, stride S,
// zero padding P. Ho = (H + 2P - K)/S + 1 and likewise Wo.
type ConvGeom struct {
	C, H, W, K, S, P int
}

// Out returns the column side (Ho, Wo), or an error when the kernel does
// not fit.
func (g ConvGeom) Out() (int, int, error) {
	if g.C < 1 || g.H < 1 || g.W < 1 || g.K < 1 || g.S < 1 || g.P < 0 {
		return 0, 0, fmt.Errorf("conv: bad geometry %+v", g)
	}
	ho, wo := (g.H+2*g.P-g.K)/g.S+1, (g.W+2*g.P-g.K)/g.S+1
	if g.H+2*g.P < g.K || g.W+2*g.P < g.K || ho < 1 || wo < 1 {
		return 0, 0, fmt.Errorf("conv: kernel %d does not fit a %dx%d image with padding %d", g.K, g.H, g.W, g.P)
	}
	return ho, wo, nil
}

// TransposedOut returns the size of a transposed convolution's output for
// an input of h×w: ((h-1)·S - 2P + K), the image side whose column side is
// h×w. It is an error when that is not positive.
func TransposedOut(h, w, k, s, p int) (int, int, error) {
	if h < 1 || w < 1 || k < 1 || s < 1 || p < 0 {
		return 0, 0, fmt.Errorf("conv transpose: bad geometry h=%d w=%d k=%d s=%d p=%d", h, w, k, s, p)
	}
	ho, wo := (h-1)*s-2*p+k, (w-1)*s-2*p+k
	if ho < 1 || wo < 1 {
		return 0, 0, fmt.Errorf("conv transpose: output %dx%d is empty", ho, wo)
	}
	return ho, wo, nil
}

// validRange returns the kernel positions lo ≤ o < hi (clamped to
// [0, n)) whose input coordinate o·s - p + k falls inside [0, size).
func validRange(n, size, k, s, p int) (int, int) {
	lo := 0
	if p-k > 0 {
		lo = (p - k + s - 1) / s
	}
	hi := 0
	if t := size + p - k - 1; t >= 0 {
		hi = min(t/s+1, n)
	}
	return min(lo, hi), hi
}

// im2col copies the image img [C, H, W] into cols [C·K·K, Ho·Wo], whose
// rows start ld elements apart (ld ≥ Ho·Wo: a block of the columns of a
// wider matrix). Positions outside the image are zeros. The in-image run
// of output rows and of each row's positions is found once per kernel
// offset (ki, kj), not per row or element, and the zero edges are written
// inline: on the faces encoder's 8×7 and 16×14 maps a row holds 7 or 14
// values, so per-row bookkeeping and calls used to cost more than the
// copy.
func im2col[T float](g ConvGeom, ho, wo int, img, cols []T, ld int) {
	n, hw := ho*wo, g.H*g.W
	for ki := 0; ki < g.K; ki++ {
		ylo, yhi := validRange(ho, g.H, ki, g.S, g.P)
		for kj := 0; kj < g.K; kj++ {
			lo, hi := validRange(wo, g.W, kj, g.S, g.P)
			off := kj - g.P // x = oj·S + off
			for c := 0; c < g.C; c++ {
				row := cols[((c*g.K+ki)*g.K+kj)*ld:][:n]
				if lo == hi || ylo == yhi {
					clear(row)
					continue
				}
				clear(row[:ylo*wo])
				clear(row[yhi*wo:])
				plane := img[c*hw:][:hw]
				for oi := ylo; oi < yhi; oi++ {
					dst := row[oi*wo:][:wo]
					src := plane[(oi*g.S-g.P+ki)*g.W:][:g.W]
					for j := 0; j < lo; j++ {
						dst[j] = 0
					}
					for j := hi; j < wo; j++ {
						dst[j] = 0
					}
					if g.S == 1 {
						copy(dst[lo:hi], src[lo+off:hi+off])
						continue
					}
					x := lo*g.S + off
					for j := lo; j < hi; j++ {
						dst[j] = src[x]
						x += g.S
					}
				}
			}
		}
	}
}

// col2im adds cols [C·K·K, Ho·Wo] (rows ld elements apart) back onto img
// [C, H, W], in the same order as a loop over every (c, ki, kj, oi, oj)
// would: each pixel (of one channel) receives its terms in (ki, kj, oi,
// oj) order whatever the range bookkeeping, so moving the channel loop
// inside the kernel offsets (to find each offset's ranges once) changes
// no sum.
func col2im[T float](g ConvGeom, ho, wo int, cols []T, ld int, img []T) {
	n, hw := ho*wo, g.H*g.W
	for ki := 0; ki < g.K; ki++ {
		ylo, yhi := validRange(ho, g.H, ki, g.S, g.P)
		for kj := 0; kj < g.K; kj++ {
			lo, hi := validRange(wo, g.W, kj, g.S, g.P)
			if lo == hi || ylo == yhi {
				continue
			}
			off := kj - g.P
			for c := 0; c < g.C; c++ {
				row := cols[((c*g.K+ki)*g.K+kj)*ld:][:n]
				plane := img[c*hw:][:hw]
				for oi := ylo; oi < yhi; oi++ {
					src := row[oi*wo+lo : oi*wo+hi]
					dst := plane[(oi*g.S-g.P+ki)*g.W:][:g.W]
					if g.S == 1 {
						dst = dst[lo+off : hi+off]
						for j, v := range src {
							dst[j] += v
						}
						continue
					}
					x := lo*g.S + off
					for _, v := range src {
						dst[x] += v
						x += g.S
					}
				}
			}
		}
	}
}

// gemm computes c = op(a)·op(b) + beta·c for row-major matrices through
// gonum's registered BLAS (blas64/blas32.Use can install a faster one).
func gemm[T float](ta, tb bool, m, n, k int, a []T, lda int, b []T, ldb int, beta float64, c []T, ldc int) {
	tr := func(t bool) blas.Transpose {
		if t {
			return blas.Trans
		}
		return blas.NoTrans
	}
	switch cc := any(c).(type) {
	case []float64:
		blas64.Implementation().Dgemm(tr(ta), tr(tb), m, n, k, 1, any(a).([]float64), lda, any(b).([]float64), ldb, beta, cc, ldc)
	case []float32:
		blas32.Implementation().Sgemm(tr(ta), tr(tb), m, n, k, 1, any(a).([]float32), lda, any(b).([]float32), ldb, float32(beta), cc, ldc)
	}
}

// convPlan holds the sizes of one convolution over a batch: the image side
// g (with column side ho×wo) and the number of channels on the column side.
type convPlan struct {
	g      ConvGeom
	ho, wo int
	cc     int // channels on the column side
}

func (p convPlan) imgSize() int { return p.g.C * p.g.H * p.g.W }
func (p convPlan) colSize() int { return p.cc * p.ho * p.wo }
func (p convPlan) kk() int      { return p.g.C * p.g.K * p.g.K }

// convChunkCols is the width a float32 kernel's product aims for, its
// k = bc·Ho·Wo for the weight gradient; convChunkBytes bounds the scratch
// of a chunk (its im2col matrix and column-side matrix), which then stays
// in the L2 cache (512 KB a core here) between im2col and the product.
const (
	convChunkCols  = 128
	convChunkBytes = 1 << 20
)

// chunk returns how many of b images a float32 kernel handles with one
// matrix product: enough for convChunkCols columns, as far as
// convChunkBytes of scratch allows, at least one. The deeper column sides
// of these specs are small (4×4 to 8×7): in the weight gradient one
// product per image is a short sum (k = Ho·Wo) paid for by reading and
// writing all of dW (SVHN's 8×8 → 4×4 layer over 228 images: a median of
// 58 → 30 CPU ms, BenchmarkConvKernels). The img→col and col→img products
// changed little with the chunk, and chunks of 4 MB of scratch, which
// leave the cache, measured slower.
func (p convPlan) chunk(b int) int {
	n := p.ho * p.wo
	bc := (convChunkCols + n - 1) / n
	bc = min(bc, convChunkBytes/(p.scratchSize(1)*4))
	return max(1, min(b, bc))
}

// scratchSize is the scratch a kernel over chunks of bc images needs: an
// im2col matrix [C·K·K, bc·Ho·Wo] and a column-side one [cc, bc·Ho·Wo].
func (p convPlan) scratchSize(bc int) int { return (p.kk() + p.cc) * bc * p.ho * p.wo }

// convScratch is the scratch a convolution's kernels reuse from run to run
// (one per convolution, shared by its forward and gradient kernels, which
// a machine runs one at a time). A kernel that finds it taken, as it would
// be were two machines to run the graph at once, allocates its own.
type convScratch struct {
	mu  sync.Mutex
	f32 []float32
	f64 []float64
}

// with runs f over n elements of scratch.
func with[T float](s *convScratch, n int, f func([]T)) {
	if !s.mu.TryLock() {
		f(make([]T, n))
		return
	}
	defer s.mu.Unlock()
	b, ok := any(&s.f32).(*[]T)
	if !ok {
		b = any(&s.f64).(*[]T)
	}
	if cap(*b) < n {
		*b = make([]T, n)
	}
	f((*b)[:n])
}

// overChunks runs f over the chunks of bc of the nimg images, f(buf, b0,
// nb) for the nb images from b0, shared out over sp's workers: each worker
// takes a range of whole chunks and its own scratch buf of
// scratchSize(bc) elements. A chunk that writes only its own images'
// results gives the serial result whatever the split.
func overChunks[T float](p convPlan, bc, nimg int, sp split, s *convScratch, f func(buf []T, b0, nb int)) {
	nch, work, ss := (nimg+bc-1)/bc, p.cc*p.kk()*bc*p.ho*p.wo, p.scratchSize(bc)
	with(s, sp.parts(nch, work)*ss, func(all []T) {
		sp.ranges(nch, work, func(wk, lo, hi int) {
			buf := all[wk*ss : (wk+1)*ss]
			for b0 := lo * bc; b0 < min(nimg, hi*bc); b0 += bc {
				f(buf, b0, min(bc, nimg-b0))
			}
		})
	})
}

// convImgToCol: out_b [cc, ho·wo] = W [cc, C·K·K] · im2col(img_b), over
// chunks of bc images: im2col of the chunk into [C·K·K, bc·ho·wo], one
// product [cc, bc·ho·wo], scattered into the [B, cc·ho·wo] layout. Every
// element is the same dot product (over C·K·K) whatever bc. The chunks are
// shared out over sp's workers (overChunks); a chunk writes only its own
// images' outputs.
func convImgToCol[T float](p convPlan, bc int, sp split, s *convScratch, out, img, w []T) {
	n, kk, cc := p.ho*p.wo, p.kk(), p.cc
	overChunks(p, bc, len(img)/p.imgSize(), sp, s, func(buf []T, b0, nb int) {
		ld := nb * n
		cols := buf[:kk*ld]
		im2colChunk(p, b0, nb, img, cols)
		if nb == 1 {
			gemm(false, false, cc, n, kk, w, kk, cols, n, 0, out[b0*p.colSize():][:p.colSize()], n)
			return
		}
		prod := buf[kk*bc*n:][:cc*ld]
		gemm(false, false, cc, ld, kk, w, kk, cols, ld, 0, prod, ld)
		for i := 0; i < nb; i++ {
			o := out[(b0+i)*p.colSize():]
			for r := 0; r < cc; r++ {
				copy(o[r*n:(r+1)*n], prod[r*ld+i*n:])
			}
		}
	})
}

// im2colChunk writes im2col of the nb images of img [B, C·H·W] from image
// b0 side by side into cols [C·K·K, nb·ho·wo].
func im2colChunk[T float](p convPlan, b0, nb int, img, cols []T) {
	n := p.ho * p.wo
	for i := 0; i < nb; i++ {
		im2col(p.g, p.ho, p.wo, img[(b0+i)*p.imgSize():][:p.imgSize()], cols[i*n:], nb*n)
	}
}

// gatherCols copies col_b [cc, n] of nb images of col [B, cc·n] from image
// b0 into dst [cc, nb·n].
func gatherCols[T float](p convPlan, b0, nb int, col, dst []T) {
	n, ld := p.ho*p.wo, nb*p.ho*p.wo
	for i := 0; i < nb; i++ {
		c := col[(b0+i)*p.colSize():]
		for r := 0; r < p.cc; r++ {
			copy(dst[r*ld+i*n:r*ld+(i+1)*n], c[r*n:])
		}
	}
}

// convColToImg: img_b += col2im(Wᵀ [C·K·K, cc] · col_b [cc, ho·wo]), over
// chunks of bc images: the chunk's col_b gathered into [cc, bc·ho·wo], one
// product, then col2im per image. The chunks are shared out over sp's
// workers (overChunks); each image is added to by its own chunk only.
func convColToImg[T float](p convPlan, bc int, sp split, s *convScratch, img, col, w []T) {
	n, kk, cc := p.ho*p.wo, p.kk(), p.cc
	overChunks(p, bc, len(img)/p.imgSize(), sp, s, func(buf []T, b0, nb int) {
		ld := nb * n
		cols := buf[:kk*ld]
		g := col[b0*p.colSize():][:p.colSize()]
		if nb > 1 {
			g = buf[kk*bc*n:][:cc*ld]
			gatherCols(p, b0, nb, col, g)
		}
		gemm(true, false, kk, ld, cc, w, kk, g, ld, 0, cols, ld)
		for i := 0; i < nb; i++ {
			col2im(p.g, p.ho, p.wo, cols[i*n:], ld, img[(b0+i)*p.imgSize():][:p.imgSize()])
		}
	})
}

// convWeightGrad: dW [cc, C·K·K] += Σ_b col_b [cc, ho·wo] · im2col(img_b)ᵀ,
// over chunks of bc images: one product with k = bc·ho·wo per chunk, so
// in float32 the sum over a chunk's positions is one chain (bc = 1 sums
// per image, then adds the images in order).
func convWeightGrad[T float](p convPlan, bc int, s *convScratch, dw, img, col []T) {
	n, kk, cc := p.ho*p.wo, p.kk(), p.cc
	nimg := len(img) / p.imgSize()
	with(s, p.scratchSize(bc), func(buf []T) {
		for b0 := 0; b0 < nimg; b0 += bc {
			nb := min(bc, nimg-b0)
			ld := nb * n
			cols := buf[:kk*ld]
			im2colChunk(p, b0, nb, img, cols)
			g := col[b0*p.colSize():][:p.colSize()]
			if nb > 1 {
				g = buf[kk*bc*n:][:cc*ld]
				gatherCols(p, b0, nb, col, g)
			}
			gemm(false, true, cc, kk, ld, g, ld, cols, ld, 1, dw, kk)
		}
	})
}

// Conv2d convolves x [B, C·H·W] (the geometry g describes one example)
// with kernels w [Cout, C·K·K] (row-major over C, K, K), giving
// [B, Cout·Ho·Wo] (see ConvGeom.Out). No bias: add one with
// BiasAct(out, b, Ho·Wo, act). It is a cross-correlation, as in PyTorch.
func Conv2d(x, w *G.Node, g ConvGeom) (*G.Node, error) {
	return conv(x, w, g, false)
}

// ConvTranspose2d is the transposed convolution (the adjoint of Conv2d, as
// PyTorch's ConvTranspose2d without output padding): x [B, Cin·H·W] and
// kernels w [Cin, Cout·K·K] give [B, Cout·Ho·Wo] with Ho = (H-1)·S - 2P + K
// (see TransposedOut). in is (Cin, H, W); cout, k, s, p as in PyTorch.
func ConvTranspose2d(x, w *G.Node, cin, h, wd, cout, k, s, p int) (*G.Node, error) {
	ho, wo, err := TransposedOut(h, wd, k, s, p)
	if err != nil {
		return nil, err
	}
	g := ConvGeom{C: cout, H: ho, W: wo, K: k, S: s, P: p}
	if ch, cw, err := g.Out(); err != nil || ch != h || cw != wd {
		return nil, fmt.Errorf("conv transpose: geometry does not invert (%dx%d -> %dx%d)", h, wd, ho, wo)
	}
	if w != nil && w.Shape().Dims() == 2 && w.Shape()[0] != cin {
		return nil, fmt.Errorf("conv transpose: kernel must be [%d, %d], got %v", cin, cout*k*k, w.Shape())
	}
	return conv(x, w, g, true)
}

// conv builds Conv2d (transposed = false: image side is the input) or its
// transpose (the image side is the output; w is [Cin, Cout·K·K] and the
// column side has Cin channels).
func conv(x, w *G.Node, g ConvGeom, transposed bool) (*G.Node, error) {
	name := fmt.Sprintf("Conv2d(%+v)", g)
	if transposed {
		name = fmt.Sprintf("ConvTranspose2d(%+v)", g)
	}
	ho, wo, err := g.Out()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if x == nil || w == nil || w.Shape().Dims() != 2 || x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: want matrices x and w", name)
	}
	p := convPlan{g: g, ho: ho, wo: wo, cc: w.Shape()[0]}
	if w.Shape()[1] != p.kk() {
		return nil, fmt.Errorf("%s: kernel must be [Cout, %d], got %v", name, p.kk(), w.Shape())
	}
	inSize, outSize := p.imgSize(), p.colSize()
	if transposed {
		inSize, outSize = outSize, inSize
	}
	shape := func(in []tensor.Shape) (tensor.Shape, error) {
		if len(in[0]) != 2 || in[0][1] != inSize {
			return nil, fmt.Errorf("%s: input must be [B, %d], got %v", name, inSize, in[0])
		}
		if !sameShape(in[1], tensor.Shape{p.cc, p.kk()}) {
			return nil, fmt.Errorf("%s: kernel must be [%d, %d], got %v", name, p.cc, p.kk(), in[1])
		}
		return tensor.Shape{in[0][0], outSize}, nil
	}
	// forward: conv = img→col; transposed = col→img. Backward wrt x uses the
	// other direction, and the weight gradient pairs (img, col) in order.
	// float32 batches its products over chunks of images; float64 keeps
	// one product per image (bc = 1), so its sums are those it always had.
	s := &convScratch{}
	batch := func(img []float32) int { return p.chunk(len(img) / p.imgSize()) }
	imgToCol := kernel{
		f32: func(out []float32, in [][]float32) error {
			convImgToCol(p, batch(in[0]), defaultSplit(), s, out, in[0], in[1])
			return nil
		},
		f64: func(out []float64, in [][]float64) error {
			convImgToCol(p, 1, defaultSplit(), s, out, in[0], in[1])
			return nil
		},
	}
	colToImg := kernel{
		f32: func(out []float32, in [][]float32) error {
			convColToImg(p, batch(out), defaultSplit(), s, out, in[1], in[0])
			return nil
		},
		f64: func(out []float64, in [][]float64) error {
			convColToImg(p, 1, defaultSplit(), s, out, in[1], in[0])
			return nil
		},
	}
	// The transposed forward is (col, w) → img: the arguments of the
	// gradient kernels swapped.
	colToImgT := kernel{
		f32: func(out []float32, in [][]float32) error {
			convColToImg(p, batch(out), defaultSplit(), s, out, in[0], in[1])
			return nil
		},
		f64: func(out []float64, in [][]float64) error {
			convColToImg(p, 1, defaultSplit(), s, out, in[0], in[1])
			return nil
		},
	}
	imgToColT := kernel{
		f32: func(out []float32, in [][]float32) error {
			convImgToCol(p, batch(in[1]), defaultSplit(), s, out, in[1], in[0])
			return nil
		},
		f64: func(out []float64, in [][]float64) error {
			convImgToCol(p, 1, defaultSplit(), s, out, in[1], in[0])
			return nil
		},
	}
	// ImgToCol writes every output element (a product with beta 0).
	fwd, fwdFull, bwd, bwdFull := imgToCol, true, colToImg, false
	if transposed {
		fwd, fwdFull, bwd, bwdFull = colToImgT, false, imgToColT, true
	}
	o := &op{name: name, inDims: []int{2, 2}, outDims: 2, shape: shape, diff: []bool{true, true}, k: fwd, full: fwdFull}
	o.grad = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		xShape, wShape := in[0].Shape().Clone(), in[1].Shape().Clone()
		// dx from (w, grad)
		dxOp := &op{name: name + "GradX", inDims: []int{2, 2}, outDims: 2, diff: []bool{false, false}, k: bwd, full: bwdFull,
			shape: func([]tensor.Shape) (tensor.Shape, error) { return xShape.Clone(), nil }}
		// dw from (img side, col side)
		dwOp := &op{name: name + "GradW", inDims: []int{2, 2}, outDims: 2, diff: []bool{false, false},
			shape: func([]tensor.Shape) (tensor.Shape, error) { return wShape.Clone(), nil },
			k: kernel{
				f32: func(out []float32, in [][]float32) error {
					convWeightGrad(p, batch(in[0]), s, out, in[0], in[1])
					return nil
				},
				f64: func(out []float64, in [][]float64) error { convWeightGrad(p, 1, s, out, in[0], in[1]); return nil },
			}}
		dx, err := apply(dxOp, in[1], grad)
		if err != nil {
			return nil, err
		}
		imgSide, colSide := in[0], grad
		if transposed {
			imgSide, colSide = grad, in[0]
		}
		dw, err := apply(dwOp, imgSide, colSide)
		return G.Nodes{dx, dw}, err
	}
	return apply(o, x, w)
}

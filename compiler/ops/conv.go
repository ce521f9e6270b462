package ops

import (
	"fmt"

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
// wider matrix). Positions outside the image are zeros; the in-image run
// of each output row is found once, not tested per element.
func im2col[T float](g ConvGeom, ho, wo int, img, cols []T, ld int) {
	n := ho * wo
	for c := 0; c < g.C; c++ {
		for ki := 0; ki < g.K; ki++ {
			for kj := 0; kj < g.K; kj++ {
				row := cols[((c*g.K+ki)*g.K+kj)*ld:][:n]
				lo, hi := validRange(wo, g.W, kj, g.S, g.P)
				off := kj - g.P // x = oj·S + off
				for oi := 0; oi < ho; oi++ {
					dst := row[oi*wo : (oi+1)*wo]
					y := oi*g.S - g.P + ki
					if y < 0 || y >= g.H || lo == hi {
						clear(dst)
						continue
					}
					clear(dst[:lo])
					clear(dst[hi:])
					src := img[(c*g.H+y)*g.W:][:g.W]
					if g.S == 1 {
						copy(dst[lo:hi], src[lo+off:hi+off])
						continue
					}
					for oj := lo; oj < hi; oj++ {
						dst[oj] = src[oj*g.S+off]
					}
				}
			}
		}
	}
}

// col2im adds cols [C·K·K, Ho·Wo] (rows ld elements apart) back onto img
// [C, H, W], in the same order as a loop over every (c, ki, kj, oi, oj)
// would: each pixel's sum is formed in the same order whatever the range
// bookkeeping.
func col2im[T float](g ConvGeom, ho, wo int, cols []T, ld int, img []T) {
	n := ho * wo
	for c := 0; c < g.C; c++ {
		for ki := 0; ki < g.K; ki++ {
			for kj := 0; kj < g.K; kj++ {
				row := cols[((c*g.K+ki)*g.K+kj)*ld:][:n]
				lo, hi := validRange(wo, g.W, kj, g.S, g.P)
				if lo == hi {
					continue
				}
				off := kj - g.P
				for oi := 0; oi < ho; oi++ {
					y := oi*g.S - g.P + ki
					if y < 0 || y >= g.H {
						continue
					}
					src := row[oi*wo+lo : oi*wo+hi]
					dst := img[(c*g.H+y)*g.W:][:g.W]
					if g.S == 1 {
						dst = dst[lo+off : hi+off]
						for j, v := range src {
							dst[j] += v
						}
						continue
					}
					for j, v := range src {
						dst[(lo+j)*g.S+off] += v
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

// convImgToCol: out_b [cc, ho·wo] = W [cc, C·K·K] · im2col(img_b).
func convImgToCol[T float](p convPlan, out, img, w []T) {
	cols := make([]T, p.kk()*p.ho*p.wo)
	n := p.ho * p.wo
	for b := 0; b < len(img)/p.imgSize(); b++ {
		im2col(p.g, p.ho, p.wo, img[b*p.imgSize():(b+1)*p.imgSize()], cols, n)
		gemm(false, false, p.cc, n, p.kk(), w, p.kk(), cols, n, 0, out[b*p.colSize():(b+1)*p.colSize()], n)
	}
}

// convColToImg: img_b += col2im(Wᵀ [C·K·K, cc] · col_b [cc, ho·wo]).
func convColToImg[T float](p convPlan, img, col, w []T) {
	cols := make([]T, p.kk()*p.ho*p.wo)
	n := p.ho * p.wo
	for b := 0; b < len(img)/p.imgSize(); b++ {
		gemm(true, false, p.kk(), n, p.cc, w, p.kk(), col[b*p.colSize():(b+1)*p.colSize()], n, 0, cols, n)
		col2im(p.g, p.ho, p.wo, cols, n, img[b*p.imgSize():(b+1)*p.imgSize()])
	}
}

// convWeightGrad: dW [cc, C·K·K] = Σ_b col_b [cc, ho·wo] · im2col(img_b)ᵀ.
func convWeightGrad[T float](p convPlan, dw, img, col []T) {
	cols := make([]T, p.kk()*p.ho*p.wo)
	n := p.ho * p.wo
	for b := 0; b < len(img)/p.imgSize(); b++ {
		im2col(p.g, p.ho, p.wo, img[b*p.imgSize():(b+1)*p.imgSize()], cols, n)
		gemm(false, true, p.cc, p.kk(), n, col[b*p.colSize():(b+1)*p.colSize()], n, cols, n, 1, dw, p.kk())
	}
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
	fwd := kernel{
		f32: func(out []float32, in [][]float32) error { convImgToCol(p, out, in[0], in[1]); return nil },
		f64: func(out []float64, in [][]float64) error { convImgToCol(p, out, in[0], in[1]); return nil },
	}
	bwd := kernel{
		f32: func(out []float32, in [][]float32) error { convColToImg(p, out, in[1], in[0]); return nil },
		f64: func(out []float64, in [][]float64) error { convColToImg(p, out, in[1], in[0]); return nil },
	}
	if transposed {
		fwd = kernel{
			f32: func(out []float32, in [][]float32) error { convColToImg(p, out, in[0], in[1]); return nil },
			f64: func(out []float64, in [][]float64) error { convColToImg(p, out, in[0], in[1]); return nil },
		}
		bwd = kernel{
			f32: func(out []float32, in [][]float32) error { convImgToCol(p, out, in[1], in[0]); return nil },
			f64: func(out []float64, in [][]float64) error { convImgToCol(p, out, in[1], in[0]); return nil },
		}
	}
	o := &op{name: name, inDims: []int{2, 2}, outDims: 2, shape: shape, diff: []bool{true, true}, k: fwd}
	o.grad = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		xShape, wShape := in[0].Shape().Clone(), in[1].Shape().Clone()
		// dx from (w, grad)
		dxOp := &op{name: name + "GradX", inDims: []int{2, 2}, outDims: 2, diff: []bool{false, false}, k: bwd,
			shape: func([]tensor.Shape) (tensor.Shape, error) { return xShape.Clone(), nil }}
		// dw from (img side, col side)
		dwOp := &op{name: name + "GradW", inDims: []int{2, 2}, outDims: 2, diff: []bool{false, false},
			shape: func([]tensor.Shape) (tensor.Shape, error) { return wShape.Clone(), nil },
			k: kernel{
				f32: func(out []float32, in [][]float32) error { convWeightGrad(p, out, in[0], in[1]); return nil },
				f64: func(out []float64, in [][]float64) error { convWeightGrad(p, out, in[0], in[1]); return nil },
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

package ops

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MatMul returns the matrix product a·b of a [M, K] and b [K, N] as one
// op that keeps its output buffer from run to run, as every op of this
// package does. Gorgonia's own product (G.Mul) gets a new output from the
// TapeMachine's alloc instruction on every run, because the machine's
// Reset forgets its registers: fresh memory, which the kernel maps on first
// touch inside the BLAS call. On the faces step, where the weight gradients
// of the 7168-wide layers are 7 MB each, that made a 1 ms product take
// 10–20 ms and put 54 MB of garbage into every step. The product and both
// gradients (g·bᵀ and aᵀ·g) make the very BLAS calls (G.WhichBLAS(), same
// transposes, sizes and strides) that Gorgonia's do, so the numbers are the
// same to the bit.
func MatMul(a, b *G.Node) (*G.Node, error) { return matMul(a, b, false, false) }

// matMul is op(a)·op(b), with op a transpose where ta or tb is set; only
// the plain product is differentiable (its gradients are the transposed
// products).
func matMul(a, b *G.Node, ta, tb bool) (*G.Node, error) {
	name := fmt.Sprintf("MatMul(%s)", map[[2]bool]string{{false, false}: "A×B", {false, true}: "A×Bᵀ", {true, false}: "Aᵀ×B", {true, true}: "Aᵀ×Bᵀ"}[[2]bool{ta, tb}])
	if a == nil || b == nil {
		return nil, fmt.Errorf("%s: nil input", name)
	}
	dims := func(s tensor.Shape, t bool) (int, int) {
		if t {
			return s[1], s[0]
		}
		return s[0], s[1]
	}
	o := &op{name: name, inDims: []int{2, 2}, outDims: 2, full: true,
		shape: func(in []tensor.Shape) (tensor.Shape, error) {
			if len(in[0]) != 2 || len(in[1]) != 2 {
				return nil, fmt.Errorf("%s: want matrices, got %v and %v", name, in[0], in[1])
			}
			m, k := dims(in[0], ta)
			k2, n := dims(in[1], tb)
			if k != k2 {
				return nil, fmt.Errorf("%s: shapes %v and %v do not multiply", name, in[0], in[1])
			}
			return tensor.Shape{m, n}, nil
		},
	}
	if len(a.Shape()) != 2 || len(b.Shape()) != 2 {
		return nil, fmt.Errorf("%s: want matrices, got %v and %v", name, a.Shape(), b.Shape())
	}
	m, k := dims(a.Shape(), ta)
	_, n := dims(b.Shape(), tb)
	lda, ldb := a.Shape()[1], b.Shape()[1]
	tA, tB := blas.NoTrans, blas.NoTrans
	if ta {
		tA = blas.Trans
	}
	if tb {
		tB = blas.Trans
	}
	o.k = kernel{
		f32: func(out []float32, in [][]float32) error {
			G.WhichBLAS().Sgemm(tA, tB, m, n, k, 1, in[0], lda, in[1], ldb, 0, out, n)
			return nil
		},
		f64: func(out []float64, in [][]float64) error {
			G.WhichBLAS().Dgemm(tA, tB, m, n, k, 1, in[0], lda, in[1], ldb, 0, out, n)
			return nil
		},
	}
	if !ta && !tb {
		o.diff = []bool{true, true}
		o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
			da, err := matMul(g, in[1], false, true)
			if err != nil {
				return nil, err
			}
			db, err := matMul(in[0], g, true, false)
			return G.Nodes{da, db}, err
		}
	} else {
		o.diff = []bool{false, false}
	}
	return apply(o, a, b)
}

package compiler

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/lang/check"
)

// The class-balance term (Options.Balance, the run config's
// objective.balance) subtracts from the unlabelled branch's objective
// λ·KL(q̄ ‖ U), where q̄ = (1/R) Σ_r softmax(logits_r) is the mean of the
// encoder's class probabilities q(y | ·) over the branch's rows and U the
// uniform distribution over y's classes. Averaged over the data, the ELBO's
// own term E_x KL(q(y | x) ‖ p(y)) is I_q(x; y) + KL(q(y) ‖ p(y)) (Hoffman
// and Johnson's "ELBO surgery", 2016), where q(y) is the aggregate
// posterior: the ELBO pushes q(y) toward a uniform p(y) only as hard as it
// pushes every q(y | x) toward it, which the classifier term overrides. The
// balance term weighs the aggregate part more, so a batch's predictions
// cannot pile onto one class. It is not part of the paper's objective:
// off (λ = 0) by default, and evaluations (the reported ELBO) never
// include it.

// balanceValue returns KL(q̄ ‖ U) for logits [R, K] (row-major) and, when g
// is not nil, fills g with its gradient with respect to the logits:
// ∂KL/∂l_rj = (1/R) p_rj (u_j − Σ_k p_rk u_k), u_k = log(K q̄_k).
func balanceValue(logits []float64, R, K int, g []float64) float64 {
	p := make([]float64, R*K)
	mean := make([]float64, K)
	for r := 0; r < R; r++ {
		row := logits[r*K : (r+1)*K]
		m := math.Inf(-1)
		for _, l := range row {
			m = math.Max(m, l)
		}
		z := 0.0
		for k, l := range row {
			p[r*K+k] = math.Exp(l - m)
			z += p[r*K+k]
		}
		for k := range row {
			p[r*K+k] /= z
			mean[k] += p[r*K+k] / float64(R)
		}
	}
	kl := 0.0
	u := make([]float64, K)
	for k, q := range mean {
		// q̄_k > 0 always (softmax rows are positive); the floor only
		// guards underflow of far-off classes.
		u[k] = math.Log(math.Max(q, 1e-300) * float64(K))
		kl += q * u[k]
	}
	if g != nil {
		for r := 0; r < R; r++ {
			dot := 0.0
			for k := 0; k < K; k++ {
				dot += p[r*K+k] * u[k]
			}
			for j := 0; j < K; j++ {
				g[r*K+j] = p[r*K+j] * (u[j] - dot) / float64(R)
			}
		}
	}
	return kl
}

// balanceOp computes KL(q̄ ‖ U) from logits [R, K]; balanceGradOp is its
// gradient, scaled by the upstream gradient (input 1).
type balanceOp struct{ R, K int }

type balanceGradOp struct{ R, K int }

func (o balanceOp) name() string { return fmt.Sprintf("ssdgmBalance(R=%d,K=%d)", o.R, o.K) }

func (o balanceOp) Arity() int { return 1 }
func (o balanceOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, a)
}
func (o balanceOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (o balanceOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := rowsOf(o.R*o.K, vs[:1])
	if err != nil {
		return nil, fmt.Errorf("class balance: %w", err)
	}
	return scalarOf(vs[0].Dtype(), balanceValue(in[0], o.R, o.K, nil)), nil
}
func (o balanceOp) ReturnsPtr() bool      { return false }
func (o balanceOp) CallsExtern() bool     { return false }
func (o balanceOp) OverwritesInput() int  { return -1 }
func (o balanceOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.name()) }
func (o balanceOp) Hashcode() uint32      { return hashOf(o.name()) }
func (o balanceOp) String() string        { return o.name() }
func (o balanceOp) DiffWRT(int) []bool    { return []bool{true} }
func (o balanceOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(balanceGradOp(o), inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{n}, nil
}

func (o balanceGradOp) name() string { return fmt.Sprintf("ssdgmBalanceGrad(R=%d,K=%d)", o.R, o.K) }
func (o balanceGradOp) Arity() int   { return 2 }
func (o balanceGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(m, a, m)
}
func (o balanceGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{o.R, o.K}, nil
}
func (o balanceGradOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := rowsOf(o.R*o.K, vs[:1])
	if err != nil {
		return nil, fmt.Errorf("class balance gradient: %w", err)
	}
	g := make([]float64, o.R*o.K)
	balanceValue(in[0], o.R, o.K, g)
	up := scalarValue(vs[1])
	t := tensor.New(tensor.Of(vs[0].Dtype()), tensor.WithShape(o.R, o.K))
	switch d := t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(g[i] * up)
		}
	case []float64:
		for i := range d {
			d[i] = g[i] * up
		}
	}
	return t, nil
}
func (o balanceGradOp) ReturnsPtr() bool      { return false }
func (o balanceGradOp) CallsExtern() bool     { return false }
func (o balanceGradOp) OverwritesInput() int  { return -1 }
func (o balanceGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.name()) }
func (o balanceGradOp) Hashcode() uint32      { return hashOf(o.name()) }
func (o balanceGradOp) String() string        { return o.name() }

// balanceTerm is one class-balance KL of a branch, read during the run for
// the reported terms.
type balanceTerm struct {
	name string // "balance:" + the variable's slot name
	node *G.Node
	val  G.Value
}

// noteBalance records, in a training program's unlabelled branch with
// Options.Balance > 0, the class-balance KL of the supervised discrete
// variable v (in slot) from its encoder logits [rows, K].
func (b *branch) noteBalance(v *check.Var, slot int, logits *G.Node) error {
	if b.p.opts.Balance <= 0 || !b.balanced || v.Role != check.Supervised || v.Kind != check.Discrete || b.observed[v] {
		return nil
	}
	s := logits.Shape()
	if len(s) != 2 || s[1] != v.Classes {
		return fmt.Errorf("class balance of %s: logits of shape %v, want [rows, %d]", v.Name, s, v.Classes)
	}
	kl, err := G.ApplyOp(balanceOp{R: s[0], K: s[1]}, logits)
	if err != nil {
		return err
	}
	b.balance = append(b.balance, balanceTerm{name: "balance:" + slotName(v, slot), node: kl})
	return nil
}

// withBalance returns obj − λ·Σ KL over the branch's balance terms (obj
// when it has none) and keeps their values readable.
func (b *branch) withBalance(obj *G.Node) (*G.Node, error) {
	if len(b.balance) == 0 {
		return obj, nil
	}
	lam, err := b.p.scalar(b.p.opts.Balance)
	if err != nil {
		return nil, err
	}
	for i := range b.balance {
		pen, err := G.Mul(b.balance[i].node, lam)
		if err != nil {
			return nil, err
		}
		if obj, err = G.Sub(obj, pen); err != nil {
			return nil, err
		}
		b.read(b.balance[i].node, &b.balance[i].val)
	}
	return obj, nil
}

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
// objective.balance) penalises λ·KL(q̄ ‖ U), where q̄ is the aggregate of
// the encoder's class probabilities q(y | ·) over the unlabelled data and U
// the uniform distribution over y's classes. Averaged over the data, the
// ELBO's own term E_x KL(q(y | x) ‖ p(y)) is I_q(x; y) + KL(q(y) ‖ p(y))
// (Hoffman and Johnson's "ELBO surgery", 2016), where q(y) is the aggregate
// posterior: the ELBO pushes q(y) toward a uniform p(y) only as hard as it
// pushes every q(y | x) toward it, which the classifier term overrides. The
// balance term weighs the aggregate part more, so the predictions cannot
// pile onto one class. It is not part of the paper's objective: off
// (λ = 0) by default, and evaluations (the reported ELBO) never include it.
//
// The aggregate is a running mean, not the batch's own mean. A batch of R
// images drawn from balanced classes has a class histogram KL(·‖U) of about
// (K − 1)/(2R) from sampling alone (0.07 nats for R = 64, K = 10), more
// than a merger of two classes costs the aggregate (about 0.03 nats for
// seed 2's MNIST run, which sends half the 5s to 3). A penalty on the
// batch's mean therefore mostly pushes a good classifier away from the
// batch's true labels; measured on that run at λ = 100 it raised the
// validation error from about 11 % to 16–18 %. So the reference m is an
// exponential moving average of the batch means q̄_b (momentum
// balanceMomentum: an effective sample of about 2/β − 1 = 199 batches, a
// noise floor of 0.0002 nats at 128 images a batch, adapting within a
// quarter of an MNIST epoch), starting from U, and the penalty is the
// batch's term of KL(m ‖ U) linearised at m:
//
//	S = Σ_k q̄_b,k log(K m_k),   ∂S/∂l_rj = (1/R) p_rj (u_j − Σ_k p_rk u_k),  u_k = log(K m_k),
//
// with m held fixed in the step (its gradient is the gradient of
// KL(m ‖ U) with respect to m, applied through the batch). When m equals
// q̄_b, S is KL(q̄_b ‖ U) and the gradient is its gradient; with m = U (the
// start) the term is 0. m is updated after every training step with the
// batch means (the mean over the parts under batch.shards) and saved in
// checkpoints (Program.BalanceRef), so resumed runs are exact.

// balanceMomentum is β, the weight of a step's batch mean in the running
// mean m.
const balanceMomentum = 0.01

// balanceState is the running mean m of one balance term and the batch
// mean of its last forward pass.
type balanceState struct {
	K    int
	ref  []float64 // m, K values
	last []float64 // q̄_b of the last step
}

func newBalanceState(K int) *balanceState {
	st := &balanceState{K: K, ref: make([]float64, K), last: make([]float64, K)}
	for k := range st.ref {
		st.ref[k] = 1 / float64(K)
	}
	return st
}

// update moves m toward the batch mean q.
func (st *balanceState) update(q []float64) {
	for k := range st.ref {
		st.ref[k] = (1-balanceMomentum)*st.ref[k] + balanceMomentum*q[k]
	}
}

// balanceValue returns S = Σ_k q̄_k log(K ref_k) for logits [R, K]
// (row-major), q̄ their mean softmax, and ref the running mean (nil: q̄
// itself, which makes S = KL(q̄ ‖ U)); it stores q̄ in mean when that is
// not nil, and when g is not nil it fills g with ∂S/∂logits at fixed ref.
func balanceValue(logits []float64, R, K int, ref, mean, g []float64) float64 {
	p := make([]float64, R*K)
	if mean == nil {
		mean = make([]float64, K)
	}
	clear(mean)
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
	if ref == nil {
		ref = mean
	}
	s := 0.0
	u := make([]float64, K)
	for k, q := range mean {
		// ref_k > 0 always (softmax rows are positive, and m is a mean of
		// them); the floor only guards underflow of far-off classes.
		u[k] = math.Log(math.Max(ref[k], 1e-300) * float64(K))
		s += q * u[k]
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
	return s
}

// balanceOp computes S from logits [R, K] against its state's running
// mean and records the batch mean there; balanceGradOp is its gradient,
// scaled by the upstream gradient (input 1). The state is the op's own
// (one per term and Program), so the ops' names stay plain.
type balanceOp struct {
	R, K int
	st   *balanceState
}

type balanceGradOp balanceOp

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
	return scalarOf(vs[0].Dtype(), balanceValue(in[0], o.R, o.K, o.st.ref, o.st.last, nil)), nil
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
	balanceValue(in[0], o.R, o.K, o.st.ref, nil, g)
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

// balanceTerm is one class-balance term S of a branch, read during the run
// for the reported terms.
type balanceTerm struct {
	name string // "balance:" + the variable's slot name
	node *G.Node
	val  G.Value
	st   *balanceState
}

// noteBalance records, in a training program's unlabelled branch with
// Options.Balance > 0, the class-balance term of the supervised discrete
// variable v (in slot) from its encoder logits [rows, K]: S
// against a running mean of its own, which starts uniform.
func (b *branch) noteBalance(v *check.Var, slot int, logits *G.Node) error {
	if b.p.opts.Balance <= 0 || !b.balanced || v.Role != check.Supervised || v.Kind != check.Discrete || b.observed[v] {
		return nil
	}
	s := logits.Shape()
	if len(s) != 2 || s[1] != v.Classes {
		return fmt.Errorf("class balance of %s: logits of shape %v, want [rows, %d]", v.Name, s, v.Classes)
	}
	st := newBalanceState(s[1])
	kl, err := G.ApplyOp(balanceOp{R: s[0], K: s[1], st: st}, logits)
	if err != nil {
		return err
	}
	b.balance = append(b.balance, balanceTerm{name: "balance:" + slotName(v, slot), node: kl, st: st})
	return nil
}

// withBalance returns obj − λ·Σ S over the branch's balance terms (obj
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

// balanceStates returns the program's balance terms' states in branch
// and term order.
func (p *Program) balanceStates() []*balanceState {
	var out []*balanceState
	for _, b := range p.brs {
		for _, t := range b.balance {
			out = append(out, t.st)
		}
	}
	return out
}

// BalanceRef returns a copy of the running means m of the program's
// class-balance terms (Options.Balance; balance.go), concatenated in term
// order; nil when it has none. A checkpoint saves it; SetBalanceRef
// restores it.
func (p *Program) BalanceRef() []float64 {
	var out []float64
	for _, st := range p.balanceStates() {
		out = append(out, st.ref...)
	}
	return out
}

// SetBalanceRef sets the running means of the program's class-balance
// terms from ref, as BalanceRef returns them.
func (p *Program) SetBalanceRef(ref []float64) error {
	sts := p.balanceStates()
	n := 0
	for _, st := range sts {
		n += st.K
	}
	if len(ref) != n {
		return fmt.Errorf("class-balance state of %d values, the program has %d", len(ref), n)
	}
	for _, st := range sts {
		for k := range st.ref {
			if !(ref[k] > 0 && ref[k] <= 1) {
				return fmt.Errorf("class-balance state: mean probability %g is not in (0, 1]", ref[k])
			}
		}
		copy(st.ref, ref[:st.K])
		ref = ref[st.K:]
	}
	return nil
}

// updateBalance moves every balance term's running mean toward the batch
// mean of the step just run.
func (p *Program) updateBalance() {
	for _, st := range p.balanceStates() {
		st.update(st.last)
	}
}

// BalanceRef returns the parts' common running means (Program.BalanceRef).
func (s *Shards) BalanceRef() []float64 { return s.parts[0].BalanceRef() }

// SetBalanceRef sets the running means of every part.
func (s *Shards) SetBalanceRef(ref []float64) error {
	for _, p := range s.parts {
		if err := p.SetBalanceRef(ref); err != nil {
			return err
		}
	}
	return nil
}

// updateBalance moves the running means of every part toward the mean of
// the parts' batch means (the whole batch's mean, the parts being equal),
// summed in part order, so that all parts keep the same m.
func (s *Shards) updateBalance() {
	per := make([][]*balanceState, len(s.parts))
	for i, p := range s.parts {
		per[i] = p.balanceStates()
	}
	for j, st := range per[0] {
		q := make([]float64, st.K)
		for i := range s.parts {
			for k, v := range per[i][j].last {
				q[k] += v / float64(len(s.parts))
			}
		}
		for i := range s.parts {
			per[i][j].update(q)
		}
	}
}

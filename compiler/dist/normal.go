package dist

import (
	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// normal is the Normal family: log-density by the fused kernel
// ops.NormalLogProb, reparameterised sample loc + scale·ε with ε ~ N(0, 1),
// mean loc, closed-form KL by ops.NormalKL.
func normal() *Family {
	return &Family{Name: "Normal", Kernel: "ops.NormalLogProb", Noise: StdNormal, Mean: meanLoc,
		LogProb: func(x *G.Node, p Params) (*G.Node, error) { return NormalLogProb(x, p.Loc, p.Scale) },
		KL:      NormalKL}
}

// NormalKL returns KL(N(q.Loc, q.Scale) ‖ N(p.Loc, p.Scale)) summed over
// the event dimensions, as [B]. q's loc must be a matrix [B, D]; the other
// parameters may have any shape ops.BroadcastTo accepts.
func NormalKL(q, p Params) (*G.Node, error) {
	ps, err := like("NormalKL", q.Loc, q.Scale, p.Loc, p.Scale)
	if err != nil {
		return nil, err
	}
	return ops.NormalKL(q.Loc, ps[0], ps[1], ps[2])
}

// NormalLogProb returns Σ_d log N(x[b,d] | loc, scale) as [B] for x [B, D].
func NormalLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	p, err := like("Normal", x, loc, scale)
	if err != nil {
		return nil, err
	}
	return ops.NormalLogProb(x, p[0], p[1])
}

// NormalSample returns loc + scale ⊙ eps for standard normal noise eps.
func NormalSample(loc, scale, eps *G.Node) (*G.Node, error) { return Reparam(loc, scale, eps) }

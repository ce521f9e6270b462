package dist

import (
	"fmt"

	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
)

// Params are the lowered parameters of a distribution, matrices [B, D] (or
// anything ops.BroadcastTo accepts): Loc and Scale for a location-scale
// family, Logits or Probs for the others.
type Params struct {
	Loc, Scale, Logits, Probs *G.Node
}

// Family is the compiler's side of a distribution family (the checker's is
// check.Family of the same name): how the lowering, the generator and the
// pictures build its log-density, its sampler and its mean. Each family
// lives in its own file of this package; families lists them.
type Family struct {
	Name string
	// LogProb returns Σ_d log p(x[b,d] | params) as [B] for x [B, D].
	LogProb func(x *G.Node, p Params) (*G.Node, error)
	// Mean returns the mean [B, D] at the parameters (pictures, the
	// generator's data mean); nil for a discrete family.
	Mean func(p Params) (*G.Node, error)
	// Noise is the standard noise ε of a reparameterised sample
	// Reparam(loc, scale, ε); invalid for a family without one.
	Noise Noise
	// Discrete: the value is one-hot (enumerated, relaxed or drawn by the
	// Gumbel-max trick), not a density of the data.
	Discrete bool
	// Kernel names the fused kernels of compiler/ops that compute LogProb.
	Kernel string
	// KL returns the closed-form KL(q ‖ p) between two members of the
	// family, summed over the event dimensions, as [B]; nil where the
	// family has none (the objective then keeps the Monte Carlo term).
	KL func(q, p Params) (*G.Node, error)
}

// families returns every family the compiler lowers.
func families() []*Family {
	return []*Family{normal(), laplace(), bernoulli(), categorical(), contBern()}
}

// Lookup returns the family called name.
func Lookup(name string) (*Family, error) {
	for _, f := range families() {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("no distribution family %q in the compiler", name)
}

// Names returns the families' names in table order.
func Names() []string {
	var out []string
	for _, f := range families() {
		out = append(out, f.Name)
	}
	return out
}

func meanLoc(p Params) (*G.Node, error) { return p.Loc, nil }

func meanSigmoid(p Params) (*G.Node, error) {
	if p.Logits != nil {
		return ops.Activate(p.Logits, ops.Sigmoid)
	}
	return p.Probs, nil
}

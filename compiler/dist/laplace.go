package dist

import (
	"math"
	"math/rand/v2"

	"ssdgm/compiler/ops"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// laplace is the Laplace family: log-density by the fused kernel
// ops.LaplaceLogProb, reparameterised sample loc + scale·ε with ε ~
// Laplace(0, 1), mean loc.
func laplace() *Family {
	return &Family{Name: "Laplace", Kernel: "ops.LaplaceLogProb", Noise: StdLaplace, Mean: meanLoc,
		LogProb: func(x *G.Node, p Params) (*G.Node, error) { return LaplaceLogProb(x, p.Loc, p.Scale) }}
}

// StdLaplace is Laplace(0, 1) noise, by inversion of a uniform draw.
var StdLaplace = Noise{name: "laplace", draw: func(r *rand.Rand) float64 {
	for {
		u := r.Float64() - 0.5 // [-0.5, 0.5)
		if a := 1 - 2*math.Abs(u); a > 0 {
			if u < 0 {
				return math.Log(a)
			}
			return -math.Log(a)
		}
	}
}}

// FillLaplace fills t with standard Laplace draws from r.
func FillLaplace(r *rand.Rand, t tensor.Tensor) error { return Fill(StdLaplace, r, t) }

// LaplaceLogProb returns Σ_d log Laplace(x[b,d] | loc, scale) as [B] for x
// [B, D]. The derivative of |x - loc| at 0 is taken as 0.
func LaplaceLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	p, err := like("Laplace", x, loc, scale)
	if err != nil {
		return nil, err
	}
	return ops.LaplaceLogProb(x, p[0], p[1])
}

// LaplaceSample returns loc + scale ⊙ eps for standard Laplace noise eps.
func LaplaceSample(loc, scale, eps *G.Node) (*G.Node, error) { return Reparam(loc, scale, eps) }

package ops

import (
	"math"

	G "gorgonia.org/gorgonia"
)

// LaplaceLogProb returns Σ_d log Laplace(x | loc, scale) for same-shaped
// matrices [B, D], as [B]. The derivative of |x - loc| at 0 is taken as 0.
func LaplaceLogProb(x, loc, scale *G.Node) (*G.Node, error) {
	return fusedLik("LaplaceLogProb(eps=0)", elemKernels(3, laplaceElem), x, loc, scale)
}

// laplaceElem is the Laplace log-density −|x − a|/b − log 2b at loc a and
// scale b, with its partial derivatives.
func laplaceElem(x, a, b float64) (lp, dx, da, db float64) {
	d := x - a
	s := 0.0
	if d > 0 {
		s = 1
	} else if d < 0 {
		s = -1
	}
	lp = -math.Abs(d)/b - math.Log(2*b)
	return lp, -s / b, s / b, math.Abs(d)/(b*b) - 1/b
}

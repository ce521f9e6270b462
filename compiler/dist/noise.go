package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Noise names a noise distribution that a sampler's input is filled from.
type Noise int

// The noise kinds.
const (
	StdNormal  Noise = iota // N(0, 1)
	StdLaplace              // Laplace(0, 1)
	Gumbel                  // Gumbel(0, 1)
	Uniform                 // U[0, 1)
)

func (n Noise) String() string {
	switch n {
	case StdNormal:
		return "normal"
	case StdLaplace:
		return "laplace"
	case Gumbel:
		return "gumbel"
	case Uniform:
		return "uniform"
	}
	return fmt.Sprintf("Noise(%d)", int(n))
}

// Draw returns one draw of the noise n from r.
func (n Noise) Draw(r *rand.Rand) float64 {
	switch n {
	case StdNormal:
		return r.NormFloat64()
	case StdLaplace:
		for {
			u := r.Float64() - 0.5 // [-0.5, 0.5)
			if a := 1 - 2*math.Abs(u); a > 0 {
				if u < 0 {
					return math.Log(a)
				}
				return -math.Log(a)
			}
		}
	case Gumbel:
		for {
			if u := r.Float64(); u > 0 {
				return -math.Log(-math.Log(u))
			}
		}
	case Uniform:
		return r.Float64()
	}
	return math.NaN()
}

// Fill fills the float32 or float64 tensor t in place with draws of n from
// r, in row-major order (the same seed gives the same values).
func Fill(n Noise, r *rand.Rand, t tensor.Tensor) error {
	if n < StdNormal || n > Uniform {
		return fmt.Errorf("fill: unknown noise %v", n)
	}
	switch d := t.Data().(type) {
	case []float64:
		for i := range d {
			d[i] = n.Draw(r)
		}
	case []float32:
		for i := range d {
			d[i] = float32(n.Draw(r))
		}
	default:
		return fmt.Errorf("fill: unsupported data %T", d)
	}
	return nil
}

// FillNormal fills t with standard normal draws from r.
func FillNormal(r *rand.Rand, t tensor.Tensor) error { return Fill(StdNormal, r, t) }

// FillLaplace fills t with standard Laplace draws from r.
func FillLaplace(r *rand.Rand, t tensor.Tensor) error { return Fill(StdLaplace, r, t) }

// FillGumbel fills t with standard Gumbel draws from r.
func FillGumbel(r *rand.Rand, t tensor.Tensor) error { return Fill(Gumbel, r, t) }

// FillUniform fills t with uniform draws in [0, 1) from r.
func FillUniform(r *rand.Rand, t tensor.Tensor) error { return Fill(Uniform, r, t) }

package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Noise is a standard noise distribution that a sampler's input is filled
// from; a family's own noise lives in the family's file.
// The zero Noise is invalid.
type Noise struct {
	name string
	draw func(*rand.Rand) float64
}

// The generic noise kinds.
var (
	StdNormal = Noise{name: "normal", draw: func(r *rand.Rand) float64 { return r.NormFloat64() }} // N(0, 1)
	Gumbel    = Noise{name: "gumbel", draw: func(r *rand.Rand) float64 {                           // Gumbel(0, 1)
		for {
			if u := r.Float64(); u > 0 {
				return -math.Log(-math.Log(u))
			}
		}
	}}
	Uniform = Noise{name: "uniform", draw: func(r *rand.Rand) float64 { return r.Float64() }} // U[0, 1)
)

func (n Noise) String() string {
	if n.draw == nil {
		return "invalid noise"
	}
	return n.name
}

// Valid reports whether n is a noise kind (not the zero Noise).
func (n Noise) Valid() bool { return n.draw != nil }

// Draw returns one draw of the noise n from r (NaN for the zero Noise).
func (n Noise) Draw(r *rand.Rand) float64 {
	if n.draw == nil {
		return math.NaN()
	}
	return n.draw(r)
}

// Fill fills the float32 or float64 tensor t in place with draws of n from
// r, in row-major order (the same seed gives the same values).
func Fill(n Noise, r *rand.Rand, t tensor.Tensor) error {
	if !n.Valid() {
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

// FillGumbel fills t with standard Gumbel draws from r.
func FillGumbel(r *rand.Rand, t tensor.Tensor) error { return Fill(Gumbel, r, t) }

// FillUniform fills t with uniform draws in [0, 1) from r.
func FillUniform(r *rand.Rand, t tensor.Tensor) error { return Fill(Uniform, r, t) }

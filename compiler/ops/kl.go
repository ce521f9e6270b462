package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// NormalKL returns the closed-form Kullback–Leibler divergence
// KL(N(locQ, scaleQ) ‖ N(locP, scaleP)) summed over the event dimensions,
//
//	Σ_d log σp − log σq + (σq² + (μq − μp)²) / (2σp²) − 1/2,
//
// as [B] for four same-shaped matrices [B, D]. Gradients flow to all four.
func NormalKL(locQ, scaleQ, locP, scaleP *G.Node) (*G.Node, error) {
	const name = "NormalKL"
	same := func(in []tensor.Shape) (tensor.Shape, error) {
		for i := range in {
			if len(in[i]) != 2 || !sameShape(in[i], in[0]) {
				return nil, fmt.Errorf("%s: shapes %v must be equal matrices [B, D]", name, in)
			}
		}
		return tensor.Shape{in[0][0]}, nil
	}
	o := &op{name: name, inDims: []int{2, 2, 2, 2}, outDims: 1, shape: same, diff: []bool{true, true, true, true},
		k: kernel{
			f32: func(out []float32, in [][]float32) error { normalKLK(out, in, -1); return nil },
			f64: func(out []float64, in [][]float64) error { normalKLK(out, in, -1); return nil },
		},
	}
	o.grad = func(in G.Nodes, _, g *G.Node) (G.Nodes, error) {
		out := make(G.Nodes, 4)
		for w := range out {
			w := w
			b := &op{name: fmt.Sprintf("%sGrad%d", name, w), inDims: []int{2, 2, 2, 2, 1}, outDims: 2,
				diff:  make([]bool, 5),
				shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil },
				k: kernel{
					f32: func(o []float32, in [][]float32) error { normalKLK(o, in, w); return nil },
					f64: func(o []float64, in [][]float64) error { normalKLK(o, in, w); return nil },
				},
			}
			d, err := apply(b, in[0], in[1], in[2], in[3], g)
			if err != nil {
				return nil, err
			}
			out[w] = d
		}
		return out, nil
	}
	return apply(o, locQ, scaleQ, locP, scaleP)
}

// normalKLK computes NormalKL's row sums (wrt < 0) into out [B], or its
// gradient with respect to input wrt (0 locQ, 1 scaleQ, 2 locP, 3 scaleP),
// scaled by the incoming gradient in[4] [B], into out [B, D].
func normalKLK[T float](out []T, in [][]T, wrt int) {
	mq, sq, mp, sp := in[0], in[1], in[2], in[3]
	rows := len(out)
	if wrt >= 0 {
		rows = len(in[4])
	}
	d := len(mq) / max(rows, 1)
	for r := 0; r < rows; r++ {
		var s float64
		gr := 1.0
		if wrt >= 0 {
			gr = float64(in[4][r])
		}
		for j := r * d; j < (r+1)*d; j++ {
			a, b := float64(sq[j]), float64(sp[j])
			m := float64(mq[j]) - float64(mp[j])
			v := (a*a + m*m) / (b * b)
			switch wrt {
			case -1:
				s += math.Log(b) - math.Log(a) + 0.5*v - 0.5
			case 0:
				out[j] = T(gr * m / (b * b))
			case 1:
				out[j] = T(gr * (a/(b*b) - 1/a))
			case 2:
				out[j] = T(gr * -m / (b * b))
			case 3:
				out[j] = T(gr * (1/b - v/b))
			}
		}
		if wrt < 0 {
			out[r] = T(s)
		}
	}
}

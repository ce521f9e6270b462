package ops

import (
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// contBernTaylor is the |η| below which the continuous-Bernoulli
// normaliser and its derivative are taken from their Taylor series: near
// η = 0 (probs = 0.5) the closed forms divide 0 by 0 and cancel.
const contBernTaylor = 1e-2

// ContBernLogNorm returns log C(η), the log normaliser of the continuous
// Bernoulli with logits η (Loaiza-Ganem & Cunningham 2019):
// C = η / tanh(η/2) = 2·atanh(1−2λ)/(1−2λ) for λ = sigmoid(η), and its
// derivative 1/η − 1/sinh η. Below contBernTaylor it uses
// log 2 + η²/12 − 7η⁴/1440 and η/6 − 7η³/360 (errors below 1e-13).
func ContBernLogNorm(eta float64) (logC, dlogC float64) {
	a := math.Abs(eta)
	if a < contBernTaylor {
		e2 := eta * eta
		return math.Ln2 + e2/12 - 7*e2*e2/1440, eta/6 - 7*e2*eta/360
	}
	logC = math.Log(a) - math.Log(math.Abs(math.Tanh(eta/2)))
	if a > 700 { // sinh overflows; 1/sinh is 0 to double precision
		return logC, 1 / eta
	}
	return logC, 1/eta - 1/math.Sinh(eta)
}

// ContBernMean returns the mean of the continuous Bernoulli with logits η,
// sigmoid(η)/tanh(η/2) − 1/η = λ/(2λ−1) + 1/(2·atanh(1−2λ)); 1/2 + η/12
// − η³/720 near 0.
func ContBernMean(eta float64) float64 {
	if math.Abs(eta) < contBernTaylor {
		return 0.5 + eta/12 - eta*eta*eta/720
	}
	s := 1 / (1 + math.Exp(-eta))
	return s/math.Tanh(eta/2) - 1/eta
}

// ContBernLogitsLogProb returns Σ_d x·η − softplus(η) + log C(η), the
// continuous-Bernoulli log-density of x in [0, 1] at logits η, for
// same-shaped matrices [B, D], as [B]; one fused pass forward and one per
// input backward (d/dx = η, d/dη = x − sigmoid(η) + d log C/dη).
func ContBernLogitsLogProb(x, logits *G.Node) (*G.Node, error) {
	return fusedLik("ContBernLogitsLogProb", func(wrt int) kernel {
		return kernel{
			f32: func(out []float32, in [][]float32) error { contBernK(out, in, wrt); return nil },
			f64: func(out []float64, in [][]float64) error { contBernK(out, in, wrt); return nil },
		}
	}, x, logits)
}

// contBernK computes the row sums of the log-density (wrt < 0) into out
// [B], or the gradient with respect to input wrt (0: x, 1: logits) scaled
// by the incoming gradient in[2] [B], into out [B, D]. Arithmetic is in
// float64 for both element types.
func contBernK[T float](out []T, in [][]T, wrt int) {
	x, a := in[0], in[1]
	rows := len(out)
	if wrt >= 0 {
		rows = len(in[2])
	}
	d := len(x) / max(rows, 1)
	for r := 0; r < rows; r++ {
		var s float64
		gr := 1.0
		if wrt >= 0 {
			gr = float64(in[2][r])
		}
		for j := r * d; j < (r+1)*d; j++ {
			xv, l := float64(x[j]), float64(a[j])
			switch wrt {
			case -1:
				lc, _ := ContBernLogNorm(l)
				sp := math.Max(l, 0) + math.Log1p(math.Exp(-math.Abs(l)))
				s += xv*l - sp + lc
			case 0:
				out[j] = T(gr * l)
			case 1:
				_, dlc := ContBernLogNorm(l)
				out[j] = T(gr * (xv - 1/(1+math.Exp(-l)) + dlc))
			}
		}
		if wrt < 0 {
			out[r] = T(s)
		}
	}
}

// ContBernMeanOf returns the element-wise continuous-Bernoulli mean of
// logits [B, D] (ContBernMean), with no gradient: it draws pictures.
func ContBernMeanOf(logits *G.Node) (*G.Node, error) {
	o := &op{name: "ContBernMean", inDims: []int{2}, outDims: 2, diff: []bool{false},
		shape: func(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil },
		k: kernel{
			f32: func(out []float32, in [][]float32) error { contBernMeanK(out, in[0]); return nil },
			f64: func(out []float64, in [][]float64) error { contBernMeanK(out, in[0]); return nil },
		},
	}
	return apply(o, logits)
}

func contBernMeanK[T float](out, logits []T) {
	for i, l := range logits {
		out[i] = T(ContBernMean(float64(l)))
	}
}

package ops

import (
	"math"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestActivationValues(t *testing.T) {
	xs := []float64{-800, -30, -1.5, -1e-3, 0, 1e-3, 0.7, 30, 800}
	ref := map[Act]func(float64) float64{
		None:     func(x float64) float64 { return x },
		ReLU:     func(x float64) float64 { return math.Max(x, 0) },
		Softplus: func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) },
		Sigmoid:  func(x float64) float64 { return 0.5 * (1 + math.Tanh(x/2)) },
		Tanh:     math.Tanh,
		ELU: func(x float64) float64 {
			if x > 0 {
				return x
			}
			return math.Exp(x) - 1
		},
	}
	for _, a := range Acts() {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
				y, err := Activate(in[0], a)
				if err != nil || a != None {
					return y, err
				}
				return G.Add(y, in[0]) // None returns x itself; double it to get an op
			}, dense([]int{1, len(xs)}, xs...))
			for i, x := range xs {
				want := ref[a](x)
				if a == None {
					want *= 2
				}
				tolr := 1e-12
				if dt == tensor.Float32 {
					tolr = 1e-6
				}
				if math.IsInf(got[i], 0) || math.IsNaN(got[i]) || !closeTo(got[i], want, tolr) {
					t.Errorf("%s %v at %g: got %g want %g", a, dt, x, got[i], want)
				}
			}
		}
	}
	if _, err := ParseAct("gelu"); err == nil {
		t.Error("ParseAct accepted gelu")
	}
}

func TestActivationGradients(t *testing.T) {
	r := newRand(2)
	for _, a := range Acts() {
		if a == None {
			continue
		}
		// keep ReLU/ELU inputs away from the kink at 0
		x := gradcheck.Tensor(r, 0.05, 2, 3, 5)
		d := x.Data().([]float64)
		for i := range d {
			if i%2 == 0 {
				d[i] = -d[i]
			}
		}
		a := a
		checkGrad(t, "Activate/"+string(a), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Activate(in[0], a) }, x)
		for _, rep := range []int{1, 5} {
			x := gradcheck.Tensor(r, -2, 2, 3, 5*2)
			b := gradcheck.Tensor(r, -1, 1, 10/rep)
			if a == ReLU || a == ELU {
				// pre-activations away from 0
				xd, bd := x.Data().([]float64), b.Data().([]float64)
				for i := range xd {
					pre := xd[i] + bd[(i%10)/rep]
					if math.Abs(pre) < 0.05 {
						xd[i] += 0.2
					}
				}
			}
			rep := rep
			checkGrad(t, "BiasAct/"+string(a), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BiasAct(in[0], in[1], rep, a) }, x, b)
		}
	}
	checkGrad(t, "BiasAdd", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return BiasAdd(in[0], in[1]) },
		gradcheck.Tensor(r, -1, 1, 4, 3), gradcheck.Tensor(r, -1, 1, 3))
}

func TestBiasActShapes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 6))
	if _, err := BiasAct(x, G.NewVector(g, tensor.Float32, G.WithShape(4)), 1, ReLU); err == nil {
		t.Error("accepted bias [4] for x [4,6]")
	}
	if _, err := BiasAct(x, G.NewVector(g, tensor.Float32, G.WithShape(2)), 3, ReLU); err != nil {
		t.Errorf("rejected bias [2] repeated 3 for x [4,6]: %v", err)
	}
	if _, err := BiasAct(x, G.NewVector(g, tensor.Float32, G.WithShape(6)), 1, "gelu"); err == nil {
		t.Error("accepted activation gelu")
	}
}

package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// channelCases are the [rows, C·P] shapes the channel tests use: one
// channel, one position, the faces light (3 × 1) and normal maps (3 × P).
var channelCases = []struct{ rows, c, p int }{
	{2, 1, 4}, {3, 3, 1}, {2, 3, 5}, {4, 2, 3}, {1, 4, 2},
}

// unfusedNormalize is the Gorgonia chain that ChannelNorm replaces: column
// slices per channel, squares summed in channel order, + eps, √, and a
// division per channel, joined again.
func unfusedNormalize(x *G.Node, c int, eps float64) (*G.Node, error) {
	p := x.Shape()[1] / c
	parts := make(G.Nodes, c)
	for i := range parts {
		n, err := G.Slice(x, nil, G.S(i*p, (i+1)*p))
		if err != nil {
			return nil, err
		}
		if n.Dims() == 1 {
			if n, err = G.Reshape(n, []int{x.Shape()[0], 1}); err != nil {
				return nil, err
			}
		}
		parts[i] = n
	}
	var ss *G.Node
	for _, n := range parts {
		sq, err := G.Square(n)
		if err != nil {
			return nil, err
		}
		if ss == nil {
			ss = sq
		} else if ss, err = G.Add(ss, sq); err != nil {
			return nil, err
		}
	}
	ss, err := Affine(ss, 1, eps)
	if err != nil {
		return nil, err
	}
	norm, err := G.Sqrt(ss)
	if err != nil {
		return nil, err
	}
	for i, n := range parts {
		if parts[i], err = G.HadamardDiv(n, norm); err != nil {
			return nil, err
		}
	}
	if c == 1 {
		return parts[0], nil
	}
	return Concat(parts...)
}

// plainNormalize and plainDot are the plain-Go references, in float64.
func plainNormalize(x []float64, rows, c, p int, eps float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < rows; r++ {
		for j := 0; j < p; j++ {
			var s float64
			for k := 0; k < c; k++ {
				v := x[r*c*p+k*p+j]
				s += v * v
			}
			n := math.Sqrt(s + eps)
			for k := 0; k < c; k++ {
				out[r*c*p+k*p+j] = x[r*c*p+k*p+j] / n
			}
		}
	}
	return out
}

func plainDot(a, b []float64, rows, c, pa, pb int) []float64 {
	p := max(pa, pb)
	out := make([]float64, rows*p)
	at := func(x []float64, q, r, k, j int) float64 {
		if q == 1 {
			j = 0
		}
		return x[r*c*q+k*q+j]
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < p; j++ {
			for k := 0; k < c; k++ {
				out[r*p+j] += at(a, pa, r, k, j) * at(b, pb, r, k, j)
			}
		}
	}
	return out
}

// TestChannelNormValues checks ChannelNorm against the plain-Go reference,
// also at the faces decoder's 3584 positions per channel and at 2048, where
// the unfused Gorgonia chain gave ±1/√3 for every element; and, at the
// small shapes, where that chain is right, against the chain to the bit.
func TestChannelNormValues(t *testing.T) {
	r := newRand(61)
	for _, c := range append(channelCases, struct{ rows, c, p int }{2, 3, 2048}, struct{ rows, c, p int }{2, 3, 3584}) {
		x := gradcheck.Tensor(r, -2, 2, c.rows, c.c*c.p)
		want := plainNormalize(x.Data().([]float64), c.rows, c.c, c.p, 1e-8)
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ChannelNorm(in[0], c.c, 1e-8) }, x)
			chain := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return unfusedNormalize(in[0], c.c, 1e-8) }, x)
			for i := range want {
				if !closeTo(got[i], want[i], 1e-6) {
					t.Fatalf("%+v %v: elem %d got %v want %v", c, dt, i, got[i], want[i])
				}
				if c.p < 1024 && got[i] != chain[i] {
					t.Fatalf("%+v %v: elem %d is %v, the unfused chain gives %v", c, dt, i, got[i], chain[i])
				}
			}
		}
	}
}

func TestChannelDotValues(t *testing.T) {
	r := newRand(62)
	for _, c := range channelCases {
		for _, pp := range [][2]int{{c.p, c.p}, {c.p, 1}, {1, c.p}} {
			a := gradcheck.Tensor(r, -2, 2, c.rows, c.c*pp[0])
			b := gradcheck.Tensor(r, -2, 2, c.rows, c.c*pp[1])
			want := plainDot(a.Data().([]float64), b.Data().([]float64), c.rows, c.c, pp[0], pp[1])
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				got := eval(t, dt, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ChannelDot(in[0], in[1], c.c) }, a, b)
				if len(got) != len(want) {
					t.Fatalf("%+v %v %v: %d values, want %d", c, pp, dt, len(got), len(want))
				}
				for i := range want {
					if !closeTo(got[i], want[i], 1e-6) {
						t.Fatalf("%+v %v %v: elem %d got %v want %v", c, pp, dt, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestChannelGradients(t *testing.T) {
	r := newRand(63)
	for _, c := range channelCases {
		x := gradcheck.Tensor(r, -2, 2, c.rows, c.c*c.p)
		checkGrad(t, fmt.Sprintf("ChannelNorm%+v", c), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ChannelNorm(in[0], c.c, 1e-8) }, x)
		for _, pp := range [][2]int{{c.p, c.p}, {c.p, 1}, {1, c.p}} {
			a := gradcheck.Tensor(r, -2, 2, c.rows, c.c*pp[0])
			b := gradcheck.Tensor(r, -2, 2, c.rows, c.c*pp[1])
			checkGrad(t, fmt.Sprintf("ChannelDot%+v%v", c, pp), func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ChannelDot(in[0], in[1], c.c) }, a, b)
		}
	}
	// the faces chain: shading = dot(normalize(normals), normalize(light)).
	n := gradcheck.Tensor(r, -2, 2, 2, 3*4)
	l := gradcheck.Tensor(r, -2, 2, 2, 3)
	checkGrad(t, "Shading", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		a, err := ChannelNorm(in[0], 3, 1e-8)
		if err != nil {
			return nil, err
		}
		b, err := ChannelNorm(in[1], 3, 1e-8)
		if err != nil {
			return nil, err
		}
		return ChannelDot(a, b, 3)
	}, n, l)
}

// TestChannelSplit: the kernels split over workers give the serial result
// to the bit (each row is computed by one worker with the same arithmetic).
func TestChannelSplit(t *testing.T) {
	r := newRand(64)
	const rows, c, p = 7, 3, 5
	x := gradcheck.Tensor(r, -2, 2, rows, c*p).Data().([]float64)
	g := gradcheck.Tensor(r, -2, 2, rows, c*p).Data().([]float64)
	l := gradcheck.Tensor(r, -2, 2, rows, c).Data().([]float64)
	gp := gradcheck.Tensor(r, -2, 2, rows, p).Data().([]float64)
	serial, forced := split{workers: 1}, split{workers: 3, minElems: 1}
	run := func(sp split) [][]float64 {
		a, b := make([]float64, len(x)), make([]float64, len(x))
		d, e, f := make([]float64, rows*p), make([]float64, rows*c), make([]float64, rows*c*p)
		chanNormK(a, x, c*p, c, 1e-8, sp)
		chanNormGradK(b, x, g, c*p, c, 1e-8, sp)
		chanDotK(d, x, l, c, p, 1, sp)
		chanDotGradK(e, gp, x, c, 1, p, p, sp)
		chanDotGradK(f, gp, l, c, p, 1, p, sp)
		return [][]float64{a, b, d, e, f}
	}
	want, got := run(serial), run(forced)
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("kernel %d elem %d: split %v, serial %v", i, j, got[i][j], want[i][j])
			}
		}
	}
}

func TestChannelErrors(t *testing.T) {
	g := G.NewGraph()
	m := func(r, c int) *G.Node { return G.NewMatrix(g, tensor.Float64, G.WithShape(r, c)) }
	cases := []struct {
		name string
		f    func() (*G.Node, error)
		want string
	}{
		{"norm width", func() (*G.Node, error) { return ChannelNorm(m(2, 5), 3, 1e-8) }, "is not [B, C·P]"},
		{"norm channels", func() (*G.Node, error) { return ChannelNorm(m(2, 6), 0, 1e-8) }, "channels must be positive"},
		{"norm vector", func() (*G.Node, error) { return ChannelNorm(G.NewVector(g, tensor.Float64, G.WithShape(3)), 3, 1e-8) }, "want a matrix"},
		{"norm nil", func() (*G.Node, error) { return ChannelNorm(nil, 3, 1e-8) }, "nil input"},
		{"dot rows", func() (*G.Node, error) { return ChannelDot(m(2, 6), m(3, 6), 3) }, "same B"},
		{"dot broadcast", func() (*G.Node, error) { return ChannelDot(m(2, 6), m(2, 9), 3) }, "do not broadcast"},
		{"dot nil", func() (*G.Node, error) { return ChannelDot(m(2, 6), nil, 3) }, "nil input"},
	}
	for _, c := range cases {
		_, err := c.f()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

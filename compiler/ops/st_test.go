package ops

import (
	"math"
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func seq(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i*7%11) + 0.5*float64(i)
	}
	return v
}

func TestSTValues(t *testing.T) {
	img := seq(2 * 9) // B=1, C=2, 3x3
	read := func(theta []float64, gh, gw int) []float64 {
		return eval(t, tensor.Float64, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return STRead(in[0], in[1], 2, 3, 3, gh, gw)
		}, dense([]int{1, 18}, img...), dense([]int{1, 3}, theta...))
	}
	// identity read
	got := read([]float64{1, 0, 0}, 3, 3)
	for i := range img {
		if math.Abs(got[i]-img[i]) > 1e-12 {
			t.Fatalf("identity read: got %v want %v", got, img)
		}
	}
	// half-scale 2x2 glimpse: pixel positions 0.5 and 1.5, each the mean of
	// four pixels
	got = read([]float64{0.5, 0, 0}, 2, 2)
	for ch := 0; ch < 2; ch++ {
		p := img[ch*9 : ch*9+9]
		for gi := 0; gi < 2; gi++ {
			for gj := 0; gj < 2; gj++ {
				want := (p[gi*3+gj] + p[gi*3+gj+1] + p[(gi+1)*3+gj] + p[(gi+1)*3+gj+1]) / 4
				if g := got[ch*4+gi*2+gj]; math.Abs(g-want) > 1e-12 {
					t.Errorf("half read ch %d (%d,%d): got %v want %v", ch, gi, gj, g, want)
				}
			}
		}
	}
	// far outside: zero padding
	for _, v := range read([]float64{0.5, 5, -5}, 2, 2) {
		if v != 0 {
			t.Fatalf("outside read not zero")
		}
	}
	// shift by one pixel (tx = 1 normalised unit = one pixel on a 3-wide
	// image): the last column falls outside
	got = read([]float64{1, 1, 0}, 3, 3)
	for i := 0; i < 3; i++ {
		if got[i*3] != img[i*3+1] || got[i*3+1] != img[i*3+2] || got[i*3+2] != 0 {
			t.Fatalf("shifted read row %d: %v", i, got[i*3:i*3+3])
		}
	}

	// write a 5x5 glimpse at half scale onto a 9x9 canvas and read it back
	gl := seq(25)
	canvas := eval(t, tensor.Float64, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return STWrite(in[0], in[1], 1, 5, 5, 9, 9)
	}, dense([]int{1, 25}, gl...), dense([]int{1, 3}, 0.5, 0, 0))
	for i := 0; i < 9; i++ {
		for j := 0; j < 9; j++ {
			want := 0.0
			if i >= 2 && i <= 6 && j >= 2 && j <= 6 {
				want = gl[(i-2)*5+(j-2)]
			} else if i == 1 || i == 7 || j == 1 || j == 7 {
				continue // half-way into the padding: interpolated towards 0
			}
			if math.Abs(canvas[i*9+j]-want) > 1e-12 {
				t.Fatalf("write (%d,%d): got %v want %v", i, j, canvas[i*9+j], want)
			}
		}
	}
	back := eval(t, tensor.Float64, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return STRead(in[0], in[1], 1, 9, 9, 5, 5)
	}, dense([]int{1, 81}, canvas...), dense([]int{1, 3}, 0.5, 0, 0))
	for i := range gl {
		if math.Abs(back[i]-gl[i]) > 1e-12 {
			t.Fatalf("round trip: got %v want %v", back, gl)
		}
	}
	// float32 agrees
	g32 := eval(t, tensor.Float32, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return STRead(in[0], in[1], 2, 3, 3, 2, 2)
	}, dense([]int{1, 18}, img...), dense([]int{1, 3}, 0.5, 0, 0))
	g64 := read([]float64{0.5, 0, 0}, 2, 2)
	for i := range g64 {
		if !closeTo(g32[i], g64[i], 1e-6) {
			t.Fatalf("float32 %v vs float64 %v", g32, g64)
		}
	}
}

func TestSTGradients(t *testing.T) {
	r := newRand(6)
	// theta rows (s, tx, ty): scales and shifts chosen so that some sample
	// points fall outside the source (zero padding) and none lies on a
	// pixel-grid line.
	theta := dense([]int{3, 3}, 0.63, 0.11, -0.07, 0.87, -0.31, 0.23, 1.21, 0.37, 0.41)
	wtheta := dense([]int{3, 3}, 1.63, 0.11, -0.07, 1.37, -0.31, 0.23, 0.91, 0.17, 0.29)
	checkGrad(t, "STRead", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return STRead(in[0], in[1], 2, 6, 7, 4, 3)
	}, gradcheck.Tensor(r, -1, 1, 3, 2*6*7), theta)
	checkGrad(t, "STWrite", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return STWrite(in[0], in[1], 2, 4, 3, 6, 7)
	}, gradcheck.Tensor(r, -1, 1, 3, 2*4*3), wtheta)
}

func TestSTShapeErrors(t *testing.T) {
	g := G.NewGraph()
	img := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 12), G.WithName("img"))
	th := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("th"))
	bad := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("bad"))
	if _, err := STRead(img, th, 1, 3, 3, 2, 2); err == nil {
		t.Error("accepted [2,12] as a 1x3x3 image")
	}
	if _, err := STRead(img, bad, 1, 3, 4, 2, 2); err == nil {
		t.Error("accepted theta [2,2]")
	}
	if _, err := STWrite(img, th, 1, 3, 4, 0, 2); err == nil {
		t.Error("accepted canvas height 0")
	}
	if _, err := STRead(img, th, 1, 3, 4, 2, 2); err != nil {
		t.Errorf("rejected a good read: %v", err)
	}
}

// TestSTSpans: the kernels visit only the output pixels whose source
// coordinates can reach the source (stGeom.spans); their values and both
// gradients must equal, bit for bit, those of visiting every pixel, for
// reads and writes with glyphs inside, across the edge of and far outside
// the output, and for degenerate transforms (tiny, huge and NaN scales).
func TestSTSpans(t *testing.T) {
	r := newRand(9)
	var thetas []float64
	for i := 0; i < 40; i++ {
		thetas = append(thetas, 0.1+2*r.Float64(), 3*r.Float64()-1.5, 3*r.Float64()-1.5)
	}
	thetas = append(thetas, 1e-9, 0.2, 0.3, 1e9, 0, 0, 0.5, 40, -40, 0.42, 1.05, -0.99, math.NaN(), 0, 0, -0.6, 0.1, 0.2)
	B := len(thetas) / 3
	for _, p := range []stGeom{
		{c: 1, hs: 28, ws: 28, ho: 50, wo: 50, write: true},
		{c: 1, hs: 50, ws: 50, ho: 28, wo: 28},
		{c: 2, hs: 6, ws: 7, ho: 4, wo: 3},
		{c: 1, hs: 1, ws: 5, ho: 3, wo: 1, write: true},
	} {
		full := p
		full.everyPixel = true
		ns, no := p.c*p.hs*p.ws, p.c*p.ho*p.wo
		src, g := make([]float64, B*ns), make([]float64, B*no)
		for i := range src {
			src[i] = r.Float64()
		}
		for i := range g {
			g[i] = r.Float64() - 0.5
		}
		run := func(q stGeom) (out, ds, dt []float64) {
			out, ds, dt = make([]float64, B*no), make([]float64, B*ns), make([]float64, B*3)
			for i := range out {
				out[i] = 7 // kernels must write every output value
			}
			th := append([]float64(nil), thetas...)
			if err := stFwd(q, out, src, th); err != nil {
				t.Fatal(err)
			}
			if err := stGradSrc(q, ds, th, g); err != nil {
				t.Fatal(err)
			}
			if err := stGradTheta(q, dt, src, th, g); err != nil {
				t.Fatal(err)
			}
			return
		}
		o1, s1, t1 := run(p)
		o2, s2, t2 := run(full)
		same := func(name string, a, b []float64) {
			for i := range a {
				if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
					t.Errorf("%v %s[%d]: %v, every pixel %v", p, name, i, a[i], b[i])
					return
				}
			}
		}
		same("value", o1, o2)
		same("dsrc", s1, s2)
		same("dtheta", t1, t2)
	}
}

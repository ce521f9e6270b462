package optim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// reference is a straightforward Adam: separate passes for each moment,
// the bias corrections and the update, with the same rounding as fused.
type reference[T Float] struct {
	cfg  Config
	m, v [][]T
	t    int
}

func (r *reference[T]) step(params, grads [][]T) {
	r.t++
	c1 := T(1 / (1 - math.Pow(r.cfg.Beta1, float64(r.t))))
	c2 := T(1 / (1 - math.Pow(r.cfg.Beta2, float64(r.t))))
	b1, b2 := T(r.cfg.Beta1), T(r.cfg.Beta2)
	for i := range params {
		if r.m == nil || len(r.m) < len(params) {
			r.m = append(r.m, make([]T, len(params[i])))
			r.v = append(r.v, make([]T, len(params[i])))
		}
		n := len(params[i])
		tiny := T(float32(0x1p-126))
		if T(0x1p-1022) != 0 {
			tiny = T(0x1p-1022)
		}
		for j := 0; j < n; j++ {
			r.m[i][j] = T(b1*r.m[i][j]) + T(T(1-r.cfg.Beta1)*grads[i][j])
			if math.Abs(float64(r.m[i][j])) < float64(tiny*(1<<32)) {
				r.m[i][j] = 0
			}
		}
		for j := 0; j < n; j++ {
			r.v[i][j] = T(b2*r.v[i][j]) + T(T(T(1-r.cfg.Beta2)*grads[i][j])*grads[i][j])
			if r.v[i][j] < tiny {
				r.v[i][j] = 0
			}
		}
		mhat := make([]T, n)
		vhat := make([]T, n)
		for j := 0; j < n; j++ {
			mhat[j] = T(r.m[i][j] * c1)
			vhat[j] = T(r.v[i][j] * c2)
		}
		for j := 0; j < n; j++ {
			params[i][j] -= T(T(r.cfg.LR)*mhat[j]) / (T(math.Sqrt(float64(vhat[j]))) + T(r.cfg.Eps))
		}
	}
}

func randomSlices[T Float](rng *rand.Rand, sizes []int, scale float64) [][]T {
	out := make([][]T, len(sizes))
	for i, n := range sizes {
		out[i] = make([]T, n)
		for j := range out[i] {
			out[i][j] = T(rng.NormFloat64() * scale)
		}
	}
	return out
}

func clone[T Float](s [][]T) [][]T {
	out := make([][]T, len(s))
	for i := range s {
		out[i] = append([]T(nil), s[i]...)
	}
	return out
}

func testBitIdentical[T Float](t *testing.T, cfg Config) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{7, 0, 1, 100, 33}
	params := randomSlices[T](rng, sizes, 1)
	want := clone(params)
	a, err := NewAdam[T](cfg, sizes)
	if err != nil {
		t.Fatal(err)
	}
	ref := &reference[T]{cfg: cfg}
	for step := 1; step <= 10; step++ {
		grads := randomSlices[T](rng, sizes, math.Pow(10, float64(step%5-2)))
		if step == 4 {
			grads[3][5] = 0 // a zero gradient
		}
		ref.step(want, clone(grads))
		if err := a.Step(params, grads); err != nil {
			t.Fatal(err)
		}
		for i := range params {
			for j := range params[i] {
				if params[i][j] != want[i][j] {
					t.Fatalf("step %d param %d[%d]: %v, reference %v", step, i, j, params[i][j], want[i][j])
				}
				if grads[i][j] != 0 {
					t.Fatalf("step %d: gradient %d[%d] not zeroed: %v", step, i, j, grads[i][j])
				}
			}
		}
	}
	if a.Steps() != 10 {
		t.Errorf("Steps = %d", a.Steps())
	}
}

func TestBitIdentical(t *testing.T) {
	configs := []struct {
		name string
		cfg  Config
	}{
		{"default", DefaultConfig()},
		{"beta1=0", Config{LR: 0.01, Beta1: 0, Beta2: 0.99, Eps: 1e-6}},
		{"large-lr", Config{LR: 0.5, Beta1: 0.5, Beta2: 0.9, Eps: 1e-3}},
	}
	for _, c := range configs {
		t.Run(c.name+"/float32", func(t *testing.T) { testBitIdentical[float32](t, c.cfg) })
		t.Run(c.name+"/float64", func(t *testing.T) { testBitIdentical[float64](t, c.cfg) })
	}
}

// TestWorkers checks that splitting a step over goroutines gives the same
// bits as one goroutine.
func TestWorkers(t *testing.T) {
	sizes := []int{70000, 3, 50001, 1}
	rng := rand.New(rand.NewPCG(8, 9))
	p1 := randomSlices[float32](rng, sizes, 1)
	p2 := clone(p1)
	a1, _ := NewAdam[float32](DefaultConfig(), sizes)
	a2, _ := NewAdam[float32](DefaultConfig(), sizes)
	a2.SetWorkers(3)
	for step := 0; step < 3; step++ {
		g1 := randomSlices[float32](rng, sizes, 1)
		g2 := clone(g1)
		if err := a1.Step(p1, g1); err != nil {
			t.Fatal(err)
		}
		if err := a2.Step(p2, g2); err != nil {
			t.Fatal(err)
		}
		for i := range p1 {
			for j := range p1[i] {
				if p1[i][j] != p2[i][j] || g2[i][j] != 0 {
					t.Fatalf("step %d: workers differ at %d[%d]", step, i, j)
				}
			}
		}
	}
}

// TestTextbook compares float32 Adam with the textbook formulas in float64.
func TestTextbook(t *testing.T) {
	cfg := DefaultConfig()
	rng := rand.New(rand.NewPCG(3, 4))
	n := 50
	w32 := make([]float32, n)
	w64 := make([]float64, n)
	m, v := make([]float64, n), make([]float64, n)
	a, _ := NewAdam[float32](cfg, []int{n})
	for step := 1; step <= 20; step++ {
		g32 := make([]float32, n)
		for j := range g32 {
			g32[j] = float32(rng.NormFloat64())
		}
		for j := range w64 {
			g := float64(g32[j])
			m[j] = cfg.Beta1*m[j] + (1-cfg.Beta1)*g
			v[j] = cfg.Beta2*v[j] + (1-cfg.Beta2)*g*g
			mh := m[j] / (1 - math.Pow(cfg.Beta1, float64(step)))
			vh := v[j] / (1 - math.Pow(cfg.Beta2, float64(step)))
			w64[j] -= cfg.LR * mh / (math.Sqrt(vh) + cfg.Eps)
		}
		if err := a.Step([][]float32{w32}, [][]float32{g32}); err != nil {
			t.Fatal(err)
		}
	}
	for j := range w64 {
		if d := math.Abs(float64(w32[j]) - w64[j]); d > 1e-6 {
			t.Errorf("w[%d] = %v, textbook %v", j, w32[j], w64[j])
		}
	}
	// The first step moves every weight by about lr against its gradient.
	if math.Abs(w64[0]) > 0.021 {
		t.Errorf("20 steps moved w[0] by %v > 20·lr", w64[0])
	}
}

// TestDeadUnit checks that moments of a parameter whose gradient stays
// zero reach exactly zero instead of lingering as subnormal numbers.
func TestDeadUnit(t *testing.T) {
	a, _ := NewAdam[float32](DefaultConfig(), []int{1})
	w := [][]float32{{1}}
	g := [][]float32{{1e-3}}
	for i := 0; i < 2000; i++ {
		if err := a.Step(w, g); err != nil {
			t.Fatal(err)
		}
	}
	s := a.State()
	if s.M[0][0] != 0 {
		t.Errorf("m = %g after 2000 zero gradients, want 0", s.M[0][0])
	}
}

func TestStateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := []int{4, 9}
	a, _ := NewAdam[float64](DefaultConfig(), sizes)
	b, _ := NewAdam[float64](DefaultConfig(), sizes)
	pa := randomSlices[float64](rng, sizes, 1)
	for i := 0; i < 3; i++ {
		if err := a.Step(pa, randomSlices[float64](rng, sizes, 1)); err != nil {
			t.Fatal(err)
		}
	}
	st := a.State()
	if err := b.SetState(st); err != nil {
		t.Fatal(err)
	}
	st.M[0][0] = 99 // State is a copy
	pb := clone(pa)
	g := randomSlices[float64](rng, sizes, 1)
	if err := a.Step(pa, clone(g)); err != nil {
		t.Fatal(err)
	}
	if err := b.Step(pb, g); err != nil {
		t.Fatal(err)
	}
	for i := range pa {
		for j := range pa[i] {
			if pa[i][j] != pb[i][j] {
				t.Fatalf("restored Adam differs at %d[%d]", i, j)
			}
		}
	}
	if b.Steps() != 4 {
		t.Errorf("Steps = %d", b.Steps())
	}
}

func TestErrors(t *testing.T) {
	bad := []Config{
		{LR: 0, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{LR: 1e-3, Beta1: 1, Beta2: 0.999, Eps: 1e-8},
		{LR: 1e-3, Beta1: 0.9, Beta2: -0.1, Eps: 1e-8},
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 0},
		{LR: math.NaN(), Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
	}
	for _, c := range bad {
		if _, err := NewAdam[float32](c, []int{1}); err == nil {
			t.Errorf("NewAdam(%+v) accepted", c)
		}
	}
	if _, err := NewAdam[float32](DefaultConfig(), []int{-1}); err == nil {
		t.Error("negative size accepted")
	}
	a, _ := NewAdam[float32](DefaultConfig(), []int{2, 3})
	p := [][]float32{{1, 2}, {3, 4, 5}}
	g := [][]float32{{1, 1}, {1, 1}}
	if err := a.Step(p, g); err == nil {
		t.Error("size mismatch accepted")
	}
	if p[0][0] != 1 || g[0][0] != 1 || a.Steps() != 0 {
		t.Error("failed Step changed something")
	}
	if err := a.Step(p[:1], g[:1]); err == nil {
		t.Error("count mismatch accepted")
	}
	if err := a.SetState(State[float32]{M: [][]float32{{0, 0}}, V: [][]float32{{0, 0}}}); err == nil {
		t.Error("bad state accepted")
	}
}

// benchmarkStep times Step; with fresh, the gradients are refilled before
// every step (a copy, included in the time) as in training; without, they
// stay zero after the first step, as for dead units.
func benchmarkStep[T Float](b *testing.B, sizes []int, fresh bool, workers int) {
	a, _ := NewAdam[T](DefaultConfig(), sizes)
	a.SetWorkers(workers)
	rng := rand.New(rand.NewPCG(1, 1))
	params := randomSlices[T](rng, sizes, 1)
	src := randomSlices[T](rng, sizes, 1)
	grads := clone(src)
	total := 0
	for _, n := range sizes {
		total += n
	}
	b.SetBytes(int64(total) * 4 * int64(sizeOf[T]()))
	b.ReportAllocs()
	for b.Loop() {
		if fresh {
			for i := range grads {
				copy(grads[i], src[i])
			}
		}
		_ = a.Step(params, grads)
	}
}

func sizeOf[T Float]() int {
	var z T
	if any(z) == any(float32(0)) {
		return 4
	}
	return 8
}

// mnistSizes are the parameter sizes of the paper's MNIST M2 model
// (784-256 encoder trunk, 10 digit logits, 50-d z, 256-784 decoder).
var mnistSizes = []int{784 * 256, 256, 256 * 10, 10, 266 * 50, 50, 266 * 50, 50, 60 * 256, 256, 256 * 784, 784}

func BenchmarkAdamMNIST32(b *testing.B)         { benchmarkStep[float32](b, mnistSizes, true, 1) }
func BenchmarkAdamMNIST64(b *testing.B)         { benchmarkStep[float64](b, mnistSizes, true, 1) }
func BenchmarkAdamMNIST32Zero(b *testing.B)     { benchmarkStep[float32](b, mnistSizes, false, 1) }
func BenchmarkAdamMNIST64Zero(b *testing.B)     { benchmarkStep[float64](b, mnistSizes, false, 1) }
func BenchmarkAdamMNIST32Workers2(b *testing.B) { benchmarkStep[float32](b, mnistSizes, false, 2) }

// TestSetLR: a step after SetLR moves the weights as a fresh Adam with
// that learning rate would, and bad rates are refused.
func TestSetLR(t *testing.T) {
	cfg := DefaultConfig()
	a, _ := NewAdam[float64](cfg, []int{3})
	cfg.LR = 0.25
	b, _ := NewAdam[float64](cfg, []int{3})
	if err := a.SetLR(0.25); err != nil {
		t.Fatal(err)
	}
	wa, wb := [][]float64{{1, -2, 3}}, [][]float64{{1, -2, 3}}
	if err := a.Step(wa, [][]float64{{0.5, 0.1, -1}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Step(wb, [][]float64{{0.5, 0.1, -1}}); err != nil {
		t.Fatal(err)
	}
	for i := range wa[0] {
		if wa[0][i] != wb[0][i] {
			t.Errorf("weight %d: %v after SetLR, %v with the rate from the start", i, wa[0][i], wb[0][i])
		}
	}
	for _, lr := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if a.SetLR(lr) == nil {
			t.Errorf("SetLR(%v) accepted", lr)
		}
	}
}

package compiler

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"ssdgm/lang/check"
)

// noiseFreeSpec has no continuous latent: with the digit enumerated, a step
// draws no noise, so a step over parts must give the whole batch's
// objective and gradients up to the rounding of the sums.
const noiseFreeSpec = `model tiny
data x: image[1, 4, 4]
label digit: categorical[3]
supervise y with digit
net classify = mlp(hidden: [5], out: 3, act: relu)
net render = mlp(hidden: [6], out: 16, act: relu)
encoder {
  y ~ Categorical(logits: classify(flatten(x)))
}
decoder {
  y ~ Categorical(probs: uniform(3))
  x ~ Bernoulli(logits: reshape(render(y), [1, 4, 4]))
}
`

func tinyBatch(r *rand.Rand, lab, unl, size, classes int) Batch {
	y := make([]float32, lab)
	for i := range y {
		y[i] = float32(r.IntN(classes))
	}
	return Batch{Labelled: randImages(r, lab, size), Unlabelled: randImages(r, unl, size), Labels: map[string][]float32{"digit": y}}
}

func checkSource(t *testing.T, src string) *check.Model {
	t.Helper()
	m, err := check.Source("tiny.ssdgm", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestShardsMatchWholeBatch: without noise, Shards of 2 and 4 parts give,
// with one labelled batch and with label sets (labelled.counts),
// the whole batch's loss and gradients within float64 rounding, and a
// second step (after the optimizer zeroed the returned gradients) gives
// the same again: the parts' own buffers were zeroed too.
func TestShardsMatchWholeBatch(t *testing.T) {
	m := checkSource(t, noiseFreeSpec)
	plain := tinyBatch(rand.New(rand.NewPCG(5, 6)), 8, 12, 16, 3)
	sets := plain
	sets.Sets = []SetBatch{{X: plain.Labelled, Labels: plain.Labels}}
	sets.Labelled, sets.Labels = nil, nil
	for _, tc := range []struct {
		name  string
		opts  Options
		batch Batch
	}{
		{"labelled batch", Options{Labelled: 8, Unlabelled: 12, Samples: 1, Alpha: 3, SupWeight: 0.7}, plain},
		{"label sets", Options{Labelled: 8, Unlabelled: 12, Samples: 1, Alpha: 3, Sets: []LabelSet{{Batch: 8, Weight: 0.7}}}, sets},
	} {
		opts, batch := tc.opts, tc.batch
		w, err := NewWeights(m, true, 1)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := Compile(m, w, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer whole.Close()
		want, err := whole.Step(batch, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		wg, err := whole.Grads()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{2, 4} {
			o := opts
			o.Shards = n
			st, err := CompileStep(m, w, o)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := st.(*Shards); !ok {
				t.Fatalf("CompileStep with Shards = %d gave %T", n, st)
			}
			for step := 1; step <= 2; step++ {
				got, err := st.Step(batch, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				if d := math.Abs(got.Loss - want.Loss); d > 1e-12*math.Abs(want.Loss) {
					t.Errorf("%s, shards %d step %d: loss %v, whole batch %v", tc.name, n, step, got.Loss, want.Loss)
				}
				if len(got.Terms) != len(want.Terms) {
					t.Fatalf("shards %d: %d terms, whole batch %d", n, len(got.Terms), len(want.Terms))
				}
				for k, tm := range got.Terms {
					if tm.Name != want.Terms[k].Name || math.Abs(tm.Value-want.Terms[k].Value) > 1e-12*(1+math.Abs(tm.Value)) {
						t.Errorf("shards %d: term %s = %v, whole batch %s = %v", n, tm.Name, tm.Value, want.Terms[k].Name, want.Terms[k].Value)
					}
				}
				gs, err := st.Grads()
				if err != nil {
					t.Fatal(err)
				}
				for i, g := range gs.F64 {
					for j, v := range g {
						if d := math.Abs(v - wg.F64[i][j]); d > 1e-12*(1+math.Abs(v)) {
							t.Fatalf("shards %d step %d: gradient %d[%d] = %v, whole batch %v", n, step, i, j, v, wg.F64[i][j])
						}
					}
					clear(g) // as the optimizer does
				}
			}
			st.Close()
		}
	}
}

// TestShardsDeterministic: a step with noise (the MNIST spec, float32)
// gives the same bits on every run from the same rng state, whatever
// GOMAXPROCS (in the OpenBLAS build: at the same GOMAXPROCS).
func TestShardsDeterministic(t *testing.T) {
	m := loadSpec(t, "../specs/mnist.ssdgm")
	opts := Options{Labelled: 4, Unlabelled: 6, Samples: 1, Alpha: 50, SupWeight: 1, Shards: 2}
	batch := tinyBatch(rand.New(rand.NewPCG(7, 8)), 4, 6, 784, 10)
	run := func(procs int) (Result, []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		w, err := NewWeights(m, false, 1)
		if err != nil {
			t.Fatal(err)
		}
		st, err := CompileStep(m, w, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rng := rand.New(rand.NewPCG(9, 10))
		var res Result
		var flat []float32
		for step := 0; step < 2; step++ {
			if res, err = st.Step(batch, rng); err != nil {
				t.Fatal(err)
			}
			gs, err := st.Grads()
			if err != nil {
				t.Fatal(err)
			}
			flat = flat[:0]
			for _, g := range gs.F32 {
				flat = append(flat, g...)
				clear(g)
			}
		}
		return res, flat
	}
	r2, g2 := run(2)
	r3, g3 := run(2)
	r1, g1 := run(1)
	if strings.HasPrefix(BLAS, "OpenBLAS") {
		// The OpenBLAS build splits each product over GOMAXPROCS blocks,
		// whose sums differ in rounding (blas_openblas_split.go): only runs
		// at the same thread count give the same bits there.
		r1, g1 = r2, g2
	}
	if math.Float64bits(r1.Loss) != math.Float64bits(r2.Loss) || math.Float64bits(r2.Loss) != math.Float64bits(r3.Loss) {
		t.Errorf("losses %v, %v, %v: want the same bits", r1.Loss, r2.Loss, r3.Loss)
	}
	for i := range g1 {
		if math.Float32bits(g1[i]) != math.Float32bits(g2[i]) || math.Float32bits(g2[i]) != math.Float32bits(g3[i]) {
			t.Fatalf("gradient %d: %v, %v, %v: want the same bits", i, g1[i], g2[i], g3[i])
		}
	}
	if math.IsNaN(r1.Loss) || r1.Loss == 0 {
		t.Errorf("loss %v", r1.Loss)
	}
}

// TestShardsNeedDivisibleBatches: a batch size that n does not divide is
// refused with the key to change.
func TestShardsNeedDivisibleBatches(t *testing.T) {
	m := checkSource(t, noiseFreeSpec)
	w, err := NewWeights(m, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lab, unl, shards int
		want             string
	}{
		{8, 9, 2, "unlabelled batch of 9 does not split into 2 equal parts"},
		{10, 12, 4, "labelled batch of 10 does not split into 4 equal parts"},
	} {
		_, err := CompileStep(m, w, Options{Labelled: tc.lab, Unlabelled: tc.unl, Samples: 1, SupWeight: 1, Shards: tc.shards})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "batch.shards") {
			t.Errorf("%+v: error %v, want %q and batch.shards", tc, err, tc.want)
		}
	}
}

package predict

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
)

// twoVars has a discrete and a continuous supervised variable and a free
// latent, like the faces model in small.
const twoVars = `model two
data x: vector[6]
label class: categorical[3]
label dir: real[2]
supervise y with class
supervise l with dir
net cls = linear(out: 3)
net loc = linear(out: 2)
net zl = linear(out: 2)
net dec = linear(out: 6)
encoder {
  y ~ Categorical(logits: cls(x))
  l ~ Normal(loc: loc(x), scale: 0.1)
  z ~ Normal(loc: zl(concat(x, y)), scale: 1)
}
decoder {
  y ~ Categorical(probs: uniform(3))
  l ~ Normal(loc: 0, scale: 1, shape: [2])
  z ~ Normal(loc: 0, scale: 1, shape: [2])
  x ~ Bernoulli(logits: dec(concat(y, l, z)))
}
`

// TestPredictColumns: classes with probabilities, the continuous
// supervised variable's mean per component (its encoder loc, as the
// noise is zero), the latents' means with Latents, one row per input.
func TestPredictColumns(t *testing.T) {
	m, err := check.Source("two.ssdgm", []byte(twoVars))
	if err != nil {
		t.Fatal(err)
	}
	w, err := compiler.NewWeights(m, false, 4)
	if err != nil {
		t.Fatal(err)
	}
	const n = 7
	rng := rand.New(rand.NewPCG(1, 1))
	in := &Inputs{}
	for i := 0; i < n; i++ {
		x := make([]float32, 6)
		for k := range x {
			x[k] = float32(rng.IntN(2))
		}
		in.add("p", x)
	}
	in.add("again", append([]float32(nil), in.X[:6]...)) // the first input again, in another batch row
	opts := compiler.Options{Discrete: map[string]compiler.Discrete{}, Default: compiler.Discrete{Temperature: 0.5}}
	for _, latents := range []bool{false, true} {
		tab, err := Predict(Options{Model: m, Weights: w, Compile: opts, Seed: 1, Latents: latents}, in)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"y", "y_prob", "l_0", "l_1"}
		if latents {
			want = append(want, "z_0", "z_1")
		}
		if got := tab.ColumnNames(); !slices.Equal(got, want) {
			t.Fatalf("columns %v, want %v", got, want)
		}
		if len(tab.Values) != n+1 {
			t.Fatalf("%d rows, want %d", len(tab.Values), n+1)
		}
		for i, row := range tab.Values {
			if c := row[0]; c != math.Trunc(c) || c < 0 || c > 2 || row[1] < 1.0/3-1e-6 || row[1] > 1 {
				t.Errorf("row %d: class %g with probability %g", i, c, row[1])
			}
			for _, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("row %d: %v", i, row)
				}
			}
		}
		// The same input twice gets the same row (zero noise, exact q(y|x)).
		if a, b := tab.Values[0], tab.Values[n]; !slices.Equal(a, b) {
			t.Errorf("the same input predicted %v and %v", a, b)
		}
	}
	if _, err := Predict(Options{Model: m, Weights: w, Compile: opts, Seed: 1}, &Inputs{}); err != nil {
		t.Errorf("no inputs: %v", err)
	}
}

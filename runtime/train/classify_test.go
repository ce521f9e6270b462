package train

import (
	"math/rand/v2"
	"os"
	"testing"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
)

// TestClassifierMatchesEvaluation: the classifier's argmax over a split,
// batch by batch from the evaluation noise, counts exactly the errors the
// evaluation counts, for the M2 order (q(y|x) exact) and the z-first order
// (a 10-sample estimate, so the noise must be the same too).
func TestClassifierMatchesEvaluation(t *testing.T) {
	for _, spec := range []string{"tiny_m2", "tiny_zfirst"} {
		t.Run(spec, func(t *testing.T) {
			src, err := os.ReadFile("../../testdata/specs/good/" + spec + ".ssdgm")
			if err != nil {
				t.Fatal(err)
			}
			m, err := check.Source(spec+".ssdgm", src)
			if err != nil {
				t.Fatal(err)
			}
			w, err := compiler.NewWeights(m, false, 3)
			if err != nil {
				t.Fatal(err)
			}
			cfg := config.Default()
			if err := cfg.Set("discrete.default", "relax"); err != nil {
				t.Fatal(err)
			}
			opts := CompileOptions(m, cfg, 100)
			// 600 points: more than two evaluation batches, the last one short.
			const n = 600
			rng := rand.New(rand.NewPCG(1, 2))
			s := &data.Split{N: n, Shape: [3]int{1, 1, 6}, Images: make([]float32, n*6), Labels: map[string]*data.LabelData{}}
			lab := &data.LabelData{Label: data.Label{Name: "class", Kind: data.Categorical, Classes: 3}, Values: make([]float32, n), Has: make([]bool, n)}
			for i := range s.Images {
				s.Images[i] = float32(rng.IntN(2))
			}
			for i := range lab.Values {
				lab.Values[i], lab.Has[i] = float32(rng.IntN(3)), true
			}
			s.Labels["class"] = lab
			ev, err := newEvaluatorFor(m, w, opts, 5)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ev.split(s, "test", false)
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewClassifier(m, w, opts, 5)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			noise, wrong := c.Noise(), 0
			for start := 0; start < n; start += c.Batch() {
				k := min(c.Batch(), n-start)
				p, err := c.Probs(s.Images[start*6:(start+k)*6], k, noise)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < k; i++ {
					if argmax(p["y"][i*3:(i+1)*3]) != lab.Class(start+i, 0) {
						wrong++
					}
				}
			}
			if got := float64(wrong) / n; got != want["err_test_y"] {
				t.Errorf("classifier error %g, evaluation %g", got, want["err_test_y"])
			}
		})
	}
}

package compiler

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSharedNoise: with SharedNoise every enumerated block of rows of the
// unlabelled branch holds the noise of the first block (per data point and
// sample), for a latent after the enumerated one (M2 order) and one before
// it (z first); without, the blocks hold different draws. The generator
// advances the same either way.
func TestSharedNoise(t *testing.T) {
	const B, S, K = 4, 2, 3 // the tiny specs' y has 3 classes
	for _, spec := range []string{"tiny_m2.ssdgm", "tiny_zfirst.ssdgm"} {
		for _, shared := range []bool{false, true} {
			p, _ := compileTiny(t, spec, Options{Unlabelled: B, Samples: S, SharedNoise: shared})
			x, _ := tinyData(B, 1)
			rng := rand.New(rand.NewPCG(7, 7))
			if _, err := p.Step(Batch{Unlabelled: x}, rng); err != nil {
				t.Fatal(err)
			}
			after := rng.Uint64()
			eps := noiseRows(t, p.brs[0], "unlabelled.eps.z")
			n := len(eps) / K
			if n != S*B*2 {
				t.Fatalf("%s: %d noise values, want %d enumerated blocks of %d", spec, len(eps), K, S*B*2)
			}
			same := true
			for e := 1; e < K; e++ {
				for i := 0; i < n; i++ {
					same = same && eps[e*n+i] == eps[i]
				}
			}
			if same != shared {
				t.Errorf("%s, shared %v: enumerated blocks equal: %v", spec, shared, same)
			}
			if want := rand.New(rand.NewPCG(7, 7)); shared {
				// The same number of draws as without sharing.
				q, _ := compileTiny(t, spec, Options{Unlabelled: B, Samples: S})
				if _, err := q.Step(Batch{Unlabelled: x}, want); err != nil {
					t.Fatal(err)
				}
				if want.Uint64() != after {
					t.Errorf("%s: sharing changes how far the generator advances", spec)
				}
			}
		}
	}
}

// TestSharedNoiseVariance measures, at fixed weights and batch, the
// variance over noise draws of the unlabelled loss and of the gradients
// of the classifier and of the other networks, with and without shared
// noise, on the tiny M2 spec, and logs the ratios (shared / independent).
// It only checks that both estimators have the same mean within their
// noise (sharing must not bias the objective).
func TestSharedNoiseVariance(t *testing.T) {
	const B, S, draws = 8, 1, 400
	x, _ := tinyData(B, 2)
	type stats struct{ loss, lossSq, gClass, gOther float64 }
	measure := func(shared bool) stats {
		p, _ := compileTiny(t, "tiny_m2.ssdgm", Options{Unlabelled: B, Samples: S, SharedNoise: shared})
		names := p.w.Params.List()
		var st stats
		var sum, sumSq [][]float64
		for k := 0; k < draws; k++ {
			res, err := p.Step(Batch{Unlabelled: x}, rand.New(rand.NewPCG(uint64(k), 99)))
			if err != nil {
				t.Fatal(err)
			}
			st.loss += res.Loss
			st.lossSq += res.Loss * res.Loss
			grads, err := p.Grads()
			if err != nil {
				t.Fatal(err)
			}
			if sum == nil {
				sum, sumSq = make([][]float64, grads.Len()), make([][]float64, grads.Len())
			}
			for i, g := range grads.F64 {
				if sum[i] == nil {
					sum[i], sumSq[i] = make([]float64, len(g)), make([]float64, len(g))
				}
				for j, v := range g {
					sum[i][j] += v
					sumSq[i][j] += v * v
					g[j] = 0 // Step accumulates
				}
			}
		}
		for i := range sum {
			v := 0.0
			for j := range sum[i] {
				m := sum[i][j] / draws
				v += sumSq[i][j]/draws - m*m
			}
			if strings.Contains(names[i].Name, "classify") {
				st.gClass += v
			} else {
				st.gOther += v
			}
		}
		return st
	}
	ind, sh := measure(false), measure(true)
	mi, ms := ind.loss/draws, sh.loss/draws
	vi, vs := ind.lossSq/draws-mi*mi, sh.lossSq/draws-ms*ms
	t.Logf("loss: mean %.4f vs %.4f, variance independent %.4g, shared %.4g (ratio %.3f)", mi, ms, vi, vs, vs/vi)
	t.Logf("classifier gradient variance: independent %.4g, shared %.4g (ratio %.3f)", ind.gClass, sh.gClass, sh.gClass/ind.gClass)
	t.Logf("other gradients' variance: independent %.4g, shared %.4g (ratio %.3f)", ind.gOther, sh.gOther, sh.gOther/ind.gOther)
	if se := math.Sqrt(vi/draws + vs/draws); math.Abs(mi-ms) > 5*se {
		t.Errorf("mean loss %v independent, %v shared: more than 5 standard errors (%v) apart", mi, ms, se)
	}
}

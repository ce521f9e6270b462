//go:build !(openblas && cgo)

// The golden numbers are those of the pure-Go build (gonum BLAS); the
// OpenBLAS build sums in another order.

package train

import (
	"flag"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/optim"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_steps.txt from this build")

// goldenSteps is how many seeded training steps each case runs.
const goldenSteps = 3

// goldenCase is one spec trained under one setting.
type goldenCase struct {
	spec string            // file under specs/
	set  map[string]string // config overrides on top of the spec's .yaml
}

func (c goldenCase) name() string {
	parts := []string{strings.TrimSuffix(c.spec, ".ssdgm")}
	for _, k := range sortedKeys(c.set) {
		parts = append(parts, k+"="+c.set[k])
	}
	return strings.Join(parts, " ")
}

// goldenCases covers every shipped spec in both dtypes, and the relaxed
// path of the MNIST model.
func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	specs, err := filepath.Glob("../../specs/*.ssdgm")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs found: %v", err)
	}
	var cs []goldenCase
	for _, p := range specs {
		for _, dt := range []string{"float64", "float32"} {
			c := goldenCase{spec: filepath.Base(p), set: map[string]string{"dtype": dt}}
			if c.spec == "faces.ssdgm" {
				// Enumerating 38 identities multiplies the batch by 38.
				c.set["batch.unlabelled"] = "1"
			}
			cs = append(cs, c)
		}
	}
	cs = append(cs, goldenCase{spec: "mnist.ssdgm", set: map[string]string{"dtype": "float64", "discrete.default": "relax"}})
	return cs
}

// TestGoldenSteps pins the training numbers: for every shipped spec it
// runs a few seeded steps (synthetic data, small batches, Adam) and compares
// each step's loss and every parameter's checksum with
// testdata/golden_steps.txt. float64 runs must match bit for bit (a
// refactoring must not change a single number); float32 runs within the
// tolerances of float32Tol, so that kernels may reorder float32 sums. Rewrite the file
// with `go test ./runtime/train -run TestGoldenSteps -update` only for a
// change that is meant to change the numbers, and say why in the commit.
func TestGoldenSteps(t *testing.T) {
	var got strings.Builder
	for _, c := range goldenCases(t) {
		fmt.Fprintf(&got, "case %s\n", c.name())
		start := time.Now()
		lines, err := goldenRun(c)
		t.Logf("%s: %v", c.name(), time.Since(start))
		if err != nil {
			t.Errorf("%s: %v", c.name(), err)
			continue
		}
		for _, l := range lines {
			fmt.Fprintln(&got, l)
		}
	}
	path := filepath.Join("testdata", "golden_steps.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	compareGolden(t, string(want), got.String())
}

// goldenRun trains case c for goldenSteps steps and returns its lines:
// "step K loss L" per step, then "param NAME n=… sum=… abs=… fnv=…" per
// parameter.
func goldenRun(c goldenCase) ([]string, error) {
	src, err := os.ReadFile(filepath.Join("../../specs", c.spec))
	if err != nil {
		return nil, err
	}
	m, err := check.Source(c.spec, src)
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	if yaml := filepath.Join("../../specs", strings.TrimSuffix(c.spec, ".ssdgm")+".yaml"); fileExists(yaml) {
		if cfg, err = config.Load(yaml); err != nil {
			return nil, err
		}
	}
	set := map[string]string{"batch.labelled": "3", "batch.unlabelled": "4", "samples": "1", "seed": "7"}
	for k, v := range c.set {
		set[k] = v
	}
	for _, k := range sortedKeys(set) {
		if err := cfg.Set(k, set[k]); err != nil {
			return nil, err
		}
	}
	if cfg.Labelled.Count == 0 {
		cfg.Labelled.Count = 10
	}
	opts := CompileOptions(m, cfg, 1000)
	w, err := compiler.NewWeights(m, cfg.Dtype == "float64", uint64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	prog, err := compiler.Compile(m, w, opts)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	opt, err := NewOptimizer(w, optim.Config{LR: cfg.Optimizer.LR, Beta1: cfg.Optimizer.Beta1, Beta2: cfg.Optimizer.Beta2, Eps: cfg.Optimizer.Eps})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x676f6c64))
	var lines []string
	for k := 1; k <= goldenSteps; k++ {
		res, err := prog.Step(SyntheticBatch(m, opts, rng), rng)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", k, err)
		}
		gs, err := prog.Grads()
		if err != nil {
			return nil, err
		}
		if err := opt.Step(gs); err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprintf("step %d loss %s", k, fmtFloat(res.Loss)))
	}
	for _, p := range w.Params.List() {
		vals := p.F64()
		for _, v := range p.F32() {
			vals = append(vals, float64(v))
		}
		h := fnv.New64a()
		var sum, abs float64
		for _, v := range vals {
			sum += v
			abs += math.Abs(v)
			b := math.Float64bits(v)
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24), byte(b >> 32), byte(b >> 40), byte(b >> 48), byte(b >> 56)})
		}
		lines = append(lines, fmt.Sprintf("param %s n=%d sum=%s abs=%s fnv=%016x", p.Name, len(vals), fmtFloat(sum), fmtFloat(abs), h.Sum64()))
	}
	return lines, nil
}

// compareGolden compares the rendered runs case by case: float64 cases
// line for line, float32 cases with the numbers within a relative 1e-3 and
// the hashes ignored.
func compareGolden(t *testing.T, want, got string) {
	t.Helper()
	wc, gc := splitCases(want), splitCases(got)
	for name := range wc {
		if _, ok := gc[name]; !ok {
			t.Errorf("case %q of the golden file no longer runs", name)
		}
	}
	for _, name := range sortedKeys(gc) {
		w, ok := wc[name]
		if !ok {
			t.Errorf("case %q is not in the golden file (run with -update)", name)
			continue
		}
		g := gc[name]
		if len(w) != len(g) {
			t.Errorf("%s: %d lines, golden has %d", name, len(g), len(w))
			continue
		}
		exact := strings.Contains(name, "dtype=float64")
		for i := range w {
			if w[i] == g[i] {
				continue
			}
			if exact || !closeLine(w[i], g[i], float32Tol(w[i])) {
				t.Errorf("%s:\n got  %s\n want %s", name, g[i], w[i])
			}
		}
	}
}

// float32Tol is the relative tolerance of a float32 golden line. The first
// step's loss comes before any update, so it differs only by the rounding of
// reordered sums (a matrix kernel that adds in another order: vek's AVX2
// kernel on CPUs that have it, gonum's elsewhere): 1e-4. Later losses and the
// parameters come after Adam steps, which divide each gradient by its own
// running scale and so turn a rounding-level change of a near-zero gradient
// into a learning-rate-sized change of its parameter: 2e-2 of the value (or
// of 1, for values near zero). float64 lines stay bit for bit.
func float32Tol(line string) float64 {
	if strings.HasPrefix(line, "step 1 ") {
		return 1e-4
	}
	return 2e-2
}

// closeLine reports whether two lines have the same words, numbers within
// relative tol of each other, fnv hashes ignored.
func closeLine(a, b string, tol float64) bool {
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) != len(wb) {
		return false
	}
	for i := range wa {
		if wa[i] == wb[i] {
			continue
		}
		ka, va, hasA := strings.Cut(wa[i], "=")
		kb, vb, hasB := strings.Cut(wb[i], "=")
		if hasA != hasB || hasA && ka != kb {
			return false
		}
		if !hasA {
			va, vb = wa[i], wb[i] // a bare number, such as a step's loss
		}
		if ka == "fnv" || ka == "sum" && hasA {
			// The hash changes with any rounding; a parameter's plain sum
			// cancels to near zero and moves by whole units when Adam
			// amplifies rounding, so float32 lines compare n and abs.
			continue
		}
		x, err1 := strconv.ParseFloat(va, 64)
		y, err2 := strconv.ParseFloat(vb, 64)
		if err1 != nil || err2 != nil || math.Abs(x-y) > tol*math.Max(1, math.Max(math.Abs(x), math.Abs(y))) {
			return false
		}
	}
	return true
}

func splitCases(s string) map[string][]string {
	out := map[string][]string{}
	var cur string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if name, ok := strings.CutPrefix(l, "case "); ok {
			cur = name
			out[cur] = nil
			continue
		}
		out[cur] = append(out[cur], l)
	}
	return out
}

// fmtFloat is the shortest decimal that reads back as the same float64.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// TestCloseLine pins how float32 golden lines are compared: bare numbers
// (a step's loss) within the tolerance and not beyond it, a parameter's abs
// within it, its plain sum and hash ignored, different words never equal.
func TestCloseLine(t *testing.T) {
	for _, c := range []struct {
		a, b string
		tol  float64
		want bool
	}{
		{"step 1 loss 38371.53125", "step 1 loss 38371.53515625", 1e-4, true},
		{"step 1 loss 38371.5", "step 1 loss 38390.5", 1e-4, false},
		{"step 3 loss 43870.5", "step 3 loss 44219.1", 2e-2, true},
		{"param w n=4 sum=-40.9 abs=26556.7 fnv=aa", "param w n=4 sum=-19.4 abs=26557.0 fnv=bb", 1e-3, true},
		{"param w n=4 sum=1 abs=100", "param w n=4 sum=1 abs=150", 2e-2, false},
		{"param w n=4 sum=1 abs=100", "param v n=4 sum=1 abs=100", 2e-2, false},
		{"param w n=4 abs=100", "param w n=5 abs=100", 1e-3, false},
	} {
		if got := closeLine(c.a, c.b, c.tol); got != c.want {
			t.Errorf("closeLine(%q, %q, %g) = %v, want %v", c.a, c.b, c.tol, got, c.want)
		}
	}
}

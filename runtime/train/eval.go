package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/data"
)

// evalBatch is the most data points evaluated per run of an evaluation
// graph; evalRows bounds the rows (points × samples × enumerated values)
// of the ELBO graph, so a model that enumerates many values (38 identities
// for Yale B) evaluates smaller batches instead of exhausting memory.
const (
	evalBatch = 250
	evalRows  = 2500
)

// evalBatchFor returns the evaluation batch size for m under opts.
func evalBatchFor(m *check.Model, opts compiler.Options) int {
	rows := max(opts.Samples, 1)
	for _, v := range m.Vars {
		d, ok := opts.Discrete[v.Name]
		if !ok {
			d = opts.Default
		}
		if v.Kind != check.Discrete || d.Relax {
			continue
		}
		for i := 0; i < max(v.Slots, 1) && rows <= evalRows; i++ {
			rows *= v.Classes
		}
	}
	return min(evalBatch, max(10, evalRows/rows))
}

// evaluator measures classification error (argmax of q(y|x) for each
// discrete supervised variable) and the ELBO on a split.
type evaluator struct {
	seed     int64               // seeds the noise of every evaluation afresh
	classify *compiler.Evaluator // encoder only
	full     *compiler.Evaluator // encoder and decoder, for the ELBO
	vars     []*check.Var
	dirs     []*check.Var        // continuous supervised directions (directionVars)
	counts   map[*check.Var]bool // vars that count a repeat's slots: accuracy too
	slotVars []*check.Var        // supervised discrete variables of a repeat
	buf      []float32
	batch    int // data points per evaluation run
}

// samplesFor returns how many samples estimate q(y|x): one when every
// class variable is at the root of the encoder (q(y|x) is exact), else 10
// samples of the latents before it, averaged.
func samplesFor(m *check.Model, vars []*check.Var) int {
	for _, v := range vars {
		if dependsOnLatent(v.Enc, map[*check.Node]bool{}) {
			return 10
		}
	}
	return 1
}

func dependsOnLatent(n *check.Node, seen map[*check.Node]bool) bool {
	for _, d := range n.Deps {
		if seen[d] {
			continue
		}
		seen[d] = true
		if d.Op == check.Sample || dependsOnLatent(d, seen) {
			return true
		}
	}
	return false
}

func newEvaluator(t *trainer) (*evaluator, error) {
	return newEvaluatorFor(t.m, t.w, CompileOptions(t.m, t.cfg, t.train.N), t.cfg.Seed)
}

// newEvaluatorFor builds the evaluation programs of m over w with the
// discrete handling and samples of opts; seed seeds each evaluation's noise.
func newEvaluatorFor(m *check.Model, w *compiler.Weights, opts compiler.Options, seed int64) (*evaluator, error) {
	e := &evaluator{seed: seed, batch: evalBatchFor(m, opts), counts: repeatCounts(m)}
	for _, v := range m.Vars {
		if v.Role == check.Supervised && v.Kind == check.Discrete {
			if v.Slots == 0 {
				e.vars = append(e.vars, v)
			} else {
				e.slotVars = append(e.slotVars, v)
			}
		}
	}
	e.dirs = directionVars(m)
	var err error
	if len(e.vars)+len(e.slotVars)+len(e.dirs) > 0 {
		all := append(append(slices.Clone(e.vars), e.slotVars...), e.dirs...)
		if e.classify, err = compiler.NewEvaluator(m, w, e.batch, samplesFor(m, all), opts, false); err != nil {
			return nil, err
		}
	}
	if e.full, err = compiler.NewEvaluator(m, w, e.batch, opts.Samples, opts, true); err != nil {
		return nil, err
	}
	return e, nil
}

// repeatCounts returns the variables that are the count of a repeat.
func repeatCounts(m *check.Model) map[*check.Var]bool {
	out := map[*check.Var]bool{}
	for _, b := range []*check.Graph{m.Encoder, m.Decoder} {
		if b == nil {
			continue
		}
		for _, st := range b.Steps {
			if st.Repeat == nil {
				continue
			}
			if r, ok := st.Repeat.Count.(*check.Ref); ok && r.Node.Var != nil {
				out[r.Node.Var] = true
			}
		}
	}
	return out
}

// split evaluates a split: err_<split>_<var> for each class variable,
// acc_<split>_<label> (1 − error) for a variable that counts a repeat's
// slots (count accuracy, as the paper reports for multi-MNIST), and for a
// supervised discrete variable of a repeat acc_<split>_<label>: the share
// of the true values of the present slots that the argmax predictions of
// the same number of slots match, as unordered sets (the encoder may fill
// its slots in any order); angle_<split>_<var> and cos_<split>_<var> for
// each direction variable (see angular); and, with elbo, elbo_<split> (the
// mean ELBO per data point, in nats). The
// noise comes from a generator seeded afresh for every evaluation, so
// evaluating never changes the training's random stream.
func (e *evaluator) split(s *data.Split, name string, elbo bool) (map[string]float64, error) {
	out := map[string]float64{}
	if s == nil || s.N == 0 {
		return out, nil
	}
	rng := rand.New(rand.NewPCG(uint64(e.seed), evalNoise))
	d := s.ImageSize()
	wrong := make([]int, len(e.vars))
	angles := make([]float64, len(e.dirs))
	cosd := make([]float64, len(e.dirs))
	matched, present := make([]int, len(e.slotVars)), make([]int, len(e.slotVars))
	elboSum := 0.0
	for start := 0; start < s.N; start += e.batch {
		n := min(e.batch, s.N-start)
		e.buf = e.buf[:0]
		for i := 0; i < e.batch; i++ {
			j := start + min(i, n-1) // pad the last batch by repeating its last point
			e.buf = append(e.buf, s.Images[j*d:(j+1)*d]...)
		}
		if e.classify != nil {
			res, err := e.classify.Run(e.buf, rng)
			if err != nil {
				return nil, err
			}
			for k, v := range e.vars {
				probs := res.Probs[v.Name]
				ld := s.Labels[v.Label.Name]
				for i := 0; i < n; i++ {
					if argmax(probs[i*v.Classes:(i+1)*v.Classes]) != ld.Class(start+i, 0) {
						wrong[k]++
					}
				}
			}
			for k, v := range e.dirs {
				mean := res.Means[v.Name]
				ld := s.Labels[v.Label.Name]
				dim := v.Shape.Size()
				for i := 0; i < n; i++ {
					j := start + i
					a, c := angular(mean[i*dim:(i+1)*dim], ld.Values[j*dim:(j+1)*dim])
					angles[k] += a
					cosd[k] += c
				}
			}
			for k, v := range e.slotVars {
				m, n, err := slotMatches(res.Probs, v, s.Labels[v.Label.Name], start, n)
				if err != nil {
					return nil, err
				}
				matched[k] += m
				present[k] += n
			}
		}
		if elbo {
			res, err := e.full.Run(e.buf, rng)
			if err != nil {
				return nil, err
			}
			for i := 0; i < n; i++ {
				elboSum += res.ELBO[i]
			}
		}
	}
	for k, v := range e.vars {
		out[fmt.Sprintf("err_%s_%s", name, v.Name)] = float64(wrong[k]) / float64(s.N)
		if e.counts[v] {
			out[fmt.Sprintf("acc_%s_%s", name, v.Label.Name)] = 1 - float64(wrong[k])/float64(s.N)
		}
	}
	for k, v := range e.slotVars {
		if present[k] > 0 {
			out[fmt.Sprintf("acc_%s_%s", name, v.Label.Name)] = float64(matched[k]) / float64(present[k])
		}
	}
	for k, v := range e.dirs {
		out[fmt.Sprintf("angle_%s_%s", name, v.Name)] = angles[k] / float64(s.N)
		out[fmt.Sprintf("cos_%s_%s", name, v.Name)] = cosd[k] / float64(s.N)
	}
	if elbo {
		out["elbo_"+name] = elboSum / float64(s.N)
	}
	return out, nil
}

// directionVars returns the continuous supervised variables outside
// repeats with at least two components (a lighting direction): their error
// is the angle between the encoder's mean and the label.
func directionVars(m *check.Model) []*check.Var {
	var out []*check.Var
	for _, v := range m.Vars {
		if v.Role == check.Supervised && v.Kind != check.Discrete && v.Slots == 0 && v.Shape.Size() >= 2 && v.Label != nil {
			out = append(out, v)
		}
	}
	return out
}

// angular returns the angle in degrees between the predicted vector pred
// and the true one want, and the cosine distance 1 − cos θ (0 when they
// point the same way, 1 at right angles, 2 opposite). A zero vector is at
// right angles to everything.
func angular(pred []float64, want []float32) (deg, cosDist float64) {
	var dot, pp, ww float64
	for i, p := range pred {
		w := float64(want[i])
		dot += p * w
		pp += p * p
		ww += w * w
	}
	c := 0.0
	if pp > 0 && ww > 0 {
		c = max(-1, min(1, dot/math.Sqrt(pp*ww)))
	}
	return math.Acos(c) * 180 / math.Pi, 1 - c
}

// slotMatches counts, over points start … start+n−1, the present slots of
// label ld (class ≥ 0) and how many of their classes the argmax predictions
// of v's first slots (as many as are present) match as multisets.
func slotMatches(probs map[string][]float64, v *check.Var, ld *data.LabelData, start, n int) (matched, present int, err error) {
	if ld == nil {
		return 0, 0, fmt.Errorf("evaluating %s: the split has no label %q", v.Name, v.Label.Name)
	}
	slots := make([][]float64, v.Slots)
	for j := range slots {
		if slots[j] = probs[fmt.Sprintf("%s[%d]", v.Name, j)]; slots[j] == nil {
			return 0, 0, fmt.Errorf("evaluating %s: no probabilities for slot %d", v.Name, j)
		}
	}
	truth := make([]int, v.Classes)
	for i := 0; i < n; i++ {
		clear(truth)
		c := 0
		for j := 0; j < v.Slots; j++ {
			if y := ld.Class(start+i, j); y >= 0 && y < v.Classes {
				truth[y]++
				c++
			}
		}
		present += c
		for j := 0; j < c; j++ {
			if y := argmax(slots[j][i*v.Classes : (i+1)*v.Classes]); truth[y] > 0 {
				truth[y]--
				matched++
			}
		}
	}
	return matched, present, nil
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// formatMetrics prints metrics as `name value` pairs in a fixed order,
// errors and cosine distances as percentages, angles in degrees.
func formatMetrics(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "epoch" && k != "step" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := m[k]
		switch {
		case strings.HasPrefix(k, "err_"), strings.HasPrefix(k, "cos_"), strings.HasPrefix(k, "acc_"):
			fmt.Fprintf(&b, "  %s %.2f%%", k, 100*v)
		case strings.HasPrefix(k, "angle_"):
			fmt.Fprintf(&b, "  %s %.2f°", k, v)
		case k == "seconds":
			fmt.Fprintf(&b, "  %.1fs", v)
		default:
			fmt.Fprintf(&b, "  %s %.4g", k, v)
		}
	}
	return strings.TrimSpace(b.String())
}

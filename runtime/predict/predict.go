package predict

import (
	"fmt"
	"math/rand/v2"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/train"
)

// Options say what to predict with.
type Options struct {
	Model   *check.Model
	Weights *compiler.Weights
	Compile compiler.Options // the run's train.CompileOptions
	Seed    int64            // the run's seed: evaluation's noise
	Latents bool             // also the means of the unsupervised continuous latents
	// Progress, when set, is called after each batch with the points done.
	Progress func(done, total int)
}

// Column is one output column.
type Column struct {
	Name string // y, y_prob, light_0, z_3, ...
	Var  string // the variable it belongs to
	Kind string // "class", "prob" or "mean"
}

// Table holds the predictions: Values[i] are input i's values in Columns
// order (classes as whole numbers).
type Table struct {
	Columns []Column
	Names   []string
	Values  [][]float64
}

// Predict runs the encoder over the inputs in batches: for every discrete
// supervised variable the argmax of q(y | x) and its probability, computed
// as evaluation computes them (train.Classifier); for every continuous
// supervised variable (and with Latents every continuous unsupervised
// latent) the encoder's mean, with the noise at zero.
func Predict(opt Options, in *Inputs) (*Table, error) {
	m := opt.Model
	cl, err := train.NewClassifier(m, opt.Weights, opt.Compile, opt.Seed)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	t := &Table{Names: in.Names, Values: make([][]float64, in.N())}
	for _, v := range cl.Vars() {
		t.Columns = append(t.Columns, Column{v.Name, v.Name, "class"}, Column{v.Name + "_prob", v.Name, "prob"})
	}
	var means []*check.Var
	for _, v := range m.Vars {
		if v.Kind != check.Continuous || v.Slots > 0 {
			continue
		}
		if v.Role == check.Supervised || (opt.Latents && v.Role == check.Latent) {
			means = append(means, v)
		}
	}
	dims := map[string]int{}
	for _, v := range means {
		dims[v.Name] = v.Shape.Size()
		for k := 0; k < dims[v.Name]; k++ {
			name := v.Name
			if dims[v.Name] > 1 {
				name = fmt.Sprintf("%s_%d", v.Name, k)
			}
			t.Columns = append(t.Columns, Column{name, v.Name, "mean"})
		}
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("%s has no supervised variable to predict (pass --latents for the latents' means)", m.Name)
	}
	var enc *compiler.Encoder
	B := cl.Batch()
	if len(means) > 0 {
		if enc, err = compiler.NewEncoder(m, opt.Weights, B, opt.Compile, false); err != nil {
			return nil, err
		}
		defer enc.Close()
	}
	d := len(in.X) / max(in.N(), 1)
	noise := cl.Noise()
	zero := rand.New(rand.NewPCG(0, 0)) // unused: the encoder's noise is zero
	xb := make([]float32, B*d)
	for start := 0; start < in.N(); start += B {
		n := min(B, in.N()-start)
		x := in.X[start*d : (start+n)*d]
		probs, err := cl.Probs(x, n, noise)
		if err != nil {
			return nil, err
		}
		var got map[string][]float32
		if enc != nil {
			for i := 0; i < B; i++ {
				j := min(i, n-1)
				copy(xb[i*d:(i+1)*d], x[j*d:(j+1)*d])
			}
			if got, err = enc.Run(xb, nil, zero, true); err != nil {
				return nil, err
			}
		}
		for i := 0; i < n; i++ {
			row := make([]float64, 0, len(t.Columns))
			for _, v := range cl.Vars() {
				p := probs[v.Name][i*v.Classes : (i+1)*v.Classes]
				k := argmax(p)
				row = append(row, float64(k), p[k])
			}
			for _, v := range means {
				vals := got[v.Name]
				w := dims[v.Name]
				if len(vals) < (i+1)*w {
					return nil, fmt.Errorf("predict: the encoder gave no mean for %s", v.Name)
				}
				for _, f := range vals[i*w : (i+1)*w] {
					row = append(row, float64(f))
				}
			}
			t.Values[start+i] = row
		}
		if opt.Progress != nil {
			opt.Progress(start+n, in.N())
		}
	}
	return t, nil
}

// argmax returns the first index of the largest value, as evaluation
// counts errors.
func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

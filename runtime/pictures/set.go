package pictures

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/lang/diag"
	"ssdgm/runtime/ckpt"
)

// ParseSet parses a "var=value" setting of a latent variable of m: a
// class index for a discrete variable (0 to Classes-1, returned one-hot),
// comma-separated reals for a continuous one (as many as its size). A bad
// name or value gives an error that says what is wanted, with a "did you
// mean" for a misspelt name. Variables inside a repeat cannot be set.
func ParseSet(m *check.Model, setting string) (string, []float32, error) {
	name, val, ok := strings.Cut(setting, "=")
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if !ok || name == "" {
		return "", nil, fmt.Errorf("want var=value, e.g. y=7")
	}
	var latents []string
	for _, v := range m.Vars {
		if v.Role != check.Data {
			latents = append(latents, v.Name)
		}
	}
	v := m.Var(name)
	switch {
	case v != nil && v.Role == check.Data:
		return "", nil, fmt.Errorf("%q is the data of %s, not a latent variable (its latents: %s)", name, m.Name, strings.Join(latents, ", "))
	case v == nil:
		if s := diag.DidYouMean(name, latents); s != "" {
			return "", nil, fmt.Errorf("%s has no latent variable %q; %s", m.Name, name, s)
		}
		return "", nil, fmt.Errorf("%s has no latent variable %q (its latents: %s)", m.Name, name, strings.Join(latents, ", "))
	}
	decl := ""
	if v.Dec != nil && v.Dec.Pos.IsValid() {
		decl = " (" + v.Dec.Pos.String() + ")"
	}
	if v.Slots > 0 {
		return "", nil, fmt.Errorf("%s lives inside a repeat%s (one value per slot) and cannot be set", name, decl)
	}
	if v.Kind == check.Discrete {
		k, err := strconv.Atoi(val)
		if err != nil || k < 0 || k >= v.Classes {
			return "", nil, fmt.Errorf("%s is categorical over %d classes%s: want a class index 0..%d, got %q", name, v.Classes, decl, v.Classes-1, val)
		}
		oh := make([]float32, v.Classes)
		oh[k] = 1
		return name, oh, nil
	}
	size := v.Shape.Size()
	parts := strings.Split(val, ",")
	out := make([]float32, 0, len(parts))
	for _, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			out = nil
			break
		}
		out = append(out, float32(x))
	}
	if len(out) != size {
		example := strings.TrimSuffix(strings.Repeat("0,", size), ",")
		return "", nil, fmt.Errorf("%s is a real vector of %d values%s: want %d comma-separated numbers such as %s, got %q", name, size, decl, size, example, val)
	}
	return name, out, nil
}

// LoadCheckpoint copies a checkpoint's parameters into w by name, checking
// that every parameter is there with the model's shape. (runtime/train
// does the same for ssdgm eval; it does not export it.)
func LoadCheckpoint(w *compiler.Weights, c *ckpt.Checkpoint) error {
	list := w.Params.List()
	if len(c.Params) != len(list) {
		return fmt.Errorf("holds %d parameters, the model has %d", len(c.Params), len(list))
	}
	for _, p := range list {
		t, ok := c.Param(p.Name)
		if !ok {
			return fmt.Errorf("has no parameter %s", p.Name)
		}
		if !slices.Equal(t.Shape, p.Shape) {
			return fmt.Errorf("parameter %s has shape %v, the model %v", p.Name, t.Shape, p.Shape)
		}
		if err := ckpt.CopyInto(p, t); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	return nil
}

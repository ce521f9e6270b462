package check

import "sort"

// ParamStyle is how a distribution family takes its parameters.
type ParamStyle int

const (
	// LocScale: loc and scale (required, positional, broadcast against each
	// other) and an optional shape.
	LocScale ParamStyle = iota
	// LogitsOrProbs: exactly one of logits: or probs:.
	LogitsOrProbs
)

// Family is what the checker knows of a distribution family: how it takes
// its parameters, the kind of its value and where it may be drawn. Each
// family lives in its own file (dist_*.go) beside its compiler side in
// compiler/dist; families lists them all. The checker, the compile listing
// and the DOT picture read only this table.
type Family struct {
	Name   string
	Params ParamStyle
	// Value is the kind of a draw: Continuous, or Discrete (one-hot).
	Value Kind
	// Classes: the parameter is a vector of at least 2 class scores.
	Classes bool
	// DataOnly, when not empty, says the family has no reparameterised
	// sampler, so only the data may be drawn from it; it is the suggestion
	// for a latent drawn from it.
	DataOnly string
}

// families returns every distribution family, in the order messages list
// them.
func families() []Family {
	return []Family{normalFamily(), laplaceFamily(), bernoulliFamily(), categoricalFamily(), contBernFamily()}
}

// LookupFamily returns the family called name.
func LookupFamily(name string) (Family, bool) {
	for _, f := range families() {
		if f.Name == name {
			return f, true
		}
	}
	return Family{}, false
}

// DistNames returns the distribution names, sorted.
func DistNames() []string {
	var out []string
	for _, f := range families() {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

func isDist(name string) bool {
	_, ok := LookupFamily(name)
	return ok
}

// locScaleNames returns the location-scale families, in table order.
func locScaleNames() []string {
	var out []string
	for _, f := range families() {
		if f.Params == LocScale {
			out = append(out, f.Name)
		}
	}
	return out
}

// ReparamNames returns the families whose latents are reparameterised with
// standard noise ε, as loc + scale·ε, in table order: the latents whose
// noise the run config's discrete.shared_noise shares.
func ReparamNames() []string {
	var out []string
	for _, f := range families() {
		if f.Params == LocScale && f.DataOnly == "" {
			out = append(out, f.Name)
		}
	}
	return out
}

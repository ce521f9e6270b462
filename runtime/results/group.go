package results

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
)

// Stat is the mean and sample standard deviation of one metric over the
// runs of a group that have it.
type Stat struct {
	N      int       // runs with a value
	Mean   float64   // mean of Values
	Std    float64   // sample standard deviation (n−1); NaN for one value
	Values []float64 // per run, in the group's run order (NaN where absent)
}

// MarshalJSON writes the standard deviation of a single value as null.
func (s Stat) MarshalJSON() ([]byte, error) {
	type out struct {
		N      int        `json:"n"`
		Mean   *float64   `json:"mean"`
		Std    *float64   `json:"std"`
		Values []*float64 `json:"values"`
	}
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	o := out{N: s.N, Mean: num(s.Mean), Std: num(s.Std)}
	for _, v := range s.Values {
		o.Values = append(o.Values, num(v))
	}
	if s.N == 0 {
		o.Mean = nil
	}
	return json.Marshal(o)
}

func newStat(vals []float64) Stat {
	s := Stat{Values: vals, Mean: math.NaN(), Std: math.NaN()}
	sum := 0.0
	for _, v := range vals {
		if !math.IsNaN(v) {
			s.N++
			sum += v
		}
	}
	if s.N == 0 {
		return s
	}
	s.Mean = sum / float64(s.N)
	if s.N > 1 {
		ss := 0.0
		for _, v := range vals {
			if !math.IsNaN(v) {
				ss += (v - s.Mean) * (v - s.Mean)
			}
		}
		s.Std = math.Sqrt(ss / float64(s.N-1))
	}
	return s
}

// Row is one line of the results table: a group of finished runs that
// differ only in seed, or one run that is not finished (Status says
// which).
type Row struct {
	Spec        string            `json:"spec"`   // the model name (with a spec hash where two specs share it)
	Config      map[string]string `json:"config"` // the values of Summary.Keys
	Status      string            `json:"status"`
	Note        string            `json:"note,omitempty"`
	Runs        []string          `json:"runs"`
	Seeds       []int64           `json:"seeds"`
	Final       map[string]Stat   `json:"final"`                 // test metrics at the last epoch
	Best        map[string]Stat   `json:"best_val,omitempty"`    // test metrics at the best validation epoch
	BestEpochs  []int             `json:"best_epochs,omitempty"` // that epoch, per run
	Epochs      []int             `json:"epochs"`                // epochs done, per run
	Steps       []int64           `json:"steps"`                 // steps done, per run
	WallSeconds []float64         `json:"wall_seconds"`          // start to end, per run (0 where unknown)
	group       []*Run
}

// Summary is a results table.
type Summary struct {
	Keys    []string `json:"keys"`     // config keys whose values differ between rows
	Metrics []string `json:"metrics"`  // test-metric columns, in first-seen order
	Best    bool     `json:"best_val"` // some run has test metrics at a best epoch before its last
	Val     string   `json:"val"`      // the column the best epoch minimises (or maximises, for elbo_val)
	Rows    []Row    `json:"rows"`
}

// Summarise groups runs and computes each group's statistics. Groups come
// in the order of their first run; runs that are not Done get a row each,
// after the group their settings belong to would come.
func Summarise(rs []*Run) *Summary {
	s := &Summary{}
	var rows []Row
	index := map[string]int{}
	for _, r := range rs {
		for _, c := range r.TestMetrics() {
			if !slices.Contains(s.Metrics, c) {
				s.Metrics = append(s.Metrics, c)
			}
		}
		if s.Val == "" {
			s.Val, _ = r.ValColumn()
		}
		if r.Status != Done {
			rows = append(rows, Row{Status: r.Status, Note: r.Note, group: []*Run{r}})
			continue
		}
		k := r.groupKey()
		if i, ok := index[k]; ok {
			rows[i].group = append(rows[i].group, r)
			continue
		}
		index[k] = len(rows)
		rows = append(rows, Row{Status: Done, group: []*Run{r}})
	}
	s.Keys = differing(rs)
	names := specNames(rs)
	for i := range rows {
		row := &rows[i]
		first := row.group[0]
		row.Spec = names[first.SpecHash]
		row.Config = map[string]string{}
		for _, k := range s.Keys {
			row.Config[k] = first.Config[k]
		}
		row.Final, row.Best = map[string]Stat{}, map[string]Stat{}
		for _, r := range row.group {
			row.Runs = append(row.Runs, r.Dir)
			row.Seeds = append(row.Seeds, r.Meta.Seed)
			ep, st := 0, int64(0)
			if v, ok := r.Last("epoch"); ok {
				ep = int(v)
			}
			if v, ok := r.Last("step"); ok {
				st = int64(v)
			}
			row.Epochs = append(row.Epochs, ep)
			row.Steps = append(row.Steps, st)
			row.WallSeconds = append(row.WallSeconds, r.Wall().Seconds())
			b := r.Best()
			be := 0
			if b >= 0 {
				be = int(r.Rows[b]["epoch"])
				for _, c := range s.Metrics {
					if _, ok := r.Rows[b][c]; ok && b < len(r.Rows)-1 {
						s.Best = true
					}
				}
			}
			row.BestEpochs = append(row.BestEpochs, be)
		}
		if row.Status != Done {
			continue
		}
		for _, c := range s.Metrics {
			final, best := make([]float64, len(row.group)), make([]float64, len(row.group))
			for j, r := range row.group {
				final[j], best[j] = math.NaN(), math.NaN()
				if v, ok := r.Last(c); ok {
					final[j] = v
				}
				if b := r.Best(); b >= 0 {
					if v, ok := r.Rows[b][c]; ok {
						best[j] = v
					}
				}
			}
			row.Final[c], row.Best[c] = newStat(final), newStat(best)
		}
	}
	if !s.Best {
		for i := range rows {
			rows[i].Best, rows[i].BestEpochs = nil, nil
		}
	}
	s.Rows = rows
	return s
}

// differing returns the settings keys whose values are not the same in
// every run, sorted.
func differing(rs []*Run) []string {
	all := map[string]bool{}
	for _, r := range rs {
		for k := range r.settings() {
			all[k] = true
		}
	}
	var out []string
	for k := range all {
		for _, r := range rs[1:] {
			a, aok := rs[0].settings()[k]
			b, bok := r.settings()[k]
			if a != b || aok != bok {
				out = append(out, k)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// specNames names each spec by its model name, adding the first 8 digits
// of its hash where two different specs share a name.
func specNames(rs []*Run) map[string]string {
	hashes := map[string]map[string]bool{}
	for _, r := range rs {
		if hashes[r.Model] == nil {
			hashes[r.Model] = map[string]bool{}
		}
		hashes[r.Model][r.SpecHash] = true
	}
	out := map[string]string{}
	for _, r := range rs {
		n := r.Model
		if len(hashes[r.Model]) > 1 {
			n += "@" + r.SpecHash[:8]
		}
		out[r.SpecHash] = n
	}
	return out
}

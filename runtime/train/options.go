package train

import (
	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
)

// EvalImages returns a validation or test split as every evaluation of a
// run under cfg sees it: when data.binarize is dynamic or fixed, its
// images binarised once with data.EvalBinarizeSeed (the same 0/1 images
// for every run, so the test ELBO is a Bernoulli likelihood of fixed data
// and the classification error is measured on the same inputs); else s
// itself.
func EvalImages(cfg *config.Config, s *data.Split) *data.Split {
	if s == nil || cfg.Binarize == "" || cfg.Binarize == config.BinarizeNone {
		return s
	}
	return s.Binarized(data.EvalBinarizeSeed, data.StreamEval)
}

// CompileOptions maps a run config to the compiler's options for model m
// trained on n examples: S, α (the config's value, or else the paper's
// rule α = 0.1/ρ for n), the handling of every discrete variable (relax
// with the config's temperature, or enumerate), the batch sizes (no
// labelled branch when the model supervises nothing or labelled.count is
// 0) and the supervised weight γ·M/N. The evaluators ignore the batch
// sizes. With labelled.counts, Sets holds one label set per combination of
// labels at its expected size and Labelled their total batch. It is what `ssdgm compile` and `ssdgm bench` build, so that they
// measure the program training runs.
func CompileOptions(m *check.Model, cfg *config.Config, n int) compiler.Options {
	o := compiler.Options{
		Samples:     cfg.Samples,
		Alpha:       cfg.ResolveAlpha(n),
		Unlabelled:  cfg.Batch.Unlabelled,
		Discrete:    map[string]compiler.Discrete{},
		Default:     compiler.Discrete{Relax: cfg.Discrete.Default == config.Relax, Temperature: cfg.Discrete.Temperature},
		SharedNoise: cfg.Discrete.SharedNoise,
		AnalyticKL:  cfg.Objective.AnalyticKL,
		Balance:     cfg.Objective.Balance,
		Shards:      cfg.Batch.Shards,
	}
	supervised := false
	for _, v := range m.Vars {
		supervised = supervised || v.Role == check.Supervised
		if v.Kind == check.Discrete {
			o.Discrete[v.Name] = compiler.Discrete{Relax: cfg.Method(v.Name) == config.Relax, Temperature: cfg.Discrete.Temperature}
		}
	}
	if len(cfg.Labelled.Counts) > 0 {
		// Partial labels: the training run builds its label sets from the
		// drawn subsets; without the data, from their expected sizes.
		if supervised {
			o.Sets = expectedSets(m, cfg, n)
		}
		for _, s := range o.Sets {
			o.Labelled += s.Batch
		}
		return o
	}
	if M := min(cfg.Labelled.Count, n); supervised && M > 0 {
		o.Labelled = cfg.Batch.Labelled
		o.SupWeight = cfg.Gamma * float64(M) / float64(max(n, 1))
	}
	return o
}

package train

import (
	"fmt"

	"ssdgm/runtime/runs"
)

// extendKeys are the config keys that Options.Extend may change in a
// resumed run: the epoch count, and the learning-rate schedule where it
// agrees with the steps the run has trained.
var extendKeys = []string{"epochs", "optimizer.schedule", "optimizer.decay", "optimizer.decay_steps", "optimizer.warmup_steps"}

// ExtendKeys returns the config keys that Options.Extend may change.
func ExtendKeys() []string { return append([]string(nil), extendKeys...) }

// extend applies Options.Extend to a resumed run: it checks that the new
// config differs from the run's only in ExtendKeys, has at least the
// run's epochs and gives every step of the run's planned epochs the
// learning rate it had (so the run's steps are those of a run started
// with the new config), takes its epochs and schedule, and rewrites the
// run folder's config (runs.Extend). It returns the config hash to open
// the run with.
func (t *trainer) extend(specHash, cfgHash string) (string, error) {
	nc := t.opt.Extend
	if nc == nil {
		return cfgHash, nil
	}
	old := t.cfg
	nc.Resolve(t.train.N, t.m.Name)
	if nc.Epochs < old.Epochs {
		return "", fmt.Errorf("cannot train %s for %d epochs: the run has %d; a run can be extended, not shortened (start a new run for fewer epochs)", t.opt.Resume, nc.Epochs, old.Epochs)
	}
	same := *nc
	same.Epochs = old.Epochs
	o := &same.Optimizer
	o.Schedule, o.Decay, o.DecaySteps, o.WarmupSteps = old.Optimizer.Schedule, old.Optimizer.Decay, old.Optimizer.DecaySteps, old.Optimizer.WarmupSteps
	if same.Hash() != cfgHash {
		return "", fmt.Errorf("cannot extend %s: only %v may change", t.opt.Resume, extendKeys)
	}
	perEpoch := old.Steps(t.train.N)
	planned := int64(perEpoch) * int64(old.Epochs)
	for s := int64(0); s < planned; s++ {
		if a, b := learningRate(old.Optimizer, perEpoch, s), learningRate(nc.Optimizer, perEpoch, s); a != b {
			return "", fmt.Errorf("cannot extend %s with this schedule: at step %d of the run's %d its learning rate is %g, the run's %g; the steps trained must keep theirs (e.g. optimizer.schedule=step with optimizer.decay_steps=%d drops the rate only after them)",
				t.opt.Resume, s+1, planned, b, a, planned)
		}
	}
	if err := nc.Validate(); err != nil {
		return "", err
	}
	newHash := nc.Hash()
	if newHash == cfgHash {
		return cfgHash, nil
	}
	from := old.Epochs
	old.Epochs = nc.Epochs
	old.Optimizer = nc.Optimizer
	if old.Hash() != newHash {
		return "", fmt.Errorf("extending %s: internal error: the changed config hashes differently", t.opt.Resume)
	}
	if err := runs.Extend(t.opt.Resume, specHash, cfgHash, old.Marshal(), newHash, from, old.Epochs); err != nil {
		return "", err
	}
	return newHash, nil
}

package train

import (
	"fmt"

	"ssdgm/runtime/runs"
)

// extend applies Options.Epochs to a resumed run: it sets the config's
// epoch count and rewrites the run folder's config (runs.Extend), and
// returns the config hash to open the run with.
func (t *trainer) extend(specHash, cfgHash string) (string, error) {
	to, from := t.opt.Epochs, t.cfg.Epochs
	if to == 0 || to == from {
		return cfgHash, nil
	}
	if to < from {
		return "", fmt.Errorf("cannot train %s for %d epochs: the run has %d; a run can be extended, not shortened (start a new run for fewer epochs)", t.opt.Resume, to, from)
	}
	t.cfg.Epochs = to
	newHash := t.cfg.Hash()
	if err := runs.Extend(t.opt.Resume, specHash, cfgHash, t.cfg.Marshal(), newHash, from, to); err != nil {
		return "", err
	}
	return newHash, nil
}

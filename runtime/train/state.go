package train

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/labelled"
)

// checkpointDir is the folder of a run holding its checkpoints.
const checkpointDir = "checkpoints"

// metaBalance is the checkpoint metadata key of the class-balance running
// means (objective.balance): comma-separated floats that parse back to the
// same bits.
const metaBalance = "balance_ref"

// formatFloats writes v as comma-separated shortest round-trip decimals.
func formatFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// parseFloats reads what formatFloats writes.
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// checkpoint writes the run's state atomically: parameters, Adam state,
// both samplers' positions, the noise generator, the step counters and
// the best validation epoch so far.
func (t *trainer) checkpoint() error {
	c, err := t.snapshot()
	if err != nil {
		return err
	}
	dir := filepath.Join(t.run.Dir(), checkpointDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err = ckpt.Save(dir, c); err == nil {
		t.saved = t.step
	}
	return err
}

// snapshot returns the run's state as a checkpoint.
func (t *trainer) snapshot() (*ckpt.Checkpoint, error) {
	c := &ckpt.Checkpoint{
		Step:       t.step,
		Epoch:      int64(t.epoch),
		Positions:  map[string]ckpt.Position{},
		RNG:        map[string][]byte{},
		SpecHash:   t.run.Meta().SpecHash,
		ConfigHash: t.run.Meta().ConfigHash,
		Meta: map[string]string{
			"in_epoch": strconv.Itoa(t.inEpoch),
			"loss_sum": strconv.FormatFloat(t.lossSum, 'g', -1, 64),
		},
	}
	if o := t.cfg.Optimizer; clipping(o.ClipNorm, o.ClipValue) {
		c.Meta["clipped"] = strconv.Itoa(t.clippedInEpoch)
	}
	if scheduled(t.cfg.Optimizer) {
		// For people reading the checkpoint: resuming recomputes it from
		// the step.
		c.Meta["lr"] = strconv.FormatFloat(learningRate(t.cfg.Optimizer, t.cfg.Steps(t.train.N), max(t.step-1, 0)), 'g', -1, 64)
	}
	for name, s := range t.samplers() {
		st := s.State()
		c.Positions[name] = ckpt.Position{Epoch: st.Epoch, Offset: st.Offset}
	}
	if ref := t.prog.BalanceRef(); len(ref) > 0 {
		c.Meta[metaBalance] = formatFloats(ref)
	}
	rs, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c.RNG["noise"] = rs
	t.optim.save(c)
	t.best.save(c)
	return c, nil
}

// samplers returns the data samplers by their checkpoint position names.
func (t *trainer) samplers() map[string]*labelled.Sampler {
	out := map[string]*labelled.Sampler{"unlabelled": t.unl, "labelled": t.lab}
	for _, g := range t.groups {
		out[g.name] = g.sampler
	}
	return out
}

// restore loads the latest good checkpoint of a resumed run and rewinds
// its logs to it.
func (t *trainer) restore() error {
	c, path, skipped, err := ckpt.LoadLatest(filepath.Join(t.run.Dir(), checkpointDir))
	if err != nil {
		return fmt.Errorf("resuming %s: %w", t.run.Dir(), err)
	}
	for _, s := range skipped {
		t.run.Logf("skipped a bad checkpoint: %v", s)
	}
	// A run extended to more epochs (Options.Epochs) resumes from
	// checkpoints written under its earlier config hashes too.
	if meta := t.run.Meta(); c.SpecHash != meta.SpecHash || !slices.Contains(meta.ConfigHashes(), c.ConfigHash) {
		return fmt.Errorf("checkpoint %s was written for another spec or config", path)
	}
	if err := t.optim.load(c); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	for name, s := range t.samplers() {
		p, ok := c.Positions[name]
		if !ok {
			return fmt.Errorf("checkpoint %s has no position for the %s data", path, name)
		}
		if err := s.Restore(labelled.SamplerState{Epoch: p.Epoch, Offset: p.Offset}); err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
	}
	if err := t.pcg.UnmarshalBinary(c.RNG["noise"]); err != nil {
		return fmt.Errorf("checkpoint %s: noise generator: %w", path, err)
	}
	if err := t.best.load(c); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	t.step = c.Step
	t.saved = c.Step
	t.epoch = int(c.Epoch)
	if t.inEpoch, err = strconv.Atoi(c.Meta["in_epoch"]); err != nil {
		return fmt.Errorf("checkpoint %s: bad in_epoch: %w", path, err)
	}
	if t.lossSum, err = strconv.ParseFloat(c.Meta["loss_sum"], 64); err != nil {
		return fmt.Errorf("checkpoint %s: bad loss_sum: %w", path, err)
	}
	if v, ok := c.Meta["clipped"]; ok { // absent from older checkpoints
		if t.clippedInEpoch, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("checkpoint %s: bad clipped count: %w", path, err)
		}
	}
	if len(t.prog.BalanceRef()) > 0 {
		v, ok := c.Meta[metaBalance]
		if !ok {
			return fmt.Errorf("checkpoint %s has no class-balance state (%s), which objective.balance needs", path, metaBalance)
		}
		ref, err := parseFloats(v)
		if err == nil {
			err = t.prog.SetBalanceRef(ref)
		}
		if err != nil {
			return fmt.Errorf("checkpoint %s: bad %s: %w", path, metaBalance, err)
		}
	}
	t.run.Logf("resumed from %s at step %d (epoch %d, %d steps into it)", path, t.step, t.epoch+1, t.inEpoch)
	return t.run.Rewind(int64(t.epoch), t.step)
}

package train

import (
	"math"

	"ssdgm/runtime/config"
)

// learningRate returns the learning rate of the training step that follows
// step steps done, under o (optimizer.schedule, decay, decay_steps and
// warmup_steps) with perEpoch steps per epoch. It depends on the step
// only, so a resumed run follows the schedule exactly.
func learningRate(o config.Optimizer, perEpoch int, step int64) float64 {
	lr := o.LR
	period := int64(o.DecaySteps)
	if period <= 0 {
		period = int64(max(perEpoch, 1))
	}
	switch o.Schedule {
	case config.ScheduleExponential:
		lr *= math.Pow(o.Decay, float64(step)/float64(period))
	case config.ScheduleStep:
		lr *= math.Pow(o.Decay, float64(step/period))
	}
	if w := int64(o.WarmupSteps); w > 0 && step < w {
		lr *= float64(step+1) / float64(w)
	}
	return lr
}

// scheduled reports whether o changes the learning rate during training.
func scheduled(o config.Optimizer) bool {
	return o.Schedule != "" && o.Schedule != config.ScheduleConstant || o.WarmupSteps > 0
}

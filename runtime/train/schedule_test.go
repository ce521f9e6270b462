package train

import (
	"math"
	"testing"

	"ssdgm/runtime/config"
)

// TestLearningRate: the rate of each schedule at given steps, against the
// formulas written out by hand.
func TestLearningRate(t *testing.T) {
	base := config.Optimizer{LR: 0.01, Schedule: config.ScheduleConstant, Decay: 0.5}
	with := func(f func(o *config.Optimizer)) config.Optimizer {
		o := base
		f(&o)
		return o
	}
	tests := []struct {
		name     string
		o        config.Optimizer
		perEpoch int
		step     int64
		want     float64
	}{
		{"constant", base, 10, 0, 0.01},
		{"constant late", base, 10, 12345, 0.01},
		{"exponential start", with(func(o *config.Optimizer) { o.Schedule = config.ScheduleExponential }), 10, 0, 0.01},
		{"exponential mid-period", with(func(o *config.Optimizer) { o.Schedule = config.ScheduleExponential }), 10, 5, 0.01 * math.Sqrt(0.5)},
		{"exponential two epochs", with(func(o *config.Optimizer) { o.Schedule = config.ScheduleExponential }), 10, 20, 0.0025},
		{"exponential decay_steps", with(func(o *config.Optimizer) {
			o.Schedule, o.DecaySteps, o.Decay = config.ScheduleExponential, 4, 0.9
		}), 10, 6, 0.01 * math.Pow(0.9, 1.5)},
		{"step before", with(func(o *config.Optimizer) { o.Schedule = config.ScheduleStep }), 10, 9, 0.01},
		{"step at", with(func(o *config.Optimizer) { o.Schedule = config.ScheduleStep }), 10, 10, 0.005},
		{"step third", with(func(o *config.Optimizer) { o.Schedule, o.DecaySteps = config.ScheduleStep, 3 }), 10, 7, 0.0025},
		{"warm-up first", with(func(o *config.Optimizer) { o.WarmupSteps = 4 }), 10, 0, 0.0025},
		{"warm-up third", with(func(o *config.Optimizer) { o.WarmupSteps = 4 }), 10, 2, 0.0075},
		{"warm-up done", with(func(o *config.Optimizer) { o.WarmupSteps = 4 }), 10, 4, 0.01},
		{"warm-up and step", with(func(o *config.Optimizer) {
			o.WarmupSteps, o.Schedule, o.DecaySteps = 4, config.ScheduleStep, 2
		}), 10, 3, 0.01 * 0.5 * 1},
		{"warm-up and step, warming", with(func(o *config.Optimizer) {
			o.WarmupSteps, o.Schedule, o.DecaySteps = 4, config.ScheduleStep, 2
		}), 10, 2, 0.01 * 0.5 * 0.75},
	}
	for _, tc := range tests {
		got := learningRate(tc.o, tc.perEpoch, tc.step)
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: lr at step %d = %v, want %v", tc.name, tc.step, got, tc.want)
		}
	}
	if scheduled(base) {
		t.Error("the constant schedule counts as scheduled")
	}
}

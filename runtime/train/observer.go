package train

import "time"

// EventKind says what an Event reports.
type EventKind int

// The events of a run, in the order they happen.
const (
	// RunStart: the run folder is ready (Message holds its path).
	RunStart EventKind = iota
	// EpochStart: an epoch begins.
	EpochStart
	// StepDone: a training step finished (sent every few steps).
	StepDone
	// EpochDone: an epoch finished; Metrics hold its evaluation.
	EpochDone
	// RunDone: training finished; Metrics hold the test evaluation.
	RunDone
)

// Event is a progress report from a run.
type Event struct {
	Kind           EventKind
	Epoch, Epochs  int // 1-based epoch
	Step, Steps    int // step within the epoch (1-based) and steps per epoch
	TotalStep      int64
	Loss           float64 // running mean of the loss over the epoch so far
	ExamplesPerSec float64 // unlabelled + labelled examples per second
	Elapsed        time.Duration
	Metrics        map[string]float64
	Message        string
}

// Observer receives a run's progress. The command line renders it as a
// progress bar on a terminal or one line per epoch elsewhere.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"ssdgm/runtime/train"
)

// progress renders training events: a progress bar per epoch on a
// terminal, one summary line per epoch elsewhere.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	last  map[string]float64
}

func (p *progress) Observe(ev train.Event) {
	if p.quiet && ev.Kind != train.RunDone {
		return
	}
	switch ev.Kind {
	case train.RunStart:
		fmt.Fprintf(p.w, "run folder %s (%d epochs of %d steps)\n", ev.Message, ev.Epochs, ev.Steps)
	case train.StepDone:
		if !p.tty {
			return
		}
		const width = 30
		done := width * ev.Step / max(ev.Steps, 1)
		eta := time.Duration(0)
		if ev.Step > 0 {
			eta = time.Duration(float64(ev.Elapsed) * float64(ev.Steps-ev.Step) / float64(ev.Step))
		}
		acc := ""
		for k, v := range p.last {
			if strings.HasPrefix(k, "err_val_") {
				acc += fmt.Sprintf("  acc_val %.2f%%", 100*(1-v))
			}
		}
		fmt.Fprintf(p.w, "\repoch %d/%d [%s%s] %d/%d  %.0f ex/s  ETA %s  loss %.2f%s \x1b[K",
			ev.Epoch, ev.Epochs, strings.Repeat("=", done), strings.Repeat(" ", width-done), ev.Step, ev.Steps,
			ev.ExamplesPerSec, eta.Round(time.Second), ev.Loss, acc)
	case train.EpochDone:
		if p.tty {
			fmt.Fprint(p.w, "\r\x1b[K")
		}
		p.last = ev.Metrics
		fmt.Fprintf(p.w, "epoch %d/%d  %s\n", ev.Epoch, ev.Epochs, summary(ev.Metrics))
	case train.RunDone:
		fmt.Fprintf(p.w, "done in %s: %s\nrun folder %s\n", ev.Elapsed.Round(time.Second), summary(ev.Metrics), ev.Message)
	}
}

// summary formats epoch metrics in a fixed order: loss, errors, ELBOs,
// speed, time.
func summary(m map[string]float64) string {
	var keys []string
	for k := range m {
		switch k {
		case "epoch", "step", "loss", "seconds", "examples_per_s":
		default:
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := []string{fmt.Sprintf("loss %.2f", m["loss"])}
	for _, k := range keys {
		if strings.HasPrefix(k, "err_") || strings.HasPrefix(k, "cos_") || strings.HasPrefix(k, "acc_") {
			parts = append(parts, fmt.Sprintf("%s %.2f%%", k, 100*m[k]))
		} else if strings.HasPrefix(k, "angle_") {
			parts = append(parts, fmt.Sprintf("%s %.2f°", k, m[k]))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]))
		}
	}
	parts = append(parts, fmt.Sprintf("%.0f ex/s", m["examples_per_s"]), fmt.Sprintf("%.1fs", m["seconds"]))
	return strings.Join(parts, "  ")
}

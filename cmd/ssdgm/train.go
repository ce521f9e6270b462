package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/train"
)

const trainUsage = `usage: ssdgm train [flags] SPEC
       ssdgm train --resume RUN [SPEC]

Trains the model of SPEC with its run config (--config FILE, else SPEC
with .yaml beside it, else the defaults; see docs/config.md), writing a
run folder OUT/NAME (never overwritten: NAME_1, NAME_2, ...). Ctrl-C
saves a checkpoint; --resume RUN continues it to the same numbers as an
uninterrupted run, with the config stored in RUN. Flags override config
keys. With --resume RUN, the run's stored config is used; --epochs N
extends a stopped or finished run to N epochs, and --set may also change
the learning-rate schedule (optimizer.schedule, decay, decay_steps,
warmup_steps) where it keeps the rate of every step the run planned, e.g.
--set optimizer.schedule=step --set optimizer.decay=0.1 --set
optimizer.decay_steps=STEPS_DONE: the run then ends where a run started
with the changed config ends.`

func runTrain(e *env, args []string) int {
	fs := newFlags(e, "train", trainUsage)
	cf := addConfigFlags(e, fs)
	resume := fs.String("resume", "", "continue the stopped run in folder `RUN`")
	quiet := fs.Bool("quiet", false, "print only the final result")
	logLevel := fs.String("log-level", "info", "info (a line per epoch, a bar on a terminal) or debug (also every step's loss)")
	files, ok := parseFlags(e, fs, trainUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) > 1 || (len(files) == 0 && *resume == "") {
		fmt.Fprintln(e.stderr, trainUsage)
		return exitUsage
	}
	if *logLevel != "info" && *logLevel != "debug" {
		fmt.Fprintf(e.stderr, "ssdgm train: --log-level must be info or debug, got %q\n", *logLevel)
		return exitUsage
	}
	var (
		m   *check.Model
		src []byte
		cfg *config.Config
	)
	changes, ok := resumeFlags(e, fs, cf, *resume, len(files) == 1)
	if !ok {
		return exitUsage
	}
	var ext *config.Config
	if len(files) == 1 {
		if m, src, cfg, ok = specAndConfig(e, cf, files[0]); !ok {
			return exitFail
		}
	} else {
		if m, src, cfg, ok = runSpecAndConfig(e, *resume, *cf.source); !ok {
			return exitFail
		}
		if len(changes) > 0 {
			_, _, ext, _ = runSpecAndConfig(e, *resume, *cf.source)
			for _, kv := range changes {
				k, v, _ := strings.Cut(kv, "=")
				if err := ext.Set(k, v); err != nil {
					fmt.Fprintf(e.stderr, "ssdgm train: %s: %v\n", kv, err)
					return exitUsage
				}
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	obs := &progress{w: e.stdout, tty: e.tty, quiet: *quiet}
	var observer train.Observer = obs
	if *logLevel == "debug" {
		observer = train.ObserverFunc(func(ev train.Event) {
			obs.Observe(ev)
			if ev.Kind == train.StepDone {
				fmt.Fprintf(e.stderr, "step %d  loss %.4f  %.0f ex/s\n", ev.TotalStep, ev.Loss, ev.ExamplesPerSec)
			}
		})
	}
	_, err := train.Train(ctx, train.Options{Spec: src, Model: m, Config: cfg, Resume: *resume, Extend: ext, Observer: observer, Command: os.Args})
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, train.ErrInterrupted):
		fmt.Fprintf(e.stderr, "\nssdgm train: %v; continue with `ssdgm train --resume RUN`\n", err)
		return exitFail
	default:
		printDiags(e, err, src, *cf.source)
		return exitFail
	}
}

// resumeFlags checks the flags given with --resume RUN and returns the
// config changes that extend the run (key=value, from --epochs and --set
// of train.ExtendKeys). Without SPEC the run's stored config is used, so
// other config flags would be ignored and are refused; extending needs
// the run's own config (no SPEC).
func resumeFlags(e *env, fs *flag.FlagSet, cf *configFlags, resume string, withSpec bool) ([]string, bool) {
	if resume == "" {
		return nil, true
	}
	var others, changes []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "resume", "quiet", "log-level", "source", "set":
		case "epochs":
			changes = append(changes, "epochs="+f.Value.String())
		default:
			others = append(others, "--"+f.Name)
		}
	})
	for _, kv := range cf.sets {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(train.ExtendKeys(), k) {
			changes = append(changes, kv)
		} else {
			others = append(others, "--set "+kv)
		}
	}
	switch {
	case withSpec && len(changes) > 0:
		var flags []string
		for _, kv := range changes {
			if n, ok := strings.CutPrefix(kv, "epochs="); ok {
				flags = append(flags, "--epochs "+n)
			} else {
				flags = append(flags, "--set "+kv)
			}
		}
		fmt.Fprintf(e.stderr, "ssdgm train: %s with --resume extends the run with its stored config: give the run folder only (ssdgm train --resume %s %s)\n",
			strings.Join(flags, ", "), resume, strings.Join(flags, " "))
		return nil, false
	case !withSpec && len(others) > 0:
		fmt.Fprintf(e.stderr, "ssdgm train: --resume %s trains with the config stored in the run, so %s would be ignored; only --epochs N and --set of %s (to extend the run) may be given\n",
			resume, strings.Join(others, ", "), strings.Join(train.ExtendKeys()[1:], ", "))
		return nil, false
	}
	return changes, true
}

// runSpecAndConfig reads the spec and resolved config stored in a run
// folder.
func runSpecAndConfig(e *env, dir string, showSource bool) (*check.Model, []byte, *config.Config, bool) {
	specPath := filepath.Join(dir, "spec.ssdgm")
	src, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssdgm: %s is not a run folder: %v\n", dir, err)
		return nil, nil, nil, false
	}
	m, err := check.SourceWith(specPath, src, e.limits)
	if err != nil {
		printDiags(e, err, src, showSource)
		return nil, nil, nil, false
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	cfgSrc, err := os.ReadFile(cfgPath)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		return nil, nil, nil, false
	}
	cfg, err := config.Parse(cfgPath, cfgSrc)
	if err != nil {
		printDiags(e, err, cfgSrc, showSource)
		return nil, nil, nil, false
	}
	return m, src, cfg, true
}

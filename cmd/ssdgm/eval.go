package main

import (
	"fmt"
	"os"
	"strings"

	"ssdgm/lang/diag"
	"ssdgm/runtime/train"
)

const evalUsage = `usage: ssdgm eval [flags] RUN

Loads the spec, config and a checkpoint of the run folder RUN and
evaluates them on the test split (or --split val): the classification
error of each discrete supervised variable from argmax q(y|x)
(importance-weighted where y is not at the encoder's root) and the mean
ELBO per example. max_eval of the run's config limits the examples, as in
training. --checkpoint best (the default) is the best validation epoch's
checkpoint, kept in RUN/checkpoints/best (see checkpoint.best_metric; the
last one when the run keeps none); last is the newest readable checkpoint;
prev the one before it.`

func runEval(e *env, args []string) int {
	fs := newFlags(e, "eval", evalUsage)
	split := fs.String("split", "test", "split to evaluate: test or val")
	which := fs.String("checkpoint", "best", "checkpoint to evaluate: best, last or prev")
	source := fs.Bool("source", e.tty, "show the source line under each spec problem")
	dirs, ok := parseFlags(e, fs, evalUsage, args)
	if !ok {
		return exitUsage
	}
	if len(dirs) != 1 {
		fmt.Fprintln(e.stderr, evalUsage)
		return exitUsage
	}
	if *split != "test" && *split != "val" {
		fmt.Fprintf(e.stderr, "ssdgm eval: --split must be test or val, got %q\n", *split)
		return exitUsage
	}
	if *which != "best" && *which != "last" && *which != "prev" {
		fmt.Fprintf(e.stderr, "ssdgm eval: --checkpoint must be best, last or prev, got %q\n", *which)
		return exitUsage
	}
	dir := dirs[0]
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		fmt.Fprintf(e.stderr, "ssdgm eval: no run folder %s\n", dir)
		return exitFail
	}
	m, src, cfg, ok := runSpecAndConfig(e, dir, *source)
	if !ok {
		return exitFail
	}
	rep, err := train.Evaluate(train.EvalOptions{Dir: dir, Model: m, Config: cfg, Split: *split, Checkpoint: *which})
	if err != nil {
		if _, positioned := err.(diag.List); !positioned {
			fmt.Fprint(e.stderr, "ssdgm eval: ")
		}
		printDiags(e, err, src, *source)
		return exitFail
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(e.stderr, "ssdgm eval: skipped a damaged checkpoint: %v\n", s)
	}
	if rep.Note != "" {
		fmt.Fprintf(e.stderr, "ssdgm eval: %s\n", rep.Note)
	}
	var parts []string
	for _, er := range rep.Errors {
		parts = append(parts, fmt.Sprintf("err_%s %.2f%%", er.Var, 100*er.Rate))
	}
	for _, d := range rep.Directions {
		parts = append(parts, fmt.Sprintf("angle_%s %.2f°  cos_%s %.2f%%", d.Var, d.AngleDeg, d.Var, 100*d.CosDist))
	}
	for _, a := range rep.Accuracies {
		parts = append(parts, fmt.Sprintf("%s %.2f%%", a.Name, 100*a.Rate))
	}
	parts = append(parts, fmt.Sprintf("elbo %.1f", rep.ELBO))
	fmt.Fprintf(e.stdout, "%s: %s  (%d examples, checkpoint step %d)\n", rep.Split, strings.Join(parts, "  "), rep.Examples, rep.Step)
	return exitOK
}

// Command ssdgm checks, formats, compiles, trains, evaluates and samples
// semi-supervised deep generative models written as spec files (Siddharth
// et al., NIPS 2017).
//
// Usage:
//
//	ssdgm <verb> [flags] [arguments]
//
// Run `ssdgm help` for the verbs and `ssdgm help <verb>` for one verb.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"ssdgm/lang/check"
	"ssdgm/lang/diag"
)

// env is what a verb may touch: its streams and whether stderr is a
// terminal. Verbs never call os.Exit; they return the exit status.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	tty    bool
	// limits bound the sizes a spec may ask for (from SSDGM_LIMITS).
	limits check.Limits
}

// verb is one subcommand.
type verb struct {
	summary string
	usage   string
	run     func(e *env, args []string) int
}

// Exit statuses shared by the verbs.
const (
	exitOK    = 0
	exitFail  = 1 // diagnostics, failed run, bad input
	exitUsage = 2 // bad command line
)

func verbs() map[string]verb {
	return map[string]verb{
		"bench":   {"time training steps on synthetic data and print examples/s", benchUsage, runBench},
		"check":   {"check spec files and report every problem", checkUsage, runCheck},
		"compile": {"lower a spec and summarise its networks, variables and objective", compileUsage, runCompile},
		"config":  {"print the resolved run config that train would use", configUsage, runConfig},
		"data":    {"list, show and count the datasets", dataUsage, runData},
		"eval":    {"evaluate a run's checkpoint on the test or validation split", evalUsage, runEval},
		"fmt":     {"format spec files canonically", fmtUsage, runFmt},
		"graph":   {"draw a spec's encoder and decoder as Graphviz DOT, or as SVG or PNG through dot", graphUsage, runGraph},
		"help":    {"show help for a verb", "usage: ssdgm help [verb]", nil},
		"predict": {"apply a run's encoder to images or arrays: predicted classes and latent means as CSV, JSON or .npy", predictUsage, runPredict},
		"report":  {"write a run folder as one self-contained HTML page: metrics, curves, pictures, model, spec, config", reportUsage, runReport},
		"results": {"summarise run folders: mean ± std of test metrics over seeds, as text, Markdown, CSV or JSON", resultsUsage, runResults},
		"sample":  {"draw pictures from a run's checkpoint: samples, reconstructions, analogies, ...", sampleUsage, runSample},
		"train":   {"train a spec on its dataset, writing a run folder", trainUsage, runTrain},
	}
}

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, tty: isTerminal(os.Stderr)}
	if s := os.Getenv(check.LimitsEnv); s != "" {
		l, err := check.ParseLimits(s)
		if err != nil {
			fmt.Fprintf(e.stderr, "ssdgm: %v\n", err)
			os.Exit(exitUsage)
		}
		e.limits = l
	}
	os.Exit(run(e, os.Args[1:]))
}

// run dispatches to a verb.
func run(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		return runHelp(e, rest)
	}
	v, ok := verbs()[name]
	if !ok {
		fmt.Fprintf(e.stderr, "ssdgm: unknown verb %q\n", name)
		if s := diag.Closest(name, verbNames()); s != "" {
			fmt.Fprintf(e.stderr, "did you mean `ssdgm %s`?\n", s)
		}
		fmt.Fprintln(e.stderr, "run `ssdgm help` for the list of verbs")
		return exitUsage
	}
	return v.run(e, rest)
}

func verbNames() []string {
	var names []string
	for n := range verbs() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ssdgm: semi-supervised deep generative models from spec files")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: ssdgm <verb> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "verbs:")
	for _, n := range verbNames() {
		fmt.Fprintf(w, "  %-9s %s\n", n, verbs()[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "run `ssdgm help <verb>` for the flags of one verb")
}

func runHelp(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return exitOK
	}
	v, ok := verbs()[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "ssdgm help: unknown verb %q\n", args[0])
		if s := diag.Closest(args[0], verbNames()); s != "" {
			fmt.Fprintf(e.stderr, "did you mean `ssdgm help %s`?\n", s)
		}
		return exitUsage
	}
	if v.run == nil { // help itself
		fmt.Fprintln(e.stdout, v.usage)
		return exitOK
	}
	// Exactly what `ssdgm VERB -h` prints: the usage and every flag.
	v.run(e, []string{"-h"})
	return exitOK
}

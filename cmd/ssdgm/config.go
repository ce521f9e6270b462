package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ssdgm/runtime/config"
	"ssdgm/runtime/data"
	"ssdgm/runtime/train"
)

const configUsage = `usage: ssdgm config [flags] SPEC

Prints the run config that ` + "`ssdgm train SPEC`" + ` with the same flags would
use, as YAML with each key's description: --config FILE, else SPEC with
.yaml beside it, else the defaults; then --set key=value and the
shortcut flags. Derived keys are resolved: name from the model, the
labelled seed from the run seed, and α = 0.1/ρ from the number N of
training examples (max_train honoured), which needs the dataset; when it
cannot be opened α stays null with a comment saying why. Problems in the
config print as file:line:col: message.`

func runConfig(e *env, args []string) int {
	fs := newFlags(e, "config", configUsage)
	cf := addConfigFlags(e, fs)
	files, ok := parseFlags(e, fs, configUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, configUsage)
		return exitUsage
	}
	m, _, cfg, ok := specAndConfig(e, cf, files[0])
	if !ok {
		return exitFail
	}
	var notes []string
	notes = append(notes, "run config of "+files[0]+" ("+configSource(*cf.path, files[0])+")")
	if schema, shape, err := data.SchemaOf(cfg.Dataset, dataOptions(cfg)); err != nil {
		fmt.Fprintf(e.stderr, "ssdgm config: warning: %v\n", err)
	} else if err := train.CheckSchema(m, cfg.Dataset, schema, shape); err != nil {
		fmt.Fprintf(e.stderr, "ssdgm config: warning: train will refuse this spec on dataset %s:\n", cfg.Dataset)
		printDiags(e, err, nil, false)
	}
	if cfg.Alpha == nil && cfg.Rho(1) > 0 {
		n, err := trainingExamples(cfg)
		if err != nil {
			notes = append(notes, "alpha stays null (α = 0.1/ρ, ρ = γM/(N+γM)): N is known once the dataset opens:",
				"  "+strings.ReplaceAll(err.Error(), "\n", "\n#   "))
			s := cfg.LabelledSeed()
			cfg.Labelled.Seed = &s
			cfg.Name = cfg.RunName(m.Name)
		} else {
			cfg.Resolve(n, m.Name)
			notes = append(notes, fmt.Sprintf("alpha = 0.1/ρ with ρ = γM/(N+γM) = %g·%d/(%d+%g·%d) = %.6g", cfg.Gamma, cfg.LabelledM(n), n, cfg.Gamma, cfg.LabelledM(n), cfg.Rho(n)))
		}
	} else {
		cfg.Resolve(0, m.Name) // α is given (or 0 without labels): N is not needed
	}
	for _, n := range notes {
		fmt.Fprintf(e.stdout, "# %s\n", n)
	}
	_, _ = e.stdout.Write(cfg.MarshalAnnotated())
	return exitOK
}

// configSource says where the config of a spec came from, as configFlags.load
// decides.
func configSource(flagPath, specPath string) string {
	if flagPath != "" {
		return "from " + flagPath
	}
	guess := strings.TrimSuffix(specPath, filepath.Ext(specPath)) + ".yaml"
	if _, err := os.Stat(guess); err == nil {
		return "from " + guess
	}
	return "defaults"
}

// dataOptions are the dataset options a config asks for.
func dataOptions(cfg *config.Config) data.Options {
	return data.Options{DataDir: cfg.DataDir}
}

// trainingExamples opens the config's dataset and returns N, the number
// of training examples a run uses (max_train honoured).
func trainingExamples(cfg *config.Config) (int, error) {
	ds, err := data.Open(cfg.Dataset, dataOptions(cfg))
	if err != nil {
		return 0, err
	}
	n := ds.Train.N
	if cfg.MaxTrain > 0 {
		n = min(n, cfg.MaxTrain)
	}
	return n, nil
}

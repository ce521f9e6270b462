package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// binary is the ssdgm command built once for the CLI tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "ssdgm-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ssdgm")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building ssdgm: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliCase runs ssdgm from the repository root with args and stdin, and
// compares exit status, stdout and stderr with testdata/NAME.golden.
type cliCase struct {
	name  string
	args  []string
	stdin string
}

func TestCLI(t *testing.T) {
	unformatted, err := os.ReadFile("../../testdata/specs/good/unformatted.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	cases := []cliCase{
		{name: "check_specs", args: []string{"check", "specs/mnist.ssdgm", "specs/mnist-zfirst.ssdgm", "specs/svhn.ssdgm", "specs/faces.ssdgm", "specs/multimnist.ssdgm"}},
		{name: "check_bad", args: []string{"check", "testdata/specs/bad/names.ssdgm"}},
		{name: "check_bad_source", args: []string{"check", "-source", "testdata/specs/bad/shapes.ssdgm"}},
		{name: "check_syntax", args: []string{"check", "-source", "testdata/specs/bad/syntax_unclosed.ssdgm"}},
		{name: "check_missing_file", args: []string{"check", "testdata/specs/nonexistent.ssdgm"}},
		{name: "check_usage", args: []string{"check"}},
		{name: "fmt_stdout", args: []string{"fmt", "testdata/specs/good/unformatted.ssdgm"}},
		{name: "fmt_list", args: []string{"fmt", "-l", "testdata/specs/good/unformatted.ssdgm", "specs/mnist.ssdgm"}},
		{name: "fmt_diff", args: []string{"fmt", "-d", "testdata/specs/good/unformatted.ssdgm"}},
		{name: "fmt_stdin", args: []string{"fmt", "-"}, stdin: string(unformatted)},
		{name: "fmt_syntax_error", args: []string{"fmt", "testdata/specs/bad/syntax_char.ssdgm"}},
		{name: "graph_mnist", args: []string{"graph", "specs/mnist.ssdgm"}},
		{name: "graph_multimnist", args: []string{"graph", "specs/multimnist.ssdgm"}},
		{name: "help", args: []string{"help"}},
		{name: "help_check", args: []string{"help", "check"}},
		{name: "unknown_verb", args: []string{"chek"}},
		{name: "bad_flag", args: []string{"check", "-nope", "specs/mnist.ssdgm"}},
		{name: "help_compile", args: []string{"help", "compile"}},

		// config: α fixed (no dataset read), α unresolvable, bad files and flags.
		{name: "config_fixed_alpha", args: []string{"config", "specs/mnist.ssdgm", "--config", "testdata/configs/tiny_fixed_alpha.yaml", "--seed", "7"}},
		{name: "config_no_dataset", args: []string{"config", "specs/mnist.ssdgm", "--config", "testdata/configs/tiny_mnist.yaml", "--set", "dataset=svhn", "--data", "testdata/no-such-folder", "--set", "batch.labelled=8"}},
		{name: "config_bad", args: []string{"config", "specs/mnist.ssdgm", "--config", "testdata/configs/bad_keys.yaml"}},
		{name: "config_bad_source", args: []string{"config", "specs/mnist.ssdgm", "--config", "testdata/configs/bad_keys.yaml", "-source"}},
		{name: "config_syntax_source", args: []string{"config", "specs/mnist.ssdgm", "--config", "runtime/config/testdata/bad/syntax.yaml", "-source"}},
		{name: "config_bad_set", args: []string{"config", "specs/mnist.ssdgm", "--set", "batch.unlabeled=3"}},
		{name: "config_missing_file", args: []string{"config", "specs/mnist.ssdgm", "--config", "testdata/configs/nonexistent.yaml"}},
		{name: "config_bad_spec", args: []string{"config", "testdata/specs/bad/names.ssdgm"}},
		{name: "config_usage", args: []string{"config"}},

		// compile: both encoder orders, a lowering error, bad inputs.
		{name: "compile_tiny_m2", args: []string{"compile", "testdata/specs/good/tiny_m2.ssdgm", "--config", "testdata/configs/tiny_fixed_alpha.yaml"}},
		{name: "compile_tiny_param", args: []string{"compile", "testdata/specs/good/tiny_param_init.ssdgm", "--config", "testdata/configs/tiny_fixed_alpha.yaml"}},
		{name: "compile_tiny_zfirst", args: []string{"compile", "testdata/specs/good/tiny_zfirst.ssdgm", "--config", "testdata/configs/tiny_fixed_alpha.yaml", "--set", "discrete.vars.y=enumerate", "--set", "labelled.count=0"}},
		{name: "compile_zfirst_analytic_kl", args: []string{"compile", "testdata/specs/good/tiny_zfirst.ssdgm", "--config", "testdata/configs/tiny_fixed_alpha.yaml", "--set", "discrete.vars.y=enumerate", "--set", "objective.analytic_kl=true"}},
		{name: "compile_step_bytes", args: []string{"compile", "specs/faces.ssdgm", "--set", "discrete.default=enumerate", "--set", "batch.unlabelled=512"}},
		{name: "compile_lowering_error", args: []string{"compile", "specs/multimnist.ssdgm", "--alpha", "1", "--set", "batch.labelled=2", "--set", "batch.unlabelled=2", "--set", "discrete.vars.d=enumerate"}},
		{name: "compile_bad_spec", args: []string{"compile", "testdata/specs/bad/shapes.ssdgm"}},
		{name: "compile_bad_config", args: []string{"compile", "testdata/specs/good/tiny_m2.ssdgm", "--config", "testdata/configs/bad_keys.yaml"}},
		{name: "compile_usage", args: []string{"compile"}},

		// eval: the paths that need no trained run (TestEvalRun trains one).
		{name: "eval_missing_run", args: []string{"eval", "testdata/no-such-run"}},
		{name: "eval_not_a_run", args: []string{"eval", "testdata/configs"}},
		{name: "eval_bad_split", args: []string{"eval", "testdata/no-such-run", "--split", "train"}},
		{name: "eval_bad_checkpoint", args: []string{"eval", "testdata/no-such-run", "--checkpoint", "first"}},
		{name: "eval_usage", args: []string{"eval"}},

		// bench: only what does not depend on timing (TestBench checks the output's shape).
		{name: "bench_bad_spec", args: []string{"bench", "testdata/specs/bad/names.ssdgm"}},
		{name: "bench_bad_steps", args: []string{"bench", "testdata/specs/good/tiny_m2.ssdgm", "--steps", "0"}},
		{name: "bench_usage", args: []string{"bench"}},

		// sample: bad flags and --set values, caught before any checkpoint is read (TestSample draws).
		{name: "sample_usage", args: []string{"sample"}},
		{name: "sample_bad_kind", args: []string{"sample", "cmd/ssdgm/testdata/run_tiny", "--kind", "analogies", "-o", "out.png"}},
		{name: "sample_bad_checkpoint", args: []string{"sample", "cmd/ssdgm/testdata/run_tiny", "--checkpoint", "first", "-o", "out.png"}},
		{name: "sample_set_not_prior", args: []string{"sample", "cmd/ssdgm/testdata/run_tiny", "--kind", "recon", "--set", "y=1", "-o", "out.png"}},
		{name: "sample_set_bad_name", args: []string{"sample", "cmd/ssdgm/testdata/run_tiny", "--set", "yy=1", "-o", "out.png"}},
		{name: "sample_set_bad_class", args: []string{"sample", "cmd/ssdgm/testdata/run_tiny", "--set", "y=3", "-o", "out.png"}},
		{name: "sample_set_bad_vector", args: []string{"sample", "cmd/ssdgm/testdata/run_tiny", "--set", "z=1", "-o", "out.png"}},
		{name: "sample_set_data", args: []string{"sample", "cmd/ssdgm/testdata/run_tiny", "--set", "x=1", "-o", "out.png"}},
		{name: "sample_missing_run", args: []string{"sample", "testdata/no-such-run", "-o", "out.png"}},

		// results: bad arguments (runtime/results has the golden tables; TestAfterTraining a trained run).
		{name: "results_usage", args: []string{"results"}},
		{name: "results_bad_format", args: []string{"results", "--format", "html", "testdata"}},
		{name: "results_bad_plot", args: []string{"results", "--plot", "curves.svg", "testdata"}},
		{name: "results_missing_run", args: []string{"results", "testdata/no-such-run"}},
		{name: "results_not_a_run", args: []string{"results", "testdata/configs"}},
		{name: "results_no_match", args: []string{"results", "testdata/no-such-*"}},

		// predict: bad arguments caught before any input is read (TestAfterTraining predicts).
		{name: "predict_usage", args: []string{"predict", "cmd/ssdgm/testdata/run_tiny"}},
		{name: "predict_bad_format", args: []string{"predict", "cmd/ssdgm/testdata/run_tiny", "x.png", "--format", "xml"}},
		{name: "predict_npy_stdout", args: []string{"predict", "cmd/ssdgm/testdata/run_tiny", "x.png", "--format", "npy"}},
		{name: "predict_bad_checkpoint", args: []string{"predict", "cmd/ssdgm/testdata/run_tiny", "x.png", "--checkpoint", "first"}},
		{name: "predict_missing_run", args: []string{"predict", "testdata/no-such-run", "x.png"}},

		// report and graph -T: bad arguments (TestAfterTraining opens a report in a browser; TestGraphRender renders).
		{name: "report_usage", args: []string{"report"}},
		{name: "report_not_a_run", args: []string{"report", "testdata/configs"}},
		{name: "report_bad_output", args: []string{"report", "testdata/configs", "-o", "report.pdf"}},
		{name: "graph_bad_format", args: []string{"graph", "-T", "jpg", "specs/mnist.ssdgm"}},

		// train --resume: config flags the stored config would ignore, and
		// --epochs (extending the run) only without SPEC, refused before
		// anything is read (runtime/train's TestTrainExtend extends a run).
		{name: "train_resume_flags", args: []string{"train", "--resume", "cmd/ssdgm/testdata/run_tiny", "--set", "seed=3", "--lr", "0.01"}},
		{name: "train_resume_epochs_spec", args: []string{"train", "--resume", "cmd/ssdgm/testdata/run_tiny", "--epochs", "9", "--set", "optimizer.decay=0.5", "specs/mnist.ssdgm"}},
		{name: "train_resume_bad_epochs", args: []string{"train", "--resume", "cmd/ssdgm/testdata/run_tiny", "--epochs", "0"}},

		// data: the usage paths (what list finds depends on the machine).
		{name: "data_usage", args: []string{"data"}},
		{name: "data_unknown_dataset", args: []string{"data", "stats", "nope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := ssdgmStdin(t, c.stdin, c.args...)
			got := fmt.Sprintf("exit: %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
			golden := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/ssdgm -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update if intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestFmtWrite checks that fmt -w rewrites a file in place and that a
// second run changes nothing.
func TestFmtWrite(t *testing.T) {
	src, err := os.ReadFile("../../testdata/specs/good/unformatted.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vae.ssdgm")
	if err := os.WriteFile(path, src, 0o640); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		out, err := exec.Command(binary, "fmt", "-w", "-l", path).CombinedOutput()
		if err != nil {
			t.Fatalf("fmt -w: %v\n%s", err, out)
		}
		if i == 0 && !strings.Contains(string(out), path) {
			t.Errorf("first fmt -w -l should list the file, got %q", out)
		}
		if i == 1 && len(out) != 0 {
			t.Errorf("second fmt -w -l should list nothing, got %q", out)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o640 {
		t.Errorf("fmt -w changed the file mode to %v", info.Mode().Perm())
	}
}

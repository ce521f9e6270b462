package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ssdgm/compiler"
	"ssdgm/runtime/data"
	"ssdgm/runtime/pictures"
	"ssdgm/runtime/predict"
	"ssdgm/runtime/train"
)

const predictUsage = `usage: ssdgm predict [flags] RUN INPUT... [-o FILE]

Applies the encoder of the run folder RUN to new data. INPUT is a PNG or
PGM image, a folder of them, an idx image file (.gz, as MNIST's
t10k-images-idx3-ubyte.gz) or a .npy array (N×C×H×W, N×H×W, N×values or
one point; float32/float64 in [0, 1], or uint8). Every input must match
the spec's data declaration in channels and size; --resize resizes height
and width by area averaging. Unreadable or mismatched inputs are reported
by name and skipped, and the exit status is then 1.

Writes one row per input: its name (FILE, or FILE[i] for the i-th point of
an array), for every discrete supervised variable Y the predicted class
(argmax q(Y|x), computed as ssdgm eval computes it) and Y_prob, its
probability; for every continuous supervised variable its encoder mean
(one column per component); with --latents also the means of the
unsupervised continuous latents. Runs that binarise their data
(data.binarize) see the inputs binarised as evaluation binarises test
images.

--format csv (the default; json for -o FILE.json, npy for -o FILE.npy):
csv and json go to stdout without -o; npy (an inputs × columns float32
matrix, the column names printed on stderr) needs -o.
--checkpoint is as in ssdgm sample: best (the default), last or a step.`

func runPredict(e *env, args []string) int {
	fs := newFlags(e, "predict", predictUsage)
	out := fs.String("o", "", "output `FILE` (default: stdout)")
	format := fs.String("format", "", "output `format`: "+strings.Join(predict.Formats(), ", ")+" (default: from -o's extension, else csv)")
	which := fs.String("checkpoint", "best", "checkpoint: best, last or a training step")
	latents := fs.Bool("latents", false, "also write the means of the unsupervised latents")
	resize := fs.Bool("resize", false, "resize images of another size by area averaging")
	source := fs.Bool("source", e.tty, "show the source line under each spec problem")
	pos, ok := parseFlags(e, fs, predictUsage, args)
	if !ok {
		return exitUsage
	}
	if len(pos) < 2 {
		fmt.Fprintln(e.stderr, predictUsage)
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssdgm predict: "+format+"\n", a...)
		return exitUsage
	}
	if *format == "" {
		*format = "csv"
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".json":
			*format = "json"
		case ".npy":
			*format = "npy"
		}
	}
	if !slices.Contains(predict.Formats(), *format) {
		return usageErr("unknown --format %q (want one of %s)", *format, strings.Join(predict.Formats(), ", "))
	}
	if *format == "npy" && *out == "" {
		return usageErr("--format npy writes binary data: name the file with -o FILE.npy")
	}
	if _, err := parseCheckpointFlag(*which); err != nil {
		return usageErr("%v", err)
	}
	dir := pos[0]
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		fmt.Fprintf(e.stderr, "ssdgm predict: no run folder %s\n", dir)
		return exitFail
	}
	m, src, cfg, ok := runSpecAndConfig(e, dir, *source)
	if !ok {
		return exitFail
	}
	fail := func(err error) int {
		fmt.Fprint(e.stderr, "ssdgm predict: ")
		printDiags(e, err, src, *source)
		return exitFail
	}
	rd, err := predict.NewReader(m, *resize)
	if err != nil {
		return fail(err)
	}
	in, problems := rd.Read(pos[1:])
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "ssdgm predict: skipping %v\n", p)
	}
	if in.N() == 0 {
		fmt.Fprintln(e.stderr, "ssdgm predict: no input to predict")
		return exitFail
	}
	c, path, note, err := pickCheckpoint(dir, m, *which)
	if err != nil {
		return fail(err)
	}
	w, err := compiler.NewWeights(m, cfg.Dtype == "float64", uint64(cfg.Seed))
	if err != nil {
		return fail(err)
	}
	if err := pictures.LoadCheckpoint(w, c); err != nil {
		return fail(fmt.Errorf("checkpoint %s: %w", path, err))
	}
	// Binarise as evaluation does (a no-op for grey-valued runs).
	s := &data.Split{N: in.N(), Shape: [3]int{1, 1, rd.Size()}, Images: in.X}
	in.X = train.EvalImages(cfg, s).Images
	opt := predict.Options{Model: m, Weights: w, Compile: train.CompileOptions(m, cfg, max(cfg.MaxTrain, 1)), Seed: cfg.Seed, Latents: *latents}
	if e.tty {
		opt.Progress = func(done, total int) {
			const width = 30
			k := width * done / total
			fmt.Fprintf(e.stderr, "\rpredict [%s%s] %d/%d \x1b[K", strings.Repeat("=", k), strings.Repeat(" ", width-k), done, total)
			if done == total {
				fmt.Fprint(e.stderr, "\r\x1b[K")
			}
		}
	}
	t, err := predict.Predict(opt, in)
	if err != nil {
		return fail(err)
	}
	b, err := t.Encode(*format)
	if err != nil {
		return fail(err)
	}
	if *out == "" {
		_, _ = e.stdout.Write(b)
	} else if err := writeFileAtomic(*out, b); err != nil {
		return fail(err)
	}
	msg := fmt.Sprintf("%d inputs, checkpoint step %d", in.N(), c.Step)
	if note != "" {
		msg += " (" + note + ")"
	}
	if *out != "" {
		msg = "wrote " + *out + ": " + msg
	}
	if *format == "npy" {
		msg += "; columns " + strings.Join(t.ColumnNames(), ", ")
	}
	fmt.Fprintf(e.stderr, "ssdgm predict: %s\n", msg)
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "ssdgm predict: %d input(s) skipped\n", len(problems))
		return exitFail
	}
	return exitOK
}

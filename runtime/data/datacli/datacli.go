// Package datacli implements the `ssdgm data` command: list the known
// datasets, draw a grid of examples, and count examples per split and label.
package datacli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"ssdgm/runtime/atomicfile"
	"ssdgm/runtime/data"
	"ssdgm/runtime/grid"
)

// Usage is the help text of the data command.
const Usage = `usage: ssdgm data <command> [flags]

commands:
  list                     the known datasets, where they were looked for, and their label schemas
  show NAME [flags]        write a PNG grid of examples and a legend of their labels
  stats NAME [flags]       count examples per split and per label class

flags (any command):
  --data DIR               data folder (default $SSDGM_DATA, else ../shared/datasets from the module root)
  --cache DIR              cache folder for generated datasets (default the user cache folder + /ssdgm)
  --yaleb-size HxW         Yale B image size (default 64x56)
  --yaleb-split identity|lighting
  --seed N                 seed of Yale B's split and of multi-MNIST's generator (default 0)
  --mm-max N               multi-MNIST: most digits per image (default 3)
  --mm-sizes T,V,E         multi-MNIST: train, val, test sizes (default 50000,10000,10000)
flags of show:
  -n N                     number of examples (default 64)
  -o FILE                  PNG to write (default NAME.png in a new temporary folder, printed first);
                           the legend goes to FILE without .png + .labels.txt
  --split train|val|test   split to show (default train)
  --start K                first example shown (default 0)
  --scale S                integer enlargement (default 2)
`

// DataCommand runs `ssdgm data ARGS...`; args start after the word "data"
// (for example []string{"show", "mnist", "-n", "16"}). It returns the exit
// status: 0 on success, 1 on an error, 2 on a usage error.
func DataCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, Usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, Usage)
		return 0
	case "list", "show", "stats":
	default:
		fmt.Fprintf(stderr, "ssdgm data: unknown command %q\n\n%s", cmd, Usage)
		return 2
	}
	f, err := parseFlags(cmd, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, Usage)
			return 0
		}
		fmt.Fprintf(stderr, "ssdgm data %s: %v\n\n%s", cmd, err, Usage)
		return 2
	}
	switch cmd {
	case "list":
		if len(f.args) != 0 {
			fmt.Fprintf(stderr, "ssdgm data list: takes no arguments, got %q\n", f.args)
			return 2
		}
		list(stdout, f.opts)
		return 0
	}
	if len(f.args) != 1 {
		fmt.Fprintf(stderr, "ssdgm data %s: want one dataset name (one of %s), got %d arguments\n", cmd, strings.Join(data.Names(), ", "), len(f.args))
		return 2
	}
	ds, err := data.Open(f.args[0], f.opts)
	if err != nil {
		fmt.Fprintf(stderr, "ssdgm data %s: %v\n", cmd, err)
		return 1
	}
	if cmd == "stats" {
		stats(stdout, ds)
		return 0
	}
	if err := show(stdout, ds, f); err != nil {
		fmt.Fprintf(stderr, "ssdgm data show: %v\n", err)
		return 1
	}
	return 0
}

// flags are the parsed flags of one command.
type flags struct {
	opts  data.Options
	args  []string
	n     int
	out   string
	split string
	start int
	scale int
}

// parseFlags parses flags placed before, between or after the positional
// arguments.
func parseFlags(cmd string, args []string) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("data "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.opts.DataDir, "data", "", "")
	fs.StringVar(&f.opts.CacheDir, "cache", "", "")
	yaleSize := fs.String("yaleb-size", "", "")
	yaleSplit := fs.String("yaleb-split", "identity", "")
	seed := fs.Uint64("seed", 0, "")
	fs.IntVar(&f.opts.MultiMNIST.MaxDigits, "mm-max", 0, "")
	mmSizes := fs.String("mm-sizes", "", "")
	if cmd == "show" {
		fs.IntVar(&f.n, "n", 64, "")
		fs.StringVar(&f.out, "o", "", "")
		fs.StringVar(&f.split, "split", "train", "")
		fs.IntVar(&f.start, "start", 0, "")
		fs.IntVar(&f.scale, "scale", 2, "")
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		f.args = append(f.args, fs.Arg(0))
		args = fs.Args()[1:]
	}
	f.opts.YaleB.Seed, f.opts.MultiMNIST.Seed = *seed, *seed
	if *yaleSize != "" {
		h, w, ok := parsePair(*yaleSize, "x")
		if !ok {
			return nil, fmt.Errorf("--yaleb-size %q: want HxW, e.g. 64x56", *yaleSize)
		}
		f.opts.YaleB.Height, f.opts.YaleB.Width = h, w
	}
	switch *yaleSplit {
	case "identity":
		f.opts.YaleB.Split = data.SplitByIdentity
	case "lighting":
		f.opts.YaleB.Split = data.SplitByLighting
	default:
		return nil, fmt.Errorf("--yaleb-split %q: want identity or lighting", *yaleSplit)
	}
	if *mmSizes != "" {
		parts := strings.Split(*mmSizes, ",")
		var v [3]int
		for i := range v {
			if len(parts) != 3 {
				break
			}
			n, err := strconv.Atoi(parts[i])
			if err != nil || n <= 0 {
				parts = nil
				break
			}
			v[i] = n
		}
		if len(parts) != 3 {
			return nil, fmt.Errorf("--mm-sizes %q: want three positive sizes TRAIN,VAL,TEST", *mmSizes)
		}
		m := &f.opts.MultiMNIST
		m.Train, m.Val, m.Test = v[0], v[1], v[2]
	}
	if f.opts.MultiMNIST.MaxDigits < 0 {
		return nil, errors.New("--mm-max must be positive")
	}
	if cmd == "show" {
		if f.n <= 0 || f.n > 10000 {
			return nil, fmt.Errorf("-n %d: want 1..10000", f.n)
		}
		if f.scale <= 0 || f.scale > 16 {
			return nil, fmt.Errorf("--scale %d: want 1..16", f.scale)
		}
		if f.start < 0 {
			return nil, fmt.Errorf("--start %d: want ≥ 0", f.start)
		}
	}
	return f, nil
}

func parsePair(s, sep string) (int, int, bool) {
	a, b, ok := strings.Cut(strings.ToLower(s), sep)
	if !ok {
		return 0, 0, false
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, err1 == nil && err2 == nil && x > 0 && y > 0
}

func list(w io.Writer, opts data.Options) {
	for i, info := range data.List(opts) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		status := "not found"
		if info.Found {
			status = "found: " + info.Where
		}
		fmt.Fprintf(w, "%-14s %s\n", info.Name, status)
		fmt.Fprintf(w, "  %s\n", info.Doc)
		fmt.Fprintf(w, "  image %d×%d×%d (C×H×W), values in [0, 1]\n", info.Shape[0], info.Shape[1], info.Shape[2])
		for _, l := range info.Schema {
			fmt.Fprintf(w, "  label %s\n", l)
		}
		if len(info.Tried) > 0 {
			fmt.Fprintf(w, "  looked in: %s\n", strings.Join(info.Tried, ", "))
		}
		if !info.Found {
			fmt.Fprintf(w, "  to get it: %s\n", info.Hint)
		}
	}
}

// show writes the grid and the legend.
func show(w io.Writer, ds *data.Dataset, f *flags) error {
	var s *data.Split
	for _, ns := range ds.Splits() {
		if ns.Name == f.split {
			s = ns.Split
		}
	}
	if s == nil {
		return fmt.Errorf("--split %q: want train, val or test", f.split)
	}
	if f.start >= s.N {
		return fmt.Errorf("--start %d: the %s split of %s has %d examples", f.start, f.split, ds.Name, s.N)
	}
	n := min(f.n, s.N-f.start)
	out := f.out
	if out == "" {
		// Never silently into the current folder (a checkout, say): a
		// fresh temporary folder, named on the first line printed.
		dir, err := os.MkdirTemp("", "ssdgm-data-show-")
		if err != nil {
			return fmt.Errorf("no -o given and no temporary folder: %w", err)
		}
		out = filepath.Join(dir, ds.Name+".png")
	}
	rows, cols := grid.Fit(n)
	size := s.ImageSize()
	imgs := s.Images[f.start*size : (f.start+n)*size]
	if err := grid.WriteFile(out, imgs, s.Shape, rows, cols, grid.Options{Scale: f.scale}); err != nil {
		return err
	}
	var legend strings.Builder
	fmt.Fprintf(&legend, "%s, %s split, examples %d..%d, %d×%d grid, row by row\n", ds.Name, f.split, f.start, f.start+n-1, rows, cols)
	for k := 0; k < n; k++ {
		i := f.start + k
		fmt.Fprintf(&legend, "r%d c%d #%d %s\n", k/cols, k%cols, i, LabelText(ds, s, i))
	}
	legendPath := strings.TrimSuffix(out, filepath.Ext(out)) + ".labels.txt"
	if err := atomicfile.Write(legendPath, []byte(legend.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (%d examples of %s/%s) and %s\n", out, n, ds.Name, f.split, legendPath)
	for _, note := range ds.Notes {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	return nil
}

// LabelText describes the labels of example i in one line, e.g.
// "digit=7" or "count=2 digits=[3 8] positions=[(0.42 -0.31 0.10) (…)]".
func LabelText(ds *data.Dataset, s *data.Split, i int) string {
	var parts []string
	for _, l := range ds.Schema {
		d := s.Labels[l.Name]
		if d == nil || !d.Has[i] {
			parts = append(parts, l.Name+"=?")
			continue
		}
		slots := max(l.Slots, 1)
		var vals []string
		for k := 0; k < slots; k++ {
			if l.Slots > 0 && !d.SlotHas[i*l.Slots+k] {
				continue
			}
			if l.Kind == data.Categorical {
				c := d.Class(i, k)
				v := strconv.Itoa(c)
				if names := ds.ClassNames[l.Name]; c >= 0 && c < len(names) {
					v = names[c]
					if strings.ContainsAny(v, " \t") {
						v = strconv.Quote(v)
					}
				}
				vals = append(vals, v)
				continue
			}
			var xs []string
			for _, x := range d.Vector(i, k) {
				xs = append(xs, strconv.FormatFloat(float64(x), 'f', 2, 32))
			}
			vals = append(vals, "("+strings.Join(xs, " ")+")")
		}
		if l.Slots > 0 {
			parts = append(parts, l.Name+"=["+strings.Join(vals, " ")+"]")
		} else {
			parts = append(parts, l.Name+"="+strings.Join(vals, ""))
		}
	}
	return strings.Join(parts, " ")
}

// stats prints the counts per split and per label.
func stats(w io.Writer, ds *data.Dataset) {
	fmt.Fprintf(w, "%s: image %d×%d×%d, from %s\n", ds.Name, ds.Shape[0], ds.Shape[1], ds.Shape[2], ds.Source)
	for _, note := range ds.Notes {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	for _, ns := range ds.Splits() {
		s := ns.Split
		var sum float64
		for _, v := range s.Images {
			sum += float64(v)
		}
		mean := 0.0
		if len(s.Images) > 0 {
			mean = sum / float64(len(s.Images))
		}
		fmt.Fprintf(w, "\n%s: %d examples, mean pixel %.4f\n", ns.Name, s.N, mean)
		for _, l := range ds.Schema {
			labelStats(w, ds, s, l)
		}
	}
}

func labelStats(w io.Writer, ds *data.Dataset, s *data.Split, l data.Label) {
	d := s.Labels[l.Name]
	has := 0
	for _, h := range d.Has {
		if h {
			has++
		}
	}
	fmt.Fprintf(w, "  %s (%s): %d of %d examples labelled\n", l.Name, l.String()[len(l.Name)+2:], has, s.N)
	slots := max(l.Slots, 1)
	present := func(i, k int) bool { return d.Has[i] && (l.Slots == 0 || d.SlotHas[i*l.Slots+k]) }
	if l.Kind == data.Categorical {
		counts := make([]int, l.Classes)
		for i := 0; i < s.N; i++ {
			for k := 0; k < slots; k++ {
				if c := d.Class(i, k); present(i, k) && c >= 0 && c < l.Classes {
					counts[c]++
				}
			}
		}
		var b strings.Builder
		for c, n := range counts {
			name := strconv.Itoa(c)
			if names := ds.ClassNames[l.Name]; c < len(names) {
				name = names[c]
			}
			fmt.Fprintf(&b, " %s:%d", name, n)
		}
		fmt.Fprintf(w, "   per class:%s\n", b.String())
		return
	}
	lo := make([]float64, l.Dim)
	hi := make([]float64, l.Dim)
	sum := make([]float64, l.Dim)
	n := 0
	for i := 0; i < s.N; i++ {
		for k := 0; k < slots; k++ {
			if !present(i, k) {
				continue
			}
			for j, v := range d.Vector(i, k) {
				x := float64(v)
				if n == 0 || x < lo[j] {
					lo[j] = x
				}
				if n == 0 || x > hi[j] {
					hi[j] = x
				}
				sum[j] += x
			}
			n++
		}
	}
	for j := range sum {
		if n > 0 {
			sum[j] /= float64(n)
		}
		fmt.Fprintf(w, "   component %d: mean %.3f, min %.3f, max %.3f over %d values\n", j, sum[j], lo[j], hi[j], n)
	}
}

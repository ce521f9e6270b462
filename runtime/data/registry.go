package data

import (
	"fmt"
	"sort"
	"strings"

	"ssdgm/lang/diag"
)

// Info describes a known dataset for `ssdgm data list`: its schema, whether
// its files were found and where they were looked for.
type Info struct {
	Name   string
	Doc    string // one line
	Shape  [3]int // C, H, W with the given options
	Schema Schema
	Found  bool
	Where  string   // the folder or file it is read from, when found
	Tried  []string // the places looked at, in order
	Hint   string   // how to get the files, when not found
}

// entry is one dataset of the registry.
type entry struct {
	name   string
	doc    string
	shape  func(Options) [3]int
	schema func(Options) Schema
	locate func(Options) (where string, tried []string, hint string)
	open   func(Options) (*Dataset, error)
}

func registry() []entry {
	return []entry{
		{
			name:   "mnist",
			doc:    "MNIST handwritten digits, 28×28 grey (train 50,000 / val 10,000 / test 10,000)",
			shape:  func(Options) [3]int { return [3]int{1, 28, 28} },
			schema: func(Options) Schema { return Schema{digitLabel()} },
			locate: locateMNIST,
			open:   openMNIST,
		},
		{
			name:   "fashion-mnist",
			doc:    "Fashion-MNIST clothing items, 28×28 grey (train 50,000 / val 10,000 / test 10,000)",
			shape:  func(Options) [3]int { return [3]int{1, 28, 28} },
			schema: func(Options) Schema { return Schema{fashionLabel()} },
			locate: locateFashion,
			open:   openFashion,
		},
		{
			name:   "yaleb",
			doc:    "Extended Yale B cropped faces, grey, 38 subjects × 64 lightings",
			shape:  func(o Options) [3]int { y := o.YaleB.withDefaults(); return [3]int{1, y.Height, y.Width} },
			schema: func(Options) Schema { return yaleBSchema() },
			locate: locateYaleB,
			open:   openYaleB,
		},
		{
			name:   "svhn",
			doc:    "SVHN cropped house-number digits, 32×32 colour",
			shape:  func(Options) [3]int { return [3]int{3, 32, 32} },
			schema: func(Options) Schema { return Schema{digitLabel()} },
			locate: locateSVHN,
			open:   openSVHN,
		},
		{
			name:   ColourDigitsName,
			doc:    "colour digits: MNIST padded to 32×32 with seeded random stroke and background colours, an SVHN stand-in (generated in memory)",
			shape:  func(Options) [3]int { return [3]int{3, 32, 32} },
			schema: func(Options) Schema { return Schema{digitLabel()} },
			locate: locateMNIST,
			open:   openColourDigits,
		},
		{
			name: "multimnist",
			doc:  "multi-MNIST: non-overlapping MNIST digits on a canvas, generated (seeded) and cached",
			shape: func(o Options) [3]int {
				m := o.MultiMNIST.withDefaults()
				return [3]int{1, m.Canvas, m.Canvas}
			},
			schema: func(o Options) Schema { return multiMNISTSchema(o.MultiMNIST.withDefaults()) },
			locate: locateMultiMNIST,
			open:   openMultiMNIST,
		},
	}
}

// Names returns the names of the known datasets.
func Names() []string {
	var names []string
	for _, e := range registry() {
		names = append(names, e.name)
	}
	return names
}

func lookup(name string) (entry, error) {
	for _, e := range registry() {
		if e.name == name {
			return e, nil
		}
	}
	msg := fmt.Sprintf("data: unknown dataset %q; known: %s", name, strings.Join(Names(), ", "))
	if s := diag.Closest(name, Names()); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return entry{}, fmt.Errorf("%s", msg)
}

// Open reads (or, for multi-MNIST, generates or loads from the cache) the
// named dataset.
func Open(name string, opts Options) (*Dataset, error) {
	e, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return e.open(opts)
}

// SchemaOf returns the label schema and image shape of the named dataset
// under the given options without reading any file.
func SchemaOf(name string, opts Options) (Schema, [3]int, error) {
	e, err := lookup(name)
	if err != nil {
		return nil, [3]int{}, err
	}
	return e.schema(opts), e.shape(opts), nil
}

// List describes every known dataset: schema, shape and where its files
// were looked for and found. It reads no data, only checks that files exist.
func List(opts Options) []Info {
	var out []Info
	for _, e := range registry() {
		where, tried, hint := e.locate(opts)
		out = append(out, Info{
			Name: e.name, Doc: e.doc, Shape: e.shape(opts), Schema: e.schema(opts),
			Found: where != "", Where: where, Tried: tried, Hint: hint,
		})
	}
	return out
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

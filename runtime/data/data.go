// Package data reads the datasets that ssdgm trains on (MNIST, Fashion-MNIST,
// Extended Yale B, SVHN and a generated multi-MNIST), each with a label schema
// that model specs bind their supervision to.
//
// A dataset is opened by name with Open and comes as three splits (train,
// validation, test). A split holds its images as one contiguous []float32 in
// [0, 1] laid out N×C×H×W (row-major), and, for each label of the schema, one
// contiguous []float32 of values plus masks saying which examples (and which
// slots) carry the label. Every reader validates magic numbers, sizes, counts
// and, where an official one exists, a checksum: a corrupt or truncated file
// gives an error naming the file and what is wrong.
package data

import (
	"fmt"
	"strings"
)

// LabelKind says whether a label is a class index or a real vector.
type LabelKind int

const (
	// Categorical labels hold a class index in [0, Classes) stored as a float32.
	Categorical LabelKind = iota
	// Continuous labels hold Dim real numbers.
	Continuous
)

// String returns "categorical" or "continuous".
func (k LabelKind) String() string {
	switch k {
	case Categorical:
		return "categorical"
	case Continuous:
		return "continuous"
	}
	return fmt.Sprintf("LabelKind(%d)", int(k))
}

// Label describes one label of a dataset.
type Label struct {
	Name    string
	Kind    LabelKind
	Classes int // number of classes of a categorical label
	Dim     int // number of reals of a continuous label
	// Slots is 0 when the label has one value per example, and S > 0 when it
	// has an array of S values per example (for example the per-digit labels
	// of multi-MNIST); slots an example does not use are marked absent.
	Slots int
	Doc   string // one line: what the label means
}

// Width returns the number of float32 values the label takes per slot: 1 for
// a categorical label, Dim for a continuous one.
func (l Label) Width() int {
	if l.Kind == Continuous {
		return l.Dim
	}
	return 1
}

// PerExample returns the number of float32 values the label takes per
// example: Width times the number of slots (at least one).
func (l Label) PerExample() int {
	return l.Width() * l.slots()
}

func (l Label) slots() int {
	if l.Slots > 0 {
		return l.Slots
	}
	return 1
}

// String describes the label in one line, e.g. "digit: categorical over 10".
func (l Label) String() string {
	var b strings.Builder
	b.WriteString(l.Name)
	b.WriteString(": ")
	if l.Kind == Categorical {
		fmt.Fprintf(&b, "categorical over %d", l.Classes)
	} else {
		fmt.Fprintf(&b, "continuous of dimension %d", l.Dim)
	}
	if l.Slots > 0 {
		fmt.Fprintf(&b, ", %d slots", l.Slots)
	}
	return b.String()
}

// Schema is the list of labels a dataset provides.
type Schema []Label

// Lookup returns the label with the given name.
func (s Schema) Lookup(name string) (Label, bool) {
	for _, l := range s {
		if l.Name == name {
			return l, true
		}
	}
	return Label{}, false
}

// Names returns the label names in schema order.
func (s Schema) Names() []string {
	names := make([]string, len(s))
	for i, l := range s {
		names[i] = l.Name
	}
	return names
}

// LabelData holds the values of one label for every example of a split.
type LabelData struct {
	Label Label
	// Values has N*Label.PerExample() entries: for example i and slot k the
	// values start at (i*slots+k)*Width. Categorical values are class indices
	// as float32; an absent categorical value is -1, an absent continuous
	// value is all zeros.
	Values []float32
	// Has[i] says whether example i carries the label.
	Has []bool
	// SlotHas[i*Slots+k] says whether slot k of example i is present; nil
	// when Label.Slots is 0.
	SlotHas []bool
}

// Class returns the class index of example i, slot k (k = 0 for a label
// without slots), or -1 when it is absent.
func (d *LabelData) Class(i, k int) int {
	v := d.Values[i*d.Label.slots()+k]
	return int(v)
}

// Vector returns the values of example i, slot k (k = 0 for a label without
// slots); the slice aliases the split's storage.
func (d *LabelData) Vector(i, k int) []float32 {
	w := d.Label.Width()
	off := (i*d.Label.slots() + k) * w
	return d.Values[off : off+w]
}

// Split is one part (train, validation or test) of a dataset.
type Split struct {
	N      int
	Shape  [3]int    // C, H, W of every image
	Images []float32 // N*C*H*W values in [0, 1], row-major C, H, W
	Labels map[string]*LabelData
	// IDs names where each example came from (e.g. the file inside
	// CroppedYale.zip); nil when the reader has no such names.
	IDs []string
}

// ImageSize returns C*H*W, the number of values of one image.
func (s *Split) ImageSize() int { return s.Shape[0] * s.Shape[1] * s.Shape[2] }

// Image returns image i; the slice aliases the split's storage.
func (s *Split) Image(i int) []float32 {
	n := s.ImageSize()
	return s.Images[i*n : (i+1)*n]
}

// Subset returns a new split holding copies of the examples at the given
// indices, in that order.
func (s *Split) Subset(idx []int) (*Split, error) {
	out := newSplit(len(idx), s.Shape, labelsOf(s))
	n := s.ImageSize()
	for j, i := range idx {
		if i < 0 || i >= s.N {
			return nil, fmt.Errorf("data: subset index %d out of range [0, %d)", i, s.N)
		}
		copy(out.Images[j*n:(j+1)*n], s.Image(i))
		if s.IDs != nil {
			out.IDs = append(out.IDs, s.IDs[i])
		}
		for name, src := range s.Labels {
			dst := out.Labels[name]
			per := src.Label.PerExample()
			copy(dst.Values[j*per:(j+1)*per], src.Values[i*per:(i+1)*per])
			dst.Has[j] = src.Has[i]
			if sl := src.Label.Slots; sl > 0 {
				copy(dst.SlotHas[j*sl:(j+1)*sl], src.SlotHas[i*sl:(i+1)*sl])
			}
		}
	}
	return out, nil
}

// Validate checks that the split's arrays have consistent lengths and that
// every value is in range: images in [0, 1], present categorical values in
// [0, Classes), absent ones -1.
func (s *Split) Validate() error {
	if s.N < 0 || len(s.Images) != s.N*s.ImageSize() {
		return fmt.Errorf("data: split has %d image values, want %d×%v", len(s.Images), s.N, s.Shape)
	}
	for i, v := range s.Images {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("data: image value %d is %v, outside [0, 1]", i, v)
		}
	}
	for name, d := range s.Labels {
		l := d.Label
		if len(d.Values) != s.N*l.PerExample() || len(d.Has) != s.N {
			return fmt.Errorf("data: label %q has %d values and %d marks for %d examples", name, len(d.Values), len(d.Has), s.N)
		}
		if l.Slots > 0 && len(d.SlotHas) != s.N*l.Slots {
			return fmt.Errorf("data: label %q has %d slot marks, want %d", name, len(d.SlotHas), s.N*l.Slots)
		}
		if l.Kind != Categorical {
			continue
		}
		for j, v := range d.Values {
			present := d.Has[j/l.slots()] && (l.Slots == 0 || d.SlotHas[j])
			if present && (v < 0 || v >= float32(l.Classes) || v != float32(int(v))) {
				return fmt.Errorf("data: label %q value %d is %v, not a class in [0, %d)", name, j, v, l.Classes)
			}
			if !present && v != -1 {
				return fmt.Errorf("data: label %q value %d is absent but holds %v, want -1", name, j, v)
			}
		}
	}
	return nil
}

func labelsOf(s *Split) Schema {
	var schema Schema
	for _, d := range s.Labels {
		schema = append(schema, d.Label)
	}
	return schema
}

// newSplit allocates a split of n examples with zeroed images and every
// label present (slots present too; callers mark absent slots).
func newSplit(n int, shape [3]int, schema Schema) *Split {
	s := &Split{N: n, Shape: shape, Labels: make(map[string]*LabelData, len(schema))}
	s.Images = make([]float32, n*shape[0]*shape[1]*shape[2])
	for _, l := range schema {
		d := &LabelData{Label: l, Values: make([]float32, n*l.PerExample()), Has: make([]bool, n)}
		for i := range d.Has {
			d.Has[i] = true
		}
		if l.Slots > 0 {
			d.SlotHas = make([]bool, n*l.Slots)
			for i := range d.SlotHas {
				d.SlotHas[i] = true
			}
		}
		s.Labels[l.Name] = d
	}
	return s
}

// Dataset is a named dataset with its label schema and three splits.
type Dataset struct {
	Name   string
	Schema Schema
	Shape  [3]int // C, H, W
	Train  *Split
	Val    *Split
	Test   *Split
	Source string   // where it was read from (a folder, file or cache file)
	Notes  []string // things the reader wants reported, e.g. skipped files
	// ClassNames names the classes of some categorical labels by index
	// (e.g. "identity": yaleB01, yaleB02, …); labels not in it have no names.
	ClassNames map[string][]string
}

// Splits returns the splits with their names, in the order train, val, test.
func (d *Dataset) Splits() []NamedSplit {
	return []NamedSplit{{"train", d.Train}, {"val", d.Val}, {"test", d.Test}}
}

// NamedSplit pairs a split with its name.
type NamedSplit struct {
	Name  string
	Split *Split
}

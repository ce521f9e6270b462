package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSchema(t *testing.T) {
	s := multiMNISTSchema(MultiMNISTOptions{}.withDefaults())
	tests := []struct {
		name       string
		found      bool
		str        string
		perExample int
	}{
		{"count", true, "count: categorical over 4", 1},
		{"digits", true, "digits: categorical over 10, 3 slots", 3},
		{"positions", true, "positions: continuous of dimension 3, 3 slots", 9},
		{"digit", false, "", 0},
	}
	for _, tt := range tests {
		l, ok := s.Lookup(tt.name)
		if ok != tt.found {
			t.Errorf("Lookup(%q) found %v", tt.name, ok)
			continue
		}
		if ok && (l.String() != tt.str || l.PerExample() != tt.perExample) {
			t.Errorf("%s: %q, %d values per example; want %q, %d", tt.name, l, l.PerExample(), tt.str, tt.perExample)
		}
	}
	if got := strings.Join(s.Names(), ","); got != "count,digits,positions" {
		t.Errorf("names %s", got)
	}
}

func TestSubsetAndValidate(t *testing.T) {
	ds, err := GenerateMultiMNIST(MultiMNISTOptions{Train: 10, Val: 1, Test: 1, Seed: 2}, fakeMNIST(20))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := ds.Train.Subset([]int{7, 2, 7})
	if err != nil {
		t.Fatal(err)
	}
	if sub.N != 3 || sub.Image(0)[1234] != ds.Train.Image(7)[1234] || sub.Labels["count"].Class(1, 0) != ds.Train.Labels["count"].Class(2, 0) {
		t.Error("subset does not copy the chosen examples")
	}
	if got, want := sub.Labels["positions"].Vector(2, 1), ds.Train.Labels["positions"].Vector(7, 1); got[1] != want[1] || got[0] != want[0] {
		t.Errorf("subset positions %v, want %v", got, want)
	}
	if err := sub.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := ds.Train.Subset([]int{10}); err == nil {
		t.Error("index 10 of 10 accepted")
	}
	breaks := []struct {
		name   string
		break_ func(s *Split)
		want   string
	}{
		{"pixel above 1", func(s *Split) { s.Images[5] = 1.5 }, "outside [0, 1]"},
		{"short images", func(s *Split) { s.Images = s.Images[:10] }, "image values"},
		{"class out of range", func(s *Split) { s.Labels["count"].Values[0] = 4 }, "not a class"},
		{"absent slot with a class", func(s *Split) {
			d := s.Labels["digits"]
			for j, h := range d.SlotHas {
				if !h {
					d.Values[j] = 3
					return
				}
			}
			d.Values[0] = 0.5
		}, "value"},
		{"missing marks", func(s *Split) { s.Labels["positions"].SlotHas = nil }, "slot marks"},
	}
	for _, tt := range breaks {
		s, _ := ds.Train.Subset([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
		tt.break_(s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	if got := strings.Join(Names(), " "); got != "mnist fashion-mnist yaleb svhn mnist-colour multimnist" {
		t.Errorf("names %s", got)
	}
	_, err := Open("minst", Options{})
	if err == nil || !strings.Contains(err.Error(), `did you mean "mnist"`) {
		t.Errorf("err = %v, want a suggestion", err)
	}
	if _, err := Open("cifar", Options{}); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("err = %v, want no suggestion", err)
	}
	schema, shape, err := SchemaOf("yaleb", Options{YaleB: YaleBOptions{Height: 48, Width: 42}})
	if err != nil || shape != [3]int{1, 48, 42} || len(schema) != 2 || schema[1].Dim != 3 {
		t.Errorf("SchemaOf(yaleb) = %v, %v, %v", schema, shape, err)
	}

	// An empty data folder: Yale B and SVHN are not found, with hints.
	empty := t.TempDir()
	for _, info := range List(Options{DataDir: empty, FashionDir: filepath.Join(empty, "none")}) {
		switch info.Name {
		case "yaleb", "svhn", "fashion-mnist":
			if info.Found || info.Hint == "" || len(info.Tried) == 0 {
				t.Errorf("%s: %+v, want not found with a hint", info.Name, info)
			}
		}
		if len(info.Schema) == 0 {
			t.Errorf("%s has no schema", info.Name)
		}
	}
	if _, err := Open("yaleb", Options{DataDir: empty}); err == nil || !strings.Contains(err.Error(), "CroppedYale.zip not found") {
		t.Errorf("yaleb in an empty folder: %v", err)
	}
	if _, err := Open("fashion-mnist", Options{FashionDir: empty}); err == nil || !strings.Contains(err.Error(), "dataset-fashion-mnist") {
		t.Errorf("fashion-mnist in an empty folder: %v", err)
	}
	if _, err := Open("mnist", Options{MNISTDir: empty}); err == nil || !strings.Contains(err.Error(), "go mod download") {
		t.Errorf("mnist in an empty folder: %v", err)
	}
}

func TestDataDir(t *testing.T) {
	env := t.TempDir()
	t.Setenv(DataDirEnv, env)
	if dir, _ := (Options{}).dataDir(); dir != env {
		t.Errorf("with $%s set: %q", DataDirEnv, dir)
	}
	if dir, _ := (Options{DataDir: "/x"}).dataDir(); dir != "/x" {
		t.Errorf("DataDir wins: %q", dir)
	}
	t.Setenv(DataDirEnv, "")
	root := filepath.Join(t.TempDir(), "main")
	shared := filepath.Join(filepath.Dir(root), "shared", "datasets")
	os.MkdirAll(shared, 0o755)
	if dir, _ := (Options{ModuleRoot: root}).dataDir(); dir != shared {
		t.Errorf("module root %s: data dir %q, want %s", root, dir, shared)
	}
	// MNIST files in DATA/mnist are found first.
	mn := filepath.Join(shared, "mnist")
	os.MkdirAll(mn, 0o755)
	writeIDXSet(t, mn, 12, 2, 2, 2)
	if dir, _ := (Options{ModuleRoot: root}).mnistDir(); dir != mn {
		t.Errorf("mnist dir %q, want %s", dir, mn)
	}
	// ... and their md5 is checked, naming the file.
	if _, err := Open("mnist", Options{ModuleRoot: root}); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz: md5") {
		t.Errorf("err = %v, want an md5 error", err)
	}
}

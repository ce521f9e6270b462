package main

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/runtime/data"
	"ssdgm/runtime/train"
)

// shippedDatasets names the dataset each shipped spec is trained on. The
// specs with a run config beside them must name the same one there; the
// others are MNIST variants trained with an MNIST config.
var shippedDatasets = map[string]string{
	"faces.ssdgm":        "yaleb",
	"mnist-cb.ssdgm":     "mnist",
	"mnist-glyph.ssdgm":  "mnist",
	"mnist-m1.ssdgm":     "mnist",
	"mnist-m1m2.ssdgm":   "mnist",
	"mnist-sdgm.ssdgm":   "mnist",
	"mnist-zfirst.ssdgm": "mnist",
	"mnist.ssdgm":        "mnist",
	"multimnist.ssdgm":   "multimnist",
	"svhn.ssdgm":         "svhn",
}

// TestShippedSpecsMatchSchemas holds every spec in specs/ against its
// dataset's label schema and image shape: in process through the
// registry's schema (what `ssdgm check --dataset` and training use), through
// the command line with --dataset, and against a spec the wrong dataset, which
// must fail so that the check is known to bite. Every spec in specs/ must be
// in shippedDatasets, so a new spec cannot go unchecked.
func TestShippedSpecsMatchSchemas(t *testing.T) {
	specs, err := filepath.Glob("../../specs/*.ssdgm")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs found: %v", err)
	}
	var names []string
	for _, p := range specs {
		names = append(names, filepath.Base(p))
	}
	var want []string
	for n := range shippedDatasets {
		want = append(want, n)
	}
	sort.Strings(want)
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("specs/ holds %v, the test knows %v: add the new spec and its dataset to shippedDatasets", names, want)
	}
	for _, p := range specs {
		name := filepath.Base(p)
		ds := shippedDatasets[name]
		t.Run(name, func(t *testing.T) {
			if beside := datasetBeside(p); beside != "" && beside != ds {
				t.Fatalf("%s names dataset %q, want %q", strings.TrimSuffix(p, ".ssdgm")+".yaml", beside, ds)
			}
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m, err := check.Source(p, src)
			if err != nil {
				t.Fatal(err)
			}
			schema, shape, err := data.SchemaOf(ds, data.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := train.CheckSchema(m, ds, schema, shape); err != nil {
				t.Errorf("against %s's schema: %v", ds, err)
			}
			rel := filepath.Join("specs", name)
			out, errOut, code := ssdgm(t, "check", "--dataset", ds, rel)
			if code != 0 || !strings.Contains(out, "labels match dataset "+ds) {
				t.Errorf("ssdgm check --dataset %s %s: exit %d\n%s%s", ds, rel, code, out, errOut)
			}
			wrong := "yaleb"
			if ds == "yaleb" {
				wrong = "mnist"
			}
			ws, wshape, err := data.SchemaOf(wrong, data.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := train.CheckSchema(m, wrong, ws, wshape); err == nil {
				t.Errorf("%s passed against %s's schema too; the check cannot tell datasets apart", name, wrong)
			}
			if _, _, code := ssdgm(t, "check", "-q", "--dataset", wrong, rel); code != exitFail {
				t.Errorf("ssdgm check --dataset %s %s: exit %d, want %d", wrong, rel, code, exitFail)
			}
		})
	}
}

// TestSVHNSpecMatchesReadSchema checks specs/svhn.ssdgm against the schema
// and shape of SVHN as its reader delivers them from a small synthetic
// train_32x32.mat / test_32x32.mat pair in the official layout, and that
// they equal the registry's (file-free) schema that `ssdgm check` uses.
func TestSVHNSpecMatchesReadSchema(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svhn")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]int{"train_32x32.mat": 10, "test_32x32.mat": 3} {
		s := &data.Split{N: n, Shape: [3]int{3, 32, 32}, Images: make([]float32, n*3*32*32)}
		lab := &data.LabelData{
			Label:  data.Label{Name: "digit", Kind: data.Categorical, Classes: 10},
			Values: make([]float32, n), Has: make([]bool, n),
		}
		for i := 0; i < n; i++ {
			lab.Values[i], lab.Has[i] = float32(i%10), true
			for j := range s.Image(i) {
				s.Image(i)[j] = float32((i+j)%256) / 255
			}
		}
		s.Labels = map[string]*data.LabelData{"digit": lab}
		raw, err := data.EncodeSVHNMat(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read, err := data.Open("svhn", data.Options{DataDir: filepath.Dir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	schema, shape, err := data.SchemaOf("svhn", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read.Schema, schema) || read.Shape != shape {
		t.Errorf("the reader gives schema %v shape %v, the registry %v %v", read.Schema, read.Shape, schema, shape)
	}
	src, err := os.ReadFile("../../specs/svhn.ssdgm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := check.Source("specs/svhn.ssdgm", src)
	if err != nil {
		t.Fatal(err)
	}
	if err := train.CheckSchema(m, "svhn", read.Schema, read.Shape); err != nil {
		t.Errorf("specs/svhn.ssdgm against the SVHN read from files: %v", err)
	}
}

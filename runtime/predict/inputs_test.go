package predict

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/runtime/pictures"
)

func model(t *testing.T, data string) *check.Model {
	t.Helper()
	src := "model m\ndata x: " + data + `
net enc = linear(out: 2)
net dec = linear(out: 4)
encoder {
  z ~ Normal(loc: enc(flatten(x)), scale: 1)
}
decoder {
  z ~ Normal(loc: 0, scale: 1, shape: [2])
  x ~ Bernoulli(logits: reshape(dec(z), ` + map[string]string{"vector[4]": "[4]", "image[1, 2, 2]": "[1, 2, 2]"}[data] + `))
}
`
	m, err := check.Source("m.ssdgm", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReadShapes reads .npy arrays of every accepted shape for a vector
// and an image declaration, and resizes an image by area averaging.
func TestReadShapes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, shape []int, vals []float32) string {
		b, err := pictures.EncodeNPY(shape, vals)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	v8 := []float32{0, .1, .2, .3, .4, .5, .6, .7}
	cases := []struct {
		decl   string
		resize bool
		path   string
		names  int
		x      []float32
		err    string
	}{
		{"vector[4]", false, write("flat.npy", []int{2, 4}, v8), 2, v8, ""},
		{"vector[4]", false, write("one.npy", []int{4}, v8[:4]), 1, v8[:4], ""},
		{"vector[4]", false, write("odd.npy", []int{2, 3}, v8[:6]), 0, nil, "holds points of 3 values, but the spec declares `x: vector[4]` (4 values)"},
		{"image[1, 2, 2]", false, write("nchw.npy", []int{2, 1, 2, 2}, v8), 2, v8, ""},
		{"image[1, 2, 2]", false, write("nhw.npy", []int{2, 2, 2}, v8), 2, v8, ""},
		{"image[1, 2, 2]", false, write("n4.npy", []int{2, 4}, v8), 2, v8, ""},
		{"image[1, 2, 2]", false, write("big.npy", []int{1, 4, 2}, v8), 0, nil, "a 4×2 image, but the spec declares `x: image[1, 2, 2]` (2×2); pass --resize"},
		// 4×2 → 2×2: each output pixel averages two rows.
		{"image[1, 2, 2]", true, write("big2.npy", []int{1, 4, 2}, v8), 1, []float32{.1, .2, .5, .6}, ""},
		{"image[1, 2, 2]", false, write("rgb.npy", []int{1, 3, 2, 2}, make([]float32, 12)), 0, nil, "with 3 channels, but the spec declares `x: image[1, 2, 2]` with 1"},
	}
	for _, c := range cases {
		r, err := NewReader(model(t, c.decl), c.resize)
		if err != nil {
			t.Fatal(err)
		}
		in, problems := r.Read([]string{c.path})
		name := filepath.Base(c.path)
		if c.err != "" {
			if len(problems) != 1 || !strings.Contains(problems[0].Error(), c.err) || !strings.HasPrefix(problems[0].Error(), c.path+": ") {
				t.Errorf("%s: problems %v, want one naming the file with %q", name, problems, c.err)
			}
			continue
		}
		if len(problems) > 0 || in.N() != c.names {
			t.Errorf("%s: %d points, problems %v", name, in.N(), problems)
			continue
		}
		for i, v := range in.X {
			if d := v - c.x[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s: values %v, want %v", name, in.X, c.x)
				break
			}
		}
		if c.names > 1 && !slices.Equal(in.Names[:2], []string{c.path + "[0]", c.path + "[1]"}) {
			t.Errorf("%s: names %v", name, in.Names)
		}
	}
}

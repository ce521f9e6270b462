package diag

import (
	"bytes"
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	cases := []struct {
		name       string
		candidates []string
		want       string
	}{
		{"hh", []string{"h", "z"}, "h"},
		{"scal", []string{"loc", "scale", "shape"}, "scale"},
		{"Nromal", []string{"Normal", "Laplace"}, "Normal"},
		{"rleu", []string{"relu", "elu", "none"}, "relu"},
		{"zzzzzz", []string{"h", "scale"}, ""},
		{"digit", []string{"digit"}, ""},
		{"DIGIT", []string{"digit"}, "digit"},
	}
	for _, c := range cases {
		if got := Closest(c.name, c.candidates); got != c.want {
			t.Errorf("Closest(%q, %v) = %q, want %q", c.name, c.candidates, got, c.want)
		}
	}
	if got := DidYouMean("scal", []string{"scale"}); got != "did you mean `scale`?" {
		t.Errorf("DidYouMean = %q", got)
	}
}

func TestSortAndError(t *testing.T) {
	var l List
	l.Add(Pos{File: "a", Line: 3, Col: 1}, Pos{}, "third")
	l.Add(Pos{File: "a", Line: 1, Col: 5}, Pos{}, "first")
	l.Add(Pos{File: "a", Line: 1, Col: 5}, Pos{}, "first")
	d := l.Add(Pos{File: "a", Line: 2, Col: 1}, Pos{}, "second")
	d.Suggest = "fix it"
	d.Notes = []Note{{Pos: Pos{File: "a", Line: 1, Col: 1}, Msg: "here"}}
	l.Sort()
	want := "a:1:5: first\na:2:1: second (fix it)\n\ta:1:1: here\na:3:1: third"
	if got := l.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if (List{}).Err() != nil {
		t.Error("an empty list is not an error")
	}
}

func TestRender(t *testing.T) {
	src := []byte("model m\n  z ~ Normal(loc: hh, scale: 1)\n")
	d := Diagnostic{Pos: Pos{File: "s", Line: 2, Col: 18}, End: Pos{File: "s", Line: 2, Col: 20}, Msg: "undefined: `hh`",
		Suggest: "did you mean `h`?", Notes: []Note{{Pos: Pos{File: "s", Line: 1, Col: 7}, Msg: "model here"}}}
	var b bytes.Buffer
	Render(&b, d, src)
	want := strings.Join([]string{
		"s:2:18: undefined: `hh`",
		"   2 |   z ~ Normal(loc: hh, scale: 1)",
		"     |                  ^^",
		"  s:1:7: model here",
		"   1 | model m",
		"     |       ^",
		"  hint: did you mean `h`?",
		"",
	}, "\n")
	if b.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", b.String(), want)
	}
	b.Reset()
	Render(&b, Diagnostic{Pos: Pos{File: "s", Line: 9, Col: 1}, Msg: "past the end"}, src)
	if b.String() != "s:9:1: past the end\n" {
		t.Errorf("a position past the end prints no snippet, got %q", b.String())
	}
}

// TestPosString: file:line:col, file:line when only the line is known (a
// YAML syntax error), the file alone, or "-".
func TestPosString(t *testing.T) {
	for _, c := range []struct {
		p    Pos
		want string
	}{
		{Pos{File: "a.yaml", Line: 4, Col: 2}, "a.yaml:4:2"},
		{Pos{File: "a.yaml", Line: 4}, "a.yaml:4"},
		{Pos{File: "a.yaml"}, "a.yaml"},
		{Pos{}, "-"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.p, got, c.want)
		}
	}
}

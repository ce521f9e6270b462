package syntax

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
)

var update = flag.Bool("update", false, "rewrite golden files")

// specFiles lists every spec the tests use as input: the shipped models
// and the test specs.
func specFiles(t testing.TB) []string {
	var files []string
	for _, pat := range []string{"../../specs/*.ssdgm", "../../testdata/specs/*/*.ssdgm"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no spec files found")
	}
	return files
}

// TestGrammarGolden keeps testdata/grammar.ebnf equal to the grammar that
// participle derives from the AST, and docs/language.md quoting it. Run
// with -update after changing the grammar.
func TestGrammarGolden(t *testing.T) {
	p, err := NewParser()
	if err != nil {
		t.Fatalf("grammar does not build: %v", err)
	}
	got := p.EBNF() + "\n"
	golden := "testdata/grammar.ebnf"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./lang/syntax -update)", err)
	}
	if got != string(want) {
		t.Errorf("grammar changed; run go test ./lang/syntax -update\ngot:\n%s\nwant:\n%s", got, want)
	}
	doc, err := os.ReadFile("../../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```ebnf\n"+got+"```") {
		t.Errorf("docs/language.md does not quote the current grammar in an ```ebnf block; paste testdata/grammar.ebnf there")
	}
}

// TestRoundTrip checks that printing is idempotent and that parsing the
// printed text gives the same AST, for every spec that parses.
func TestRoundTrip(t *testing.T) {
	for _, path := range specFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(path, src)
		if err != nil {
			continue // syntax-error test inputs
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			out := Format(f)
			g, err := Parse(path, out)
			if err != nil {
				t.Fatalf("printed spec does not parse: %v\n%s", err, out)
			}
			if !sameAST(f, g) {
				t.Errorf("AST differs after printing:\n%s", out)
			}
			if again := Format(g); !bytes.Equal(again, out) {
				t.Errorf("printing is not idempotent:\nfirst:\n%s\nsecond:\n%s", out, again)
			}
			if strings.Count(string(out), "//") != strings.Count(string(src), "//") {
				t.Errorf("comments lost: %d in source, %d printed", strings.Count(string(src), "//"), strings.Count(string(out), "//"))
			}
		})
	}
}

// TestSpecsAreFormatted checks that the shipped specs are in canonical form.
func TestSpecsAreFormatted(t *testing.T) {
	files, _ := filepath.Glob("../../specs/*.ssdgm")
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(path, src)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if out := Format(f); !bytes.Equal(out, src) {
			t.Errorf("%s is not formatted; run ssdgm fmt -w %s", path, path)
		}
	}
}

// TestFormatCases checks the printer's layout on small inputs.
func TestFormatCases(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"spacing", "model  m\ndata x:image[1,2,3]\n", "model m\ndata x: image[1, 2, 3]\n"},
		{"blank lines collapse", "model m\n\n\n\ndata x: vector[2]\n", "model m\n\ndata x: vector[2]\n"},
		{"block indent", "encoder{\nz~Normal(loc:0,scale:1)\n}\n", "encoder {\n  z ~ Normal(loc: 0, scale: 1)\n}\n"},
		{"comments kept", "// head\n\nmodel m // tail\nencoder { // open\n  // inner\n  a = 1 + 2 * -b\n  // closing\n}\n// end\n",
			"// head\n\nmodel m // tail\nencoder { // open\n  // inner\n  a = 1 + 2 * -b\n  // closing\n}\n// end\n"},
		{"repeat", "decoder {\nrepeat k max 3 {\nd ~ Categorical(probs: uniform(10))\n}\n}\n",
			"decoder {\n  repeat k max 3 {\n    d ~ Categorical(probs: uniform(10))\n  }\n}\n"},
		{"parens and lists kept", "net f = mlp(hidden: [1, 2,], act: relu)\nencoder {\n  a = (b + c) * d\n}\n",
			"net f = mlp(hidden: [1, 2], act: relu)\nencoder {\n  a = (b + c) * d\n}\n"},
		{"param", "// scale\nparam  s:real[1,28 ,28]=-1 // start\nparam t: real[3] = 0.5\n",
			"// scale\nparam s: real[1, 28, 28] = -1 // start\nparam t: real[3] = 0.5\n"},
		{"empty", "", ""},
		{"only comment", "// nothing\n", "// nothing\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse("in.ssdgm", []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(Format(f)); got != c.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, c.want)
			}
		})
	}
}

// TestSyntaxErrors checks positions and messages of syntax errors that the
// bad-spec files cannot hold.
func TestSyntaxErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"deep nesting", "encoder {\n  a = " + strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100) + "\n}\n", "in.ssdgm:2:"},
		{"deep nesting message", "encoder { a = " + strings.Repeat("[", 70) + " }", "nesting deeper than 64 brackets"},
		{"stray close", "model m )", "in.ssdgm:1:9: unexpected `)` with no matching opening bracket"},
		{"named arg outside call", "encoder {\n  a = loc: 1\n}\n", "in.ssdgm:2:10: unexpected `:`"},
		{"lexer error trimmed", "model m\n$rest of file\nmore\n", "in.ssdgm:2:1: invalid character \"$\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("in.ssdgm", []byte(c.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "rest of file") {
				t.Errorf("error repeats the rest of the input: %q", err)
			}
		})
	}
}

// sameAST compares two files ignoring positions and comments.
func sameAST(a, b *File) bool {
	return reflect.DeepEqual(strip(reflect.ValueOf(a.Decls)), strip(reflect.ValueOf(b.Decls)))
}

// strip returns a copy of v's tree as nested generic values without
// positions.
func strip(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return strip(v.Elem())
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = strip(v.Index(i))
		}
		return out
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(lexer.Position{}) {
			return nil
		}
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Name == "Pos" || f.Name == "EndPos" || f.Name == "Comments" {
				continue
			}
			m[f.Name] = strip(v.Field(i))
		}
		return m
	default:
		return v.Interface()
	}
}

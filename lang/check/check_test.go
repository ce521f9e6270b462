package check

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// want is one expected diagnostic, written in a test spec as
// `### COL "regexp"` on the diagnostic's line, or `### LINE:COL "regexp"`
// anywhere.
type want struct {
	line, col int
	re        *regexp.Regexp
	src       string
}

var wantRE = regexp.MustCompile(`### (?:(\d+):)?(\d+) "((?:[^"\\]|\\.)*)"`)

func parseWants(t *testing.T, src string) []want {
	var out []want
	for i, line := range strings.Split(src, "\n") {
		for _, m := range wantRE.FindAllStringSubmatch(line, -1) {
			w := want{line: i + 1, src: m[3]}
			if m[1] != "" {
				w.line, _ = strconv.Atoi(m[1])
			}
			w.col, _ = strconv.Atoi(m[2])
			re, err := regexp.Compile(strings.ReplaceAll(m[3], `\"`, `"`))
			if err != nil {
				t.Fatalf("line %d: bad expectation regexp: %v", i+1, err)
			}
			w.re = re
			out = append(out, w)
		}
	}
	return out
}

// diagnose parses and checks a spec and returns every diagnostic.
func diagnose(name string, src []byte) (diag.List, error) {
	f, err := syntax.Parse(name, src)
	if err == nil {
		_, err = Check(f)
	}
	if err == nil {
		return nil, nil
	}
	var list diag.List
	if !errors.As(err, &list) {
		return nil, err
	}
	return list, nil
}

func text(d diag.Diagnostic) string {
	if d.Suggest != "" {
		return d.Msg + " (" + d.Suggest + ")"
	}
	return d.Msg
}

// TestBadSpecs checks that every bad spec in testdata raises exactly the
// diagnostics written beside its lines, at their line and column.
func TestBadSpecs(t *testing.T) {
	files, err := filepath.Glob("../../testdata/specs/bad/*.ssdgm")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad specs found: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wants := parseWants(t, string(src))
			if len(wants) == 0 {
				t.Fatal("no ### expectations in file")
			}
			got, err := diagnose(filepath.Base(path), src)
			if err != nil {
				t.Fatalf("unexpected non-diagnostic error: %v", err)
			}
			used := make([]bool, len(got))
			for _, w := range wants {
				found := false
				for i, d := range got {
					if !used[i] && d.Pos.Line == w.line && d.Pos.Col == w.col && w.re.MatchString(text(d)) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("%d:%d: missing diagnostic matching %q", w.line, w.col, w.src)
				}
			}
			for i, d := range got {
				if !used[i] {
					t.Errorf("unexpected diagnostic %d:%d: %s", d.Pos.Line, d.Pos.Col, text(d))
				}
			}
		})
	}
}

// TestSpecsCheck checks that the shipped specs and the good test specs are
// clean.
func TestSpecsCheck(t *testing.T) {
	files, _ := filepath.Glob("../../specs/*.ssdgm")
	good, _ := filepath.Glob("../../testdata/specs/good/*.ssdgm")
	files = append(files, good...)
	if len(files) < 5 {
		t.Fatalf("expected the paper's specs, found %v", files)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := diagnose(path, src)
			if err != nil || len(got) > 0 {
				t.Fatalf("diagnostics: %v %v", err, got)
			}
		})
	}
}

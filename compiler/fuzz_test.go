package compiler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ssdgm/lang/check"
	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// fuzzLimits are tighter than the defaults so that no fuzz input may
// allocate more than some tens of megabytes when lowered at batch 1.
func fuzzLimits() check.Limits {
	return check.Limits{Params: 8_000_000, Elements: 1 << 16, Classes: 64, Slots: 8}
}

// fuzzBound is how long one input may take to parse, check and lower:
// below the 10 s after which Go's fuzzing engine kills a worker outright,
// so that a slow input is reported with its text.
const fuzzBound = 8 * time.Second

// lowerEnv names the environment variable that bounds which checked
// inputs are lowered: at most that many parameters (default: all that pass
// fuzzLimits; 0: none). Lowering costs 0.1 to 2 s of CPU per input, so a
// long run on starved cores sets it to 0 to fuzz parse and check at full
// speed without running into the engine's 10 s per-input deadline.
const lowerEnv = "SSDGM_FUZZ_LOWER_PARAMS"

// FuzzFrontEnd feeds arbitrary text through the whole front end: parse,
// check and, for inputs that check, lowering at a tiny batch. No input may
// panic or run past fuzzBound, and every error must be a positioned
// diagnostic with a message.
func FuzzFrontEnd(f *testing.F) {
	var files []string
	for _, pat := range []string{"../specs/*.ssdgm", "../testdata/specs/*/*.ssdgm"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		f.Fatal("no spec files to seed the fuzzer")
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	parser, err := syntax.NewParser()
	if err != nil {
		f.Fatal(err)
	}
	maxLower := fuzzLimits().Params
	if v := os.Getenv(lowerEnv); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			f.Fatalf("%s=%q: want a parameter count ≥ 0", lowerEnv, v)
		}
		maxLower = n
	}
	seen := &lowered{m: map[string]bool{}, maxParams: maxLower}
	f.Fuzz(func(t *testing.T, src []byte) {
		done := make(chan error, 1)
		go func() {
			_, err := frontEnd(parser, src, seen)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v\ninput: %q", err, src)
			}
		case <-time.After(fuzzBound):
			t.Fatalf("front end ran past %v\ninput: %q", fuzzBound, src)
		}
	})
}

// frontEnd runs one input through parse, check and lower. It says whether
// the input was lowered, and returns what is wrong with how it failed, or
// nil.
func frontEnd(parser *syntax.Parser, src []byte, seen *lowered) (ok bool, bad error) {
	defer func() {
		if r := recover(); r != nil {
			bad = fmt.Errorf("panic: %v", r)
		}
	}()
	file, err := parser.Parse("fuzz.ssdgm", src)
	if err != nil {
		return false, onlyPositioned("parse", err)
	}
	m, err := check.CheckWith(file, fuzzLimits())
	if err != nil {
		return false, onlyPositioned("check", err)
	}
	if !seen.lowers(m) || seen.before(syntax.Format(file)) {
		return true, nil // not lowered in this run, or lowered already
	}
	w, err := NewWeights(m, false, 1)
	if err != nil {
		return false, onlyPositioned("weights", err)
	}
	opts := Options{Unlabelled: 1, Samples: 1, Alpha: 1, SupWeight: 1, MaxEnumeration: 64}
	for _, v := range m.Vars {
		if v.Role == check.Supervised {
			opts.Labelled = 1
		}
	}
	p, err := Compile(m, w, opts)
	if err != nil {
		if bad := onlyPositioned("lower", err); bad != nil {
			return false, bad
		}
		// Enumeration may be refused (too many rows); relaxed, the
		// same model must lower too.
		opts.Default = Discrete{Relax: true, Temperature: 0.5}
		if p, err = Compile(m, w, opts); err != nil {
			return false, onlyPositioned("lower relaxed", err)
		}
	}
	return true, p.Close()
}

// TestFrontEndSeedsLower: every shipped and good test spec gets through
// the fuzz harness's limits to the lowering, so the fuzzer's mutants of
// them exercise the compiler, not only the checker.
func TestFrontEndSeedsLower(t *testing.T) {
	parser, err := syntax.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, pat := range []string{"../specs/*.ssdgm", "../testdata/specs/good/*.ssdgm"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := frontEnd(parser, src, nil)
		if err != nil || !ok {
			t.Errorf("%s: lowered %v, %v", filepath.Base(path), ok, err)
		}
	}
}

// lowered remembers the canonical text of specs already lowered in this
// fuzz worker: mutants that change only comments or layout check to the
// same model, and lowering, by far the costliest step, is deterministic.
type lowered struct {
	mu sync.Mutex
	m  map[string]bool
	// maxParams bounds the models lowered (see lowerEnv).
	maxParams int64
}

// lowers says whether this run lowers m. A nil *lowered lowers all.
func (l *lowered) lowers(m *check.Model) bool {
	if l == nil {
		return true
	}
	var total int64
	for _, n := range m.Nets {
		total += check.NetParamCount(n)
	}
	return total <= l.maxParams && l.maxParams > 0
}

// before records text and says whether it was seen already. A nil
// *lowered remembers nothing; the memory is bounded.
func (l *lowered) before(text []byte) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m[string(text)] {
		return true
	}
	if len(l.m) < 50_000 {
		l.m[string(text)] = true
	}
	return false
}

// onlyPositioned checks that err is a non-empty diag.List whose diagnostics
// all have a position and a message.
func onlyPositioned(phase string, err error) error {
	var list diag.List
	if !errors.As(err, &list) {
		return fmt.Errorf("%s: error without a position: %v", phase, err)
	}
	if len(list) == 0 {
		return fmt.Errorf("%s: empty diagnostic list", phase)
	}
	for _, d := range list {
		if d.Pos.Line < 1 || d.Pos.Col < 1 {
			return fmt.Errorf("%s: diagnostic without a position: %v", phase, d)
		}
		if strings.TrimSpace(d.Msg) == "" {
			return fmt.Errorf("%s: diagnostic without a message at %d:%d", phase, d.Pos.Line, d.Pos.Col)
		}
	}
	return nil
}

// BenchmarkFrontEnd times the fuzz harness on the shipped specs: what one
// fuzz execution of an input that checks costs.
func BenchmarkFrontEnd(b *testing.B) {
	parser, err := syntax.NewParser()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"specs/mnist", "specs/svhn", "specs/faces", "specs/multimnist", "testdata/specs/good/tiny_m2", "testdata/specs/good/tiny_zfirst"} {
		src, err := os.ReadFile("../" + name + ".ssdgm")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				if _, err := frontEnd(parser, src, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

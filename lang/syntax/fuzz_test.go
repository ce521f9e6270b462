package syntax

import (
	"os"
	"testing"
	"time"
)

// parseBound is how long parsing one input under 10,000 bytes may take. A
// spec of that size parses in milliseconds, so the bound is generous on
// purpose: only a hang or runaway backtracking reaches it, even on a loaded
// 2-core machine where a fuzz worker may wait seconds for a CPU. It stays
// below the 10 s after which Go's fuzzing engine kills a worker outright, so
// a slow input is reported with its size instead of as a lost worker.
const parseBound = 8 * time.Second

// FuzzParse feeds arbitrary text to the parser and printer: no input may
// panic or hang, and whatever parses must print to text that parses again
// to the same AST.
func FuzzParse(f *testing.F) {
	for _, path := range specFiles(f) {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("encoder { a = ((((((1)))))) }"))
	f.Add([]byte("model m\n\x00\xff"))
	p, err := NewParser()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		start := time.Now()
		file, err := p.Parse("fuzz.ssdgm", src)
		if d := time.Since(start); d > parseBound && len(src) < 10000 {
			t.Fatalf("parsing %d bytes took %v", len(src), d)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		out := Format(file)
		again, err := p.Parse("fuzz.ssdgm", out)
		if err != nil {
			t.Fatalf("printed text does not parse: %v\ninput: %q\nprinted: %q", err, src, out)
		}
		if !sameAST(file, again) {
			t.Fatalf("AST changed by printing\ninput: %q\nprinted: %q", src, out)
		}
		if string(Format(again)) != string(out) {
			t.Fatalf("printing not idempotent\ninput: %q\nprinted: %q", src, out)
		}
	})
}

package syntax

import (
	"os"
	"testing"
	"time"
)

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
		if d := time.Since(start); d > 2*time.Second && len(src) < 10000 {
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

package compiler

import (
	"runtime"
	"testing"
	"weak"
)

// TestProgramsAreFreed: a closed program, training or generating, leaves
// no nodes in its weights' parameter set and is collected once its caller
// drops it (it was kept forever by the set's per-graph node map, and the
// machine's finalizer could keep a program's reference cycle alive).
func TestProgramsAreFreed(t *testing.T) {
	m := loadSpec(t, "../specs/mnist.ssdgm")
	w, err := NewWeights(m, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	var progs []weak.Pointer[Program]
	for i := 0; i < 3; i++ {
		p, err := Compile(m, w, Options{Labelled: 2, Unlabelled: 2, Samples: 1, Alpha: 1, SupWeight: 1})
		if err != nil {
			t.Fatal(err)
		}
		progs = append(progs, weak.Make(p))
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		g, err := NewGenerator(m, w, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		progs = append(progs, weak.Make(g.p))
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.Params.Graphs(); n != 0 {
		t.Errorf("closed programs left nodes of %d graphs in the parameter set", n)
	}
	for i := 0; i < 4; i++ {
		runtime.GC()
	}
	for i, p := range progs {
		if p.Value() != nil {
			t.Errorf("program %d was not freed after Close", i)
		}
	}
}

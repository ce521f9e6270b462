package compiler

import (
	"errors"
	"testing"

	"ssdgm/lang/check"
	"ssdgm/lang/diag"
)

// TestCallKeepsInnerPosition: a positioned problem inside a function's
// argument is reported once, at its own position, not wrapped again in
// the position of the call around it.
func TestCallKeepsInnerPosition(t *testing.T) {
	m := loadSpec(t, "../testdata/specs/good/tiny_m2.ssdgm")
	// z's scale is exp(z_log_scale(h)); make its argument read a node that
	// never gets a value, a problem only the lowering sees.
	z := m.Var("z")
	call, ok := z.Enc.Dist.Scale.(*check.Call)
	if !ok || call.Func != "exp" {
		t.Fatalf("scale of z is %T, want exp(...)", z.Enc.Dist.Scale)
	}
	inner := call.Args[0].Info()
	ghost := &check.Node{Name: "ghost", Op: check.Let, Shape: inner.Shape, Kind: inner.Kind}
	call.Args[0] = &check.Ref{ExprInfo: *inner, Node: ghost}
	w, err := NewWeights(m, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(m, w, Options{Unlabelled: 2, Samples: 1})
	var list diag.List
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("want one diagnostic, got %v", err)
	}
	if want := "`ghost` has no value yet"; list[0].Msg != want || list[0].Pos != inner.Pos {
		t.Errorf("got %s: %q, want %s: %q", list[0].Pos, list[0].Msg, inner.Pos, want)
	}
}

func TestPositioned(t *testing.T) {
	d := diag.Diagnostic{Pos: diag.Pos{File: "a", Line: 1, Col: 1}, Msg: "m"}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{diag.List{d}, true},
		{d, true},
		{errors.Join(errors.New("a"), errors.New("b")), false},
		{errors.New("plain"), false},
	} {
		if got := positioned(c.err); got != c.want {
			t.Errorf("positioned(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

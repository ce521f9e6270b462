package compiler

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"ssdgm/lang/diag"
)

// TestStepBytesEstimate: the estimate that bounds a step's memory is of
// the size of what the step's graph holds (every node's value after a
// step: values, gradients, parameters), within a factor of 3 either way,
// on the tiny M2 model at a batch where the rows dominate.
func TestStepBytesEstimate(t *testing.T) {
	const B = 64
	p, m := compileTiny(t, "tiny_m2.ssdgm", Options{Unlabelled: B, Samples: 2})
	x, _ := tinyData(B, 81)
	if _, err := p.Step(Batch{Unlabelled: x}, rand.New(rand.NewPCG(82, 82))); err != nil {
		t.Fatal(err)
	}
	var held int64
	for _, n := range p.g.AllNodes() {
		if v := n.Value(); v != nil {
			held += int64(v.Shape().TotalSize()) * 8
		}
		if dv, err := n.Grad(); err == nil && dv != nil {
			held += int64(dv.Shape().TotalSize()) * 8
		}
	}
	est := stepBytes(m, p.brs[0].R, 8)
	t.Logf("estimate %d bytes, graph holds %d after a step (ratio %.2f)", est, held, float64(est)/float64(held))
	if r := float64(est) / float64(held); r < 1.0/3 || r > 3 {
		t.Errorf("estimate %d bytes, the graph holds %d: off by more than 3×", est, held)
	}
}

// TestStepBytesLimit: a branch whose step would need more than the limit
// is refused before its graph is built, at the enumerated variable, with
// the rows that make it so and what to change; under the limit it builds.
func TestStepBytesLimit(t *testing.T) {
	m := loadSpec(t, "../testdata/specs/good/tiny_m2.ssdgm")
	w, err := NewWeights(m, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Unlabelled: 1000, Samples: 2, MaxBytes: 10 << 20}
	_, err = Compile(m, w, opts)
	var list diag.List
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("err = %v, want one positioned diagnostic", err)
	}
	d := list[0]
	if d.Pos != m.Var("y").Enc.Pos {
		t.Errorf("reported at %v, want y's encoder statement %v", d.Pos, m.Var("y").Enc.Pos)
	}
	for _, want := range []string{"the unlabelled branch would need about", "6,000 rows = 1000 data points × 2 sample(s) × 3 values of `y` enumerated",
		"more than the limit of 10.5 MB", "relax `y` (run config: discrete: {vars: {y: relax}}) or use a smaller batch (batch.unlabelled)", "SSDGM_LIMITS=bytes=N"} {
		if !strings.Contains(d.Msg, want) {
			t.Errorf("message %q lacks %q", d.Msg, want)
		}
	}
	opts.MaxBytes = 1 << 30
	p, err := Compile(m, w, opts)
	if err != nil {
		t.Fatalf("under the limit: %v", err)
	}
	p.Close()
	// The model's limits (from the checker) apply when Options leave it.
	m.Limits.Bytes = 10 << 20
	opts.MaxBytes = 0
	if _, err := Compile(m, w, opts); err == nil || !strings.Contains(err.Error(), "more than the limit of 10.5 MB") {
		t.Errorf("with the model's limit of 10 MiB: err = %v", err)
	}
}

package compiler

import (
	"fmt"
	"math"
	"math/bits"
	"strings"

	"ssdgm/lang/check"
	"ssdgm/lang/diag"
)

// stepBytes estimates the memory a branch of R rows needs per step: every
// value check.RowValues counts for one row, for every row, in the graph's
// dtype, with a gradient of the same size.
func stepBytes(m *check.Model, rows int, dtSize int64) int64 {
	return mulSat(mulSat(int64(rows), check.RowValues(m)), 2*dtSize)
}

// checkBytes refuses, before anything is built, a branch whose step would
// need more than Options.MaxBytes, else the model's Limits.Bytes, else
// check.DefaultLimits().Bytes, naming the rows that make it so and how to
// need less.
func (b *branch) checkBytes() error {
	p := b.p
	limit := p.opts.MaxBytes
	if limit <= 0 {
		limit = p.Model.Limits.Bytes
	}
	if limit <= 0 {
		limit = check.DefaultLimits().Bytes
	}
	need := stepBytes(p.Model, b.R, int64(p.dt.Size()))
	if need <= limit {
		return nil
	}
	m := p.Model
	var enum []string
	var pos diag.Pos
	if m.Data != nil && m.Data.Enc != nil {
		pos = m.Data.Enc.Pos
	}
	for i, e := range b.enum {
		enum = append(enum, fmt.Sprintf("%d values of `%s`", e.k, slotName(e.key.v, e.key.slot)))
		if i == 0 {
			pos = e.key.v.Enc.Pos
		}
	}
	rows := fmt.Sprintf("%s rows = %d data points × %d sample(s)", check.Count(int64(b.R)), b.lay.B, b.lay.S)
	if len(enum) > 0 {
		rows += " × " + strings.Join(enum, " × ") + " enumerated"
	}
	batch := "batch.unlabelled"
	if b.labelled {
		batch = "batch.labelled"
	}
	fix := fmt.Sprintf("use a smaller batch (%s) or fewer samples", batch)
	if len(b.enum) > 0 {
		v := b.enum[0].key.v.Name
		fix = fmt.Sprintf("relax `%s` (run config: discrete: {vars: {%s: relax}}) or %s", v, v, fix)
	}
	return lowerError(pos, "the %s branch would need about %s per step (%s; about %s values per row, as %s with their gradients), more than the limit of %s; %s, or on a bigger machine raise the limit with %s=bytes=N",
		b.name, byteSize(need), rows, check.Count(check.RowValues(m)), p.dt, byteSize(limit), fix, check.LimitsEnv)
}

func mulSat(a, b int64) int64 {
	if a < 0 || b < 0 {
		return math.MaxInt64
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// byteSize formats a number of bytes in decimal units (34.4 GB).
func byteSize(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB", "PB"} {
		if f < 1000 {
			return fmt.Sprintf("%.3g %s", f, u)
		}
		f /= 1000
	}
	return fmt.Sprintf("%.3g EB", f)
}

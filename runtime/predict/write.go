package predict

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"ssdgm/runtime/pictures"
)

// Formats lists the output formats of Encode.
func Formats() []string { return []string{"csv", "json", "npy"} }

// Encode renders the table: "csv" (a header, then one record per input:
// its name and the values of Columns), "json" (an array of one object per
// input, keys in column order) or "npy" (an inputs × columns float32
// matrix in column order, without the names).
func (t *Table) Encode(format string) ([]byte, error) {
	switch format {
	case "csv":
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		head := []string{"input"}
		for _, c := range t.Columns {
			head = append(head, c.Name)
		}
		w.Write(head)
		for i, row := range t.Values {
			rec := []string{t.Names[i]}
			for j, v := range row {
				rec = append(rec, t.value(j, v))
			}
			w.Write(rec)
		}
		w.Flush()
		return b.Bytes(), w.Error()
	case "json":
		var b strings.Builder
		b.WriteString("[\n")
		for i, row := range t.Values {
			name, _ := json.Marshal(t.Names[i])
			fmt.Fprintf(&b, "  {\"input\": %s", name)
			for j, v := range row {
				key, _ := json.Marshal(t.Columns[j].Name)
				val := t.value(j, v)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					val = "null"
				}
				fmt.Fprintf(&b, ", %s: %s", key, val)
			}
			b.WriteString("}")
			if i < len(t.Values)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("]\n")
		return []byte(b.String()), nil
	case "npy":
		vals := make([]float32, 0, len(t.Values)*len(t.Columns))
		for _, row := range t.Values {
			for _, v := range row {
				vals = append(vals, float32(v))
			}
		}
		return pictures.EncodeNPY([]int{len(t.Values), len(t.Columns)}, vals)
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// value renders one value: a class as a whole number, others with up to
// 7 significant digits.
func (t *Table) value(j int, v float64) string {
	if t.Columns[j].Kind == "class" {
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'g', 7, 64)
}

// ColumnNames returns the column names in order.
func (t *Table) ColumnNames() []string {
	var out []string
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}

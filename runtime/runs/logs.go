package runs

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"ssdgm/runtime/atomicfile"
)

// csvLine renders one CSV record with its newline.
func csvLine(fields []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // writes to a buffer cannot fail
	w.Flush()
	return b.String()
}

// readHeader reads the column names from the first line of metrics.csv.
func readHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	defer f.Close()
	rec, err := csv.NewReader(f).Read()
	if err != nil {
		return nil, fmt.Errorf("runs: %s: bad header: %v", path, err)
	}
	return rec, nil
}

// format renders a metric value.
func format(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Duration:
		return strconv.FormatFloat(x.Seconds(), 'g', -1, 64), nil
	}
	return "", fmt.Errorf("unsupported metric type %T", v)
}

// Metrics appends one row to metrics.csv and flushes it. Keys must be
// columns given at creation; missing columns are left empty. Durations
// are written in seconds.
func (r *Run) Metrics(row map[string]any) error {
	fields := make([]string, len(r.columns))
	for k, v := range row {
		i := slices.Index(r.columns, k)
		if i < 0 {
			return fmt.Errorf("runs: metric %q is not a column of %s (%s)", k, MetricsFile, strings.Join(r.columns, ", "))
		}
		s, err := format(v)
		if err != nil {
			return fmt.Errorf("runs: metric %q: %v", k, err)
		}
		fields[i] = s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.write(r.metrics, []byte(csvLine(fields)))
}

// Step appends rec as one JSON line to steps.jsonl. NaN and infinite
// float64 fields are not JSON: give them as strings.
func (r *Run) Step(rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("runs: step record: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.write(r.steps, append(b, '\n'))
}

// Logf appends a line to train.log, prefixed with the UTC time.
func (r *Run) Logf(format string, args ...any) error {
	line := time.Now().UTC().Format(time.RFC3339) + " " + strings.TrimRight(fmt.Sprintf(format, args...), "\n") + "\n"
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.write(r.log, []byte(line))
}

// Log returns a writer that appends to train.log as it is (for a logger
// that formats its own lines).
func (r *Run) Log() io.Writer { return logWriter{r} }

type logWriter struct{ r *Run }

func (w logWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	if err := w.r.write(w.r.log, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// write appends b with one write call (each record reaches the OS whole).
func (r *Run) write(f *os.File, b []byte) error {
	if f == nil {
		return errors.New("runs: run is closed")
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	return nil
}

// Rewind drops the records written after a checkpoint, before a resumed
// run writes them again: metrics rows whose epoch column is greater than
// epoch and step records whose "step" field is greater than step. It also
// drops a last line cut short by a crash. The files are replaced
// atomically. metrics.csv must have an "epoch" column.
func (r *Run) Rewind(epoch, step int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ei := slices.Index(r.columns, "epoch")
	if ei < 0 {
		return fmt.Errorf("runs: cannot rewind %s: no epoch column", MetricsFile)
	}
	keepRow := func(line string, first bool) bool {
		if first {
			return true // the header
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil || len(rec) != len(r.columns) {
			return false
		}
		e, err := strconv.ParseFloat(rec[ei], 64)
		return err == nil && !math.IsNaN(e) && e <= float64(epoch)
	}
	keepStep := func(line string, _ bool) bool {
		var rec struct {
			Step *int64 `json:"step"`
		}
		return json.Unmarshal([]byte(line), &rec) == nil && rec.Step != nil && *rec.Step <= step
	}
	if err := r.closeFiles(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		keep func(string, bool) bool
	}{{MetricsFile, keepRow}, {StepsFile, keepStep}} {
		if err := filterLines(filepath.Join(r.dir, f.name), f.keep); err != nil {
			return err
		}
	}
	return r.openLogs()
}

// filterLines rewrites a file keeping the complete lines that keep
// accepts.
func filterLines(path string, keep func(line string, first bool) bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	complete := bytes.Count(b, []byte("\n"))
	for i := 0; i < complete && sc.Scan(); i++ {
		if keep(sc.Text(), i == 0) {
			out.WriteString(sc.Text())
			out.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("runs: %s: %w", path, err)
	}
	return atomicfile.Write(path, out.Bytes(), 0o644)
}

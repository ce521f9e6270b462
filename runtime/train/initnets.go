package train

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/lang/diag"
	"ssdgm/runtime/ckpt"
	"ssdgm/runtime/config"
)

// netPair names a network of this spec and the network of another run's
// checkpoint it starts from.
type netPair struct{ dst, src string }

// parseInitNets reads init.nets: a comma-separated list of NAME (the
// network of the same name) or NAME=OTHER (this spec's NAME from the other
// run's OTHER). Empty: every network of m that the checkpoint also has.
func parseInitNets(s string, m *check.Model, c *ckpt.Checkpoint) ([]netPair, error) {
	var out []netPair
	if strings.TrimSpace(s) == "" {
		for _, n := range m.Nets {
			if hasNet(c, n.Name) {
				out = append(out, netPair{n.Name, n.Name})
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("init.from: the checkpoint has none of this spec's networks (it has %s); name them in init.nets, e.g. init.nets: %s=%s",
				strings.Join(ckptNets(c), ", "), m.Nets[0].Name, firstOr(ckptNets(c), "NAME"))
		}
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		dst, src, ok := strings.Cut(item, "=")
		if !ok {
			src = dst
		}
		dst, src = strings.TrimSpace(dst), strings.TrimSpace(src)
		if dst == "" || src == "" {
			return nil, fmt.Errorf("init.nets: %q is not NAME or NAME=OTHER", item)
		}
		if netOf(m, dst) == nil {
			names := make([]string, len(m.Nets))
			for i, n := range m.Nets {
				names[i] = n.Name
			}
			msg := fmt.Sprintf("init.nets: the spec has no network `%s`", dst)
			if s := diag.DidYouMean(dst, names); s != "" {
				msg += " (" + s + ")"
			}
			return nil, fmt.Errorf("%s", msg)
		}
		if !hasNet(c, src) {
			msg := fmt.Sprintf("init.nets: the checkpoint has no network `%s`", src)
			if s := diag.DidYouMean(src, ckptNets(c)); s != "" {
				msg += " (" + s + ")"
			}
			return nil, fmt.Errorf("%s; it has %s", msg, strings.Join(ckptNets(c), ", "))
		}
		out = append(out, netPair{dst, src})
	}
	return out, nil
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func netOf(m *check.Model, name string) *check.Net {
	for _, n := range m.Nets {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// ckptNets lists the network names of a checkpoint's parameters (the part
// of each parameter name before its first dot).
func ckptNets(c *ckpt.Checkpoint) []string {
	var out []string
	for _, t := range c.Params {
		n, _, _ := strings.Cut(t.Name, ".")
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func hasNet(c *ckpt.Checkpoint, name string) bool { return slices.Contains(ckptNets(c), name) }

// readInitCheckpoint reads init.from: a checkpoint file, or a run folder
// (its newest readable checkpoint).
func readInitCheckpoint(from string) (*ckpt.Checkpoint, string, error) {
	info, err := os.Stat(from)
	if err != nil {
		return nil, "", fmt.Errorf("init.from: %w", err)
	}
	if !info.IsDir() {
		c, err := ckpt.Read(from)
		if err != nil {
			return nil, "", fmt.Errorf("init.from: %w", err)
		}
		return c, from, nil
	}
	dir := from
	if sub := filepath.Join(from, checkpointDir); isDir(sub) {
		dir = sub
	}
	c, path, _, err := ckpt.LoadLatest(dir)
	if err != nil {
		return nil, "", fmt.Errorf("init.from %s: %w", from, err)
	}
	return c, path, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// InitNets copies the networks named by cfg.Init from another run's
// checkpoint into w, parameter by parameter (NAME.rest from OTHER.rest),
// and returns which of w's parameters it set and the checkpoint's path.
// Shapes must agree; an error names both shapes. With no init.from it does
// nothing.
func InitNets(w *compiler.Weights, m *check.Model, in config.Init) (set []bool, from string, err error) {
	if in.From == "" {
		return nil, "", nil
	}
	c, path, err := readInitCheckpoint(in.From)
	if err != nil {
		return nil, "", err
	}
	pairs, err := parseInitNets(in.Nets, m, c)
	if err != nil {
		return nil, "", err
	}
	list := w.Params.List()
	set = make([]bool, len(list))
	for _, pr := range pairs {
		want := 0
		for _, t := range c.Params {
			if strings.HasPrefix(t.Name, pr.src+".") {
				want++
			}
		}
		got := 0
		for i, p := range list {
			rest, ok := strings.CutPrefix(p.Name, pr.dst+".")
			if !ok {
				continue
			}
			got++
			t, ok := c.Param(pr.src + "." + rest)
			if !ok {
				return nil, "", fmt.Errorf("init: network `%s` has parameter %s, but `%s` in %s has no %s.%s: the two networks have different layers", pr.dst, p.Name, pr.src, path, pr.src, rest)
			}
			if !slices.Equal(t.Shape, p.Shape) {
				return nil, "", fmt.Errorf("init: network `%s` parameter %s has shape %v here, but %s in %s has shape %v; the networks must have the same input and layer sizes", pr.dst, p.Name, p.Shape, t.Name, path, t.Shape)
			}
			if err := ckpt.CopyInto(p, t); err != nil {
				return nil, "", fmt.Errorf("init: %s from %s: %w", p.Name, t.Name, err)
			}
			set[i] = true
		}
		if got != want {
			return nil, "", fmt.Errorf("init: network `%s` has %d parameter tensors here, `%s` in %s has %d: the two networks have different layers", pr.dst, got, pr.src, path, want)
		}
	}
	return set, path, nil
}

// initNets applies init.* to a new run's networks and works out which
// parameters stay frozen. A resumed run takes its parameters from its own
// checkpoint (restore overwrites these), so only the frozen set matters
// there; when init.nets names the networks it needs no other run.
func (t *trainer) initNets() error {
	in := t.cfg.Init
	if in.From == "" {
		return nil
	}
	if t.opt.Resume != "" && in.Nets != "" {
		if !in.Freeze {
			return nil
		}
		var dsts []string
		for _, item := range strings.Split(in.Nets, ",") {
			dst, _, _ := strings.Cut(item, "=")
			dsts = append(dsts, strings.TrimSpace(dst))
		}
		t.frozen = frozenOf(t.w, dsts)
		return nil
	}
	set, path, err := InitNets(t.w, t.m, in)
	if err != nil {
		return err
	}
	if in.Freeze {
		t.frozen = set
	}
	if t.opt.Resume == "" {
		what := "trained"
		if in.Freeze {
			what = "frozen"
		}
		t.run.Logf("init: networks %s from %s (%s)", initNames(set, t.w), path, what)
	}
	return nil
}

// initNames lists the networks whose parameters InitNets set.
func initNames(set []bool, w *compiler.Weights) string {
	var out []string
	for i, p := range w.Params.List() {
		n, _, _ := strings.Cut(p.Name, ".")
		if set[i] && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// frozenOf marks the parameters of the named networks.
func frozenOf(w *compiler.Weights, nets []string) []bool {
	list := w.Params.List()
	out := make([]bool, len(list))
	for i, p := range list {
		n, _, _ := strings.Cut(p.Name, ".")
		out[i] = slices.Contains(nets, n)
	}
	return out
}

// zeroFrozen zeroes the gradients of frozen parameters before the Adam
// step: a parameter whose gradient has always been zero keeps Adam's
// moments at zero and never moves.
func zeroFrozen(grads compiler.Grads, frozen []bool) {
	for i, f := range frozen {
		if !f {
			continue
		}
		if i < len(grads.F32) {
			clear(grads.F32[i])
		}
		if i < len(grads.F64) {
			clear(grads.F64[i])
		}
	}
}

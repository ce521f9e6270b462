package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"ssdgm/lang/diag"
)

// decoder walks a YAML node tree into a Config, collecting errors.
type decoder struct {
	file  string
	table []key
	cfg   *Config
	errs  diag.List
	noPos bool // Set: values come from the command line, not a file
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	var pos, end diag.Pos
	if n != nil && !d.noPos {
		pos, end = nodeSpan(d.file, n)
	}
	d.errs = append(d.errs, diag.Diagnostic{Pos: pos, End: end, Msg: fmt.Sprintf(format, args...)})
}

// unknown reports an unknown key with the closest known key among
// candidates (full dotted paths), or else a known key elsewhere with the
// same last name.
func (d *decoder) unknown(n *yaml.Node, path string, candidates []string) {
	msg := fmt.Sprintf("unknown key %q", path)
	if s, ok := suggestPath(path, candidates); ok {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else {
		last := lastName(path)
		for _, k := range d.table {
			if lastName(k.path) == last {
				msg += fmt.Sprintf("; did you mean %q?", k.path)
				break
			}
		}
	}
	d.errorf(n, "%s", msg)
}

func lastName(path string) string {
	return path[strings.LastIndex(path, ".")+1:]
}

// suggestPath is diag.Closest for dotted paths: the allowed distance
// depends on the last name, not on the shared prefix.
func suggestPath(path string, candidates []string) (string, bool) {
	s := diag.ClosestWithin(path, candidates, diag.Limit(lastName(path)))
	return s, s != ""
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe names a node's type and value for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!int":
			return "integer " + n.Value
		case "!!float":
			return "number " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "nothing"
}

// mapping decodes a section (prefix "" is the top level).
func (d *decoder) mapping(n *yaml.Node, prefix string) {
	n = resolve(n)
	name := prefix
	if name == "" {
		name = "the config"
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // "batch:" with nothing under it, or "---": all defaults
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: expected a mapping, got %s", name, describe(n))
		return
	}
	siblings := children(d.table, prefix)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolve(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			d.errorf(kn, "keys must be plain names, got %s", describe(kn))
			continue
		}
		path := kn.Value
		if prefix != "" {
			path = prefix + "." + kn.Value
		}
		if kn.Value == "<<" {
			d.errorf(kn, "merge keys (<<) are not supported")
			continue
		}
		if first, ok := seen[kn.Value]; ok {
			d.errorf(kn, "duplicate key %q (first at %d:%d)", path, first.Line, first.Column)
			continue
		}
		seen[kn.Value] = kn
		if k, ok := lookup(d.table, path); ok {
			d.leaf(k, vn)
		} else if isSection(d.table, path) {
			d.mapping(vn, path)
		} else {
			d.unknown(kn, path, prefixed2(prefix, siblings))
		}
	}
}

func prefixed2(prefix string, names []string) []string {
	if prefix == "" {
		return names
	}
	return prefixed(prefix, names)
}

// leaf decodes the value of key k.
func (d *decoder) leaf(k key, n *yaml.Node) {
	n = resolve(n)
	if k.kind == kindVarMap {
		d.varMap(k, n)
		return
	}
	if k.kind == kindCountMap {
		d.countMap(k, n)
		return
	}
	if msg := setLeaf(d.cfg, k, n); msg != "" {
		d.errorf(n, "%s: %s", k.path, msg)
	}
}

// varMap decodes discrete.vars.
func (d *decoder) varMap(k key, n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.cfg.Discrete.Vars = map[string]string{}
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: expected a mapping from variable names to %s, got %s", k.path, strings.Join(k.enum, " or "), describe(n))
		return
	}
	d.cfg.Discrete.Vars = map[string]string{}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolve(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" || !isIdent(kn.Value) {
			d.errorf(kn, "%s: expected a variable name, got %s", k.path, describe(kn))
			continue
		}
		if first, ok := seen[kn.Value]; ok {
			d.errorf(kn, "duplicate key %q (first at %d:%d)", k.path+"."+kn.Value, first.Line, first.Column)
			continue
		}
		seen[kn.Value] = kn
		d.varEntry(kn.Value, vn)
	}
}

// varEntry decodes the method of one discrete variable.
func (d *decoder) varEntry(name string, n *yaml.Node) {
	path := "discrete.vars." + name
	if !isIdent(name) {
		d.errorf(n, "%s: %q is not a variable name", path, name)
		return
	}
	k := key{path: path, kind: kindEnum, enum: []string{Enumerate, Relax}}
	var s string
	if msg := decodeEnum(k, n, &s); msg != "" {
		d.errorf(n, "%s: %s", path, msg)
		return
	}
	if d.cfg.Discrete.Vars == nil {
		d.cfg.Discrete.Vars = map[string]string{}
	}
	d.cfg.Discrete.Vars[name] = s
}

// countMap decodes labelled.counts.
func (d *decoder) countMap(k key, n *yaml.Node) {
	d.cfg.Labelled.Counts = map[string]int{}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: expected a mapping from label names to counts, got %s", k.path, describe(n))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolve(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" || !isIdent(kn.Value) {
			d.errorf(kn, "%s: expected a label name, got %s", k.path, describe(kn))
			continue
		}
		if first, ok := seen[kn.Value]; ok {
			d.errorf(kn, "duplicate key %q (first at %d:%d)", k.path+"."+kn.Value, first.Line, first.Column)
			continue
		}
		seen[kn.Value] = kn
		d.countEntry(kn.Value, vn)
	}
}

// countEntry decodes the count of one label.
func (d *decoder) countEntry(name string, n *yaml.Node) {
	path := "labelled.counts." + name
	if !isIdent(name) {
		d.errorf(n, "%s: %q is not a label name", path, name)
		return
	}
	k := key{path: path, kind: kindInt, rng: atLeast(0)}
	v, msg := decodeInt(k, n)
	if msg != "" {
		d.errorf(n, "%s: %s", path, msg)
		return
	}
	if d.cfg.Labelled.Counts == nil {
		d.cfg.Labelled.Counts = map[string]int{}
	}
	d.cfg.Labelled.Counts[name] = int(v)
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

// setLeaf decodes scalar n into the field of k, returning an error
// message (without position or key) or "".
func setLeaf(c *Config, k key, n *yaml.Node) string {
	isNull := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	if isNull && !k.nullable {
		return fmt.Sprintf("expected %s, got null", article(k))
	}
	if k.kind == kindVarMap || k.kind == kindCountMap {
		var d decoder
		d.table, d.cfg = keys(), c
		if k.kind == kindCountMap {
			d.countMap(k, n)
		} else {
			d.varMap(k, n)
		}
		if len(d.errs) > 0 {
			return strings.TrimPrefix(d.errs[0].Msg, k.path+": ")
		}
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Sprintf("expected %s, got %s", article(k), describe(n))
	}
	switch p := k.field(c).(type) {
	case *int:
		v, msg := decodeInt(k, n)
		if msg == "" {
			*p = int(v)
		}
		return msg
	case *int64:
		v, msg := decodeInt(k, n)
		if msg == "" {
			*p = v
		}
		return msg
	case **int64:
		if isNull {
			*p = nil
			return ""
		}
		v, msg := decodeInt(k, n)
		if msg == "" {
			*p = &v
		}
		return msg
	case *float64:
		v, msg := decodeFloat(k, n)
		if msg == "" {
			*p = v
		}
		return msg
	case **float64:
		if isNull {
			*p = nil
			return ""
		}
		v, msg := decodeFloat(k, n)
		if msg == "" {
			*p = &v
		}
		return msg
	case *bool:
		if n.ShortTag() != "!!bool" {
			return fmt.Sprintf("expected %s (true or false), got %s", article(k), describe(n))
		}
		var v bool
		if err := n.Decode(&v); err != nil {
			return fmt.Sprintf("expected %s, got %s", article(k), describe(n))
		}
		*p = v
		return ""
	case *string:
		if k.kind == kindEnum {
			return decodeEnum(k, n, p)
		}
		if n.ShortTag() != "!!str" {
			return fmt.Sprintf("expected %s, got %s (quote it to make it a string)", article(k), describe(n))
		}
		*p = n.Value
		return ""
	}
	return "internal error: unhandled field type"
}

func article(k key) string {
	switch k.kind {
	case kindInt:
		return "an integer"
	case kindFloat:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindEnum:
		return "one of " + strings.Join(k.enum, ", ")
	case kindVarMap, kindCountMap:
		return "a mapping"
	}
	return "a string"
}

func decodeInt(k key, n *yaml.Node) (int64, string) {
	if n.ShortTag() == "!!float" && strings.Trim(strings.TrimLeft(n.Value, "+-"), "0123456789") == "" {
		return 0, fmt.Sprintf("integer %s is out of range", n.Value) // too long for !!int
	}
	if n.ShortTag() != "!!int" {
		return 0, fmt.Sprintf("expected %s, got %s", article(k), describe(n))
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		return 0, fmt.Sprintf("integer %s is out of range", n.Value)
	}
	if int64(int(v)) != v || !k.rng.check(float64(v)) {
		return 0, fmt.Sprintf("must be %s, got %s", k.rng, n.Value)
	}
	return v, ""
}

func decodeFloat(k key, n *yaml.Node) (float64, string) {
	if t := n.ShortTag(); t != "!!float" && t != "!!int" {
		return 0, fmt.Sprintf("expected %s, got %s", article(k), describe(n))
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		return 0, fmt.Sprintf("expected %s, got %s", article(k), describe(n))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Sprintf("must be a finite number, got %s", n.Value)
	}
	if !k.rng.check(v) {
		return 0, fmt.Sprintf("must be %s, got %s", k.rng, n.Value)
	}
	return v, ""
}

func decodeEnum(k key, n *yaml.Node, p *string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return fmt.Sprintf("expected %s, got %s", article(k), describe(n))
	}
	if !slices.Contains(k.enum, n.Value) {
		msg := fmt.Sprintf("must be %s; got %q", strings.Join(k.enum, " or "), n.Value)
		if s := diag.Closest(n.Value, k.enum); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return msg
	}
	*p = n.Value
	return ""
}

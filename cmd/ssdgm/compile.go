package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"ssdgm/compiler"
	"ssdgm/lang/check"
	"ssdgm/runtime/config"
	"ssdgm/runtime/train"
)

const compileUsage = `usage: ssdgm compile [flags] SPEC

Lowers SPEC to the training program ` + "`ssdgm train`" + ` would build with its
run config (--config FILE, else SPEC with .yaml beside it, else the
defaults; --set key=value overrides) and prints the parameter count of
every network and in total, every variable with its shape and role (data,
supervised by a label, or latent), discrete or continuous, and how an
unobserved discrete variable is handled (enumerated or relaxed at a
temperature), and the terms of the objective, listed from one step on
synthetic data. --dot FILE writes the Gorgonia graph as Graphviz DOT.
Problems found while lowering print as file:line:col: message.`

func runCompile(e *env, args []string) int {
	fs := newFlags(e, "compile", compileUsage)
	cf := addConfigFlags(e, fs)
	dotPath := fs.String("dot", "", "write the Gorgonia graph of the training step to `FILE` (Graphviz DOT)")
	files, ok := parseFlags(e, fs, compileUsage, args)
	if !ok {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, compileUsage)
		return exitUsage
	}
	m, src, cfg, ok := specAndConfig(e, cf, files[0])
	if !ok {
		return exitFail
	}
	opts, alphaNote := programOptions(m, cfg)
	w, prog, ok := compileProgram(e, m, src, cfg, opts, *cf.source)
	if !ok {
		return exitFail
	}
	defer prog.Close()
	res, err := listTerms(m, w, opts, uint64(cfg.Seed))
	if err != nil {
		fmt.Fprintf(e.stderr, "ssdgm compile: running one step on synthetic data: %v\n", err)
		return exitFail
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "model %s (%s)\n", m.Name, files[0])
	fmt.Fprintf(&b, "program: %s, batch %s, S = %d sample(s) per data point, %s\n", cfg.Dtype, batchText(opts), opts.Samples, alphaNote)
	writeNetworks(&b, w, m)
	writeVariables(&b, m, opts, prog.KLChoices())
	writeTerms(&b, res, opts)
	_, _ = e.stdout.Write(b.Bytes())
	if *dotPath != "" {
		if err := writeFileAtomic(*dotPath, []byte(prog.DOT())); err != nil {
			fmt.Fprintf(e.stderr, "ssdgm compile: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}

// listTerms finds the objective's terms by running one step on synthetic
// data of a program like the training one but with one data point per
// branch: the terms do not depend on the batch size, and a full-size step
// of a model that enumerates many values (Yale B's 38 identities times 128
// points) takes minutes and gigabytes.
func listTerms(m *check.Model, w *compiler.Weights, opts compiler.Options, seed uint64) (compiler.Result, error) {
	small := opts
	small.Labelled, small.Unlabelled = min(opts.Labelled, 1), min(opts.Unlabelled, 1)
	p, err := compiler.Compile(m, w, small)
	if err != nil {
		return compiler.Result{}, err
	}
	defer p.Close()
	rng := rand.New(rand.NewPCG(seed, 0x636f6d70))
	return p.Step(train.SyntheticBatch(m, small, rng), rng)
}

// programOptions returns the compiler options of a training run of m with
// cfg and a note on α. N, the number of training examples, is needed only
// when α follows the rule 0.1/ρ; it is read from the dataset when that
// opens, and otherwise taken as M (the graph is the same; only the
// constants α and γM/N differ) with a note saying so.
func programOptions(m *check.Model, cfg *config.Config) (compiler.Options, string) {
	if cfg.Alpha != nil || cfg.Rho(1) == 0 {
		o := train.CompileOptions(m, cfg, max(cfg.Labelled.Count, 1))
		if o.Labelled > 0 {
			return o, fmt.Sprintf("α = %g, γM/N not resolved (N not read)", o.Alpha)
		}
		return o, fmt.Sprintf("α = %g", o.Alpha)
	}
	n, err := trainingExamples(cfg)
	if err != nil {
		o := train.CompileOptions(m, cfg, max(cfg.Labelled.Count, 1))
		return o, fmt.Sprintf("α = 0.1/ρ not resolved: dataset %s unavailable", cfg.Dataset)
	}
	o := train.CompileOptions(m, cfg, n)
	return o, fmt.Sprintf("α = 0.1/ρ = %.4g, γM/N = %.4g (N = %d)", o.Alpha, o.SupWeight, n)
}

func batchText(o compiler.Options) string {
	t := fmt.Sprintf("%d labelled + %d unlabelled", o.Labelled, o.Unlabelled)
	if o.Labelled == 0 {
		t = fmt.Sprintf("%d unlabelled", o.Unlabelled)
	}
	if o.Shards > 1 {
		t += fmt.Sprintf(" in %d parts", o.Shards)
	}
	return t
}

func writeNetworks(w io.Writer, ws *compiler.Weights, m *check.Model) {
	kinds := map[string]string{}
	for _, n := range m.Nets {
		kinds[n.Name] = n.Kind
	}
	fmt.Fprintln(w, "\nnetworks:")
	total := 0
	for _, c := range ws.NetParams() {
		fmt.Fprintf(w, "  %-16s %-7s %12s parameters\n", c.Name, kinds[c.Name], thousands(c.Count))
		total += c.Count
	}
	fmt.Fprintf(w, "  %-16s %-7s %12s parameters\n", "total", "", thousands(total))
	writeParams(w, ws, m)
}

// writeParams lists the spec's params (none: nothing), with their types and
// initial values as declared.
func writeParams(w io.Writer, ws *compiler.Weights, m *check.Model) {
	counts := ws.SpecParams(m)
	if len(counts) == 0 {
		return
	}
	fmt.Fprintln(w, "\nparams:")
	for i, p := range m.Params {
		decl := fmt.Sprintf("real%s = %s", p.Shape, initText(p))
		unit := "parameters"
		if counts[i].Count == 1 {
			unit = "parameter"
		}
		fmt.Fprintf(w, "  %-16s %-20s %12s %s\n", p.Name, decl, thousands(counts[i].Count), unit)
	}
}

// initText is a param's initial value as declared: one number, or the list
// (only its first value and "…" when it has more than two).
func initText(p *check.Param) string {
	switch {
	case p.Values == nil:
		return fmt.Sprintf("%g", p.Init)
	case len(p.Values) > 2:
		return fmt.Sprintf("[%g, …]", p.Values[0])
	}
	parts := make([]string, len(p.Values))
	for i, v := range p.Values {
		parts[i] = fmt.Sprintf("%g", v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func writeVariables(w io.Writer, m *check.Model, o compiler.Options, kl []compiler.KLChoice) {
	fmt.Fprintln(w, "\nvariables:")
	for _, v := range m.Vars {
		role := v.Role.String()
		if v.Role == check.Supervised && v.Label != nil {
			role += " (label " + v.Label.Name + ")"
		}
		shape := v.Shape.String()
		if v.Slots > 0 {
			shape = fmt.Sprintf("%d slots × %s", v.Slots, shape)
		}
		fmt.Fprintf(w, "  %-8s %-26s %-16s %-10s %s\n", v.Name, role, shape, v.Kind, varHandling(v, o))
		writeKL(w, v, kl)
	}
}

// writeKL says, under a continuous latent's line, how each branch scores
// its log p − log q with objective.analytic_kl: KL(q ‖ p) in closed form,
// or the Monte Carlo term and why.
func writeKL(w io.Writer, v *check.Var, kl []compiler.KLChoice) {
	for _, c := range kl {
		if c.Var != v.Name {
			continue
		}
		if c.Analytic {
			fmt.Fprintf(w, "  %-8s %s: KL(q ‖ p) in closed form\n", "", c.Branch)
		} else {
			fmt.Fprintf(w, "  %-8s %s: Monte Carlo log p − log q: %s\n", "", c.Branch, c.Reason)
		}
	}
}

// varHandling says how the objective treats a variable.
func varHandling(v *check.Var, o compiler.Options) string {
	family := ""
	if n := v.Dec; n != nil && n.Dist != nil {
		family = n.Dist.Family
	}
	if v.Role == check.Data {
		return "observed; scored by p(" + v.Name + " | ·): " + family
	}
	if n := v.Enc; n != nil && n.Dist != nil {
		family = n.Dist.Family
	}
	var how string
	switch {
	case v.Kind != check.Discrete:
		how = "q: " + family + ", reparameterised"
	default:
		d, ok := o.Discrete[v.Name]
		if !ok {
			d = o.Default
		}
		if d.Relax {
			how = fmt.Sprintf("q: %s over %d, relaxed (Concrete, temperature %g)", family, v.Classes, d.Temperature)
		} else {
			how = fmt.Sprintf("q: %s over %d, enumerated (summed out exactly)", family, v.Classes)
		}
	}
	switch {
	case v.Role == check.Supervised && o.Labelled > 0:
		how = "clamped to the label when labelled; else " + how
	case v.Role == check.Supervised:
		how = "never clamped (no labelled batch); " + how
	}
	return how
}

func writeTerms(w io.Writer, res compiler.Result, o compiler.Options) {
	fmt.Fprintln(w, "\nobjective terms (per data point of each branch; loss = −(unlabelled:objective + γM/N · labelled:objective)):")
	for _, t := range res.Terms {
		branch, name, _ := strings.Cut(t.Name, ":")
		fmt.Fprintf(w, "  %-11s %s\n", branch, name)
	}
}

// thousands formats n with commas: 1234567 → 1,234,567.
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

package compiler

import (
	"fmt"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"ssdgm/compiler/dist"
	"ssdgm/lang/check"
)

// genState is what a generator branch keeps: which latents are fixed by
// inputs, and the values read out of each run.
type genState struct {
	fixed   map[*check.Var]bool
	mean    *G.Node
	meanVal G.Value
	latents map[slotKey]*G.Value
}

// SlotName names a latent's value in one slot, as Encoder and Generator
// key them: the variable's name, or name[slot] inside a repeat.
func SlotName(v *check.Var, slot int) string { return slotName(v, slot) }

// Generator runs the decoder forward: latents fixed by the caller are
// used as given, the others are drawn from their priors in decoder order,
// and the result is the mean of the data's distribution (its family's
// dist.Family.Mean). It is how samples, reconstructions and analogies are
// drawn.
type Generator struct {
	p     *Program
	b     *branch
	shown map[string]*G.Value // decoder values read out of each run
}

// NewGenerator builds a generator for batches of B rows with the latents
// named in fixed taken from inputs.
func NewGenerator(m *check.Model, w *Weights, B int, fixed []string) (*Generator, error) {
	return NewGeneratorValues(m, w, B, fixed, nil)
}

// DecoderValues returns the names of the decoder's deterministic values
// (`name = expr` outside repeats), in decoder order: what
// NewGeneratorValues can show.
func DecoderValues(m *check.Model) []string {
	var out []string
	for _, n := range m.Decoder.Nodes {
		if n.Op == check.Let && n.Repeat == nil {
			out = append(out, n.Name)
		}
	}
	return out
}

// NewGeneratorValues is NewGenerator that also reads, in every Run, the
// decoder's deterministic values named in show (see DecoderValues): Values
// returns them after Run.
func NewGeneratorValues(m *check.Model, w *Weights, B int, fixed, show []string) (*Generator, error) {
	st := &genState{fixed: map[*check.Var]bool{}, latents: map[slotKey]*G.Value{}}
	for _, name := range fixed {
		v := m.Var(name)
		if v == nil || v.Role == check.Data {
			return nil, fmt.Errorf("%q is not a latent variable of %s", name, m.Name)
		}
		st.fixed[v] = true
	}
	g := &Generator{shown: map[string]*G.Value{}}
	p, err := build(m, w, forGenerate, Options{Samples: 1, Unlabelled: B, MaxEnumeration: 1}, func(p *Program) error {
		b := newBranch(p, plan{name: "gen", gen: st})
		b.lay = layout{B: B, S: 1, E: 1}
		b.R = B
		if err := b.lower(); err != nil {
			return err
		}
		g.b = b
		for _, name := range show {
			n := m.Decoder.Node(name)
			if n == nil || n.Op != check.Let || n.Repeat != nil {
				return fmt.Errorf("%q is not a deterministic value of the decoder of %s; it has: %s", name, m.Name, strings.Join(DecoderValues(m), ", "))
			}
			val := new(G.Value)
			b.read(b.dec[nodeKey{n, -1}], val)
			g.shown[name] = val
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.p = p
	return g, nil
}

// Values returns the shown decoder values of the last Run, by name: B rows
// of each value's size.
func (g *Generator) Values() map[string][]float32 {
	out := map[string][]float32{}
	for name, v := range g.shown {
		if *v != nil {
			out[name] = float32s(*v)
		}
	}
	return out
}

// Close releases the machine.
func (g *Generator) Close() error { return g.p.Close() }

// Run draws one batch. fixed holds, for each fixed latent (by SlotName),
// B rows of its value: a one-hot row for a discrete variable. It returns
// the data means (B × data size) and every latent's value (by SlotName).
func (g *Generator) Run(fixed map[string][]float32, rng *rand.Rand) ([]float32, map[string][]float32, error) {
	b := g.b
	for key, in := range b.labels {
		src, ok := fixed[slotName(key.v, key.slot)]
		d := in.t.Shape()[1]
		if !ok || len(src) != b.R*d {
			return nil, nil, fmt.Errorf("generator: want %d values for %s, got %d", b.R*d, slotName(key.v, key.slot), len(src))
		}
		if err := fillData(in.t, src); err != nil {
			return nil, nil, err
		}
	}
	for _, in := range b.noise {
		if err := in.fill(in.t, rng); err != nil {
			return nil, nil, err
		}
	}
	defer g.p.vm.Reset()
	if err := g.p.vm.RunAll(); err != nil {
		return nil, nil, fmt.Errorf("generating from %s: %w", g.p.Model.Name, err)
	}
	lat := map[string][]float32{}
	for key, v := range b.gen.latents {
		lat[slotName(key.v, key.slot)] = float32s(*v)
	}
	return float32s(b.gen.meanVal), lat, nil
}

// genSample lowers a decoder node of a generator.
func (b *branch) genSample(n *check.Node, slot int) error {
	v, d := n.Var, n.Dist
	size := v.Shape.Size()
	if v.Role == check.Data {
		fam, err := family(d)
		if err != nil {
			return err
		}
		if fam.Mean == nil {
			return lowerError(d.Pos, "%s has no mean to draw", d.Family)
		}
		p, err := b.params(d, slot, false, size)
		if err != nil {
			return err
		}
		mean, err := fam.Mean(p)
		if err != nil {
			return err
		}
		b.gen.mean = mean
		b.dec[nodeKey{n, slot}] = mean
		G.Read(mean, &b.gen.meanVal)
		return nil
	}
	key := slotKey{v, slot}
	var value *G.Node
	switch {
	case b.gen.fixed[v]:
		value = b.labelInput(key).node
	case v.Kind == check.Discrete:
		logits, err := b.logits(d, slot, false)
		if err != nil {
			return err
		}
		gum := b.newInput("gen.gumbel."+slotName(v, slot), v.Classes, func(t *tensor.Dense, rng *rand.Rand) error {
			return dist.FillGumbel(rng, t)
		})
		if value, err = dist.CategoricalSample(logits, gum.node); err != nil {
			return err
		}
	default:
		loc, scale, err := b.locScale(d, slot, false, size)
		if err != nil {
			return err
		}
		fam, err := family(d)
		if err != nil {
			return err
		}
		noise := fam.Noise
		if !noise.Valid() {
			return lowerError(d.Pos, "%s has no reparameterised sampler", d.Family)
		}
		eps := b.newInput("gen.eps."+slotName(v, slot), size, func(t *tensor.Dense, rng *rand.Rand) error {
			return dist.Fill(noise, rng, t)
		})
		if value, err = dist.Reparam(loc, scale, eps.node); err != nil {
			return err
		}
	}
	b.value[key], b.score[key] = value, value
	b.dec[nodeKey{n, slot}] = value
	var val G.Value
	b.gen.latents[key] = &val
	G.Read(value, b.gen.latents[key])
	return nil
}

// readLatents reads every latent's value out of an encoder-only branch.
func (b *branch) readLatents() {
	if b.latentVals == nil {
		b.latentVals = map[slotKey]*G.Value{}
	}
	for key, n := range b.value {
		var val G.Value
		b.latentVals[key] = &val
		G.Read(n, b.latentVals[key])
	}
}

func float32s(v G.Value) []float32 {
	if v == nil {
		return nil
	}
	switch d := v.Data().(type) {
	case []float32:
		return append([]float32(nil), d...)
	case []float64:
		out := make([]float32, len(d))
		for i, x := range d {
			out[i] = float32(x)
		}
		return out
	}
	return nil
}

// Encoder infers latents: it runs the encoder alone on a batch, with the
// supervised variables clamped to given labels when built with clamp, and
// returns each latent's value (by SlotName): with zero noise, the mean of a
// continuous latent and the relaxed (softmax) value of a discrete one.
type Encoder struct {
	p *Program
	b *branch
}

// NewEncoder builds an encoder for batches of B rows. Discrete handling
// (the relaxation temperature) comes from opts.
func NewEncoder(m *check.Model, w *Weights, B int, opts Options, clamp bool) (*Encoder, error) {
	opts.Labelled, opts.Unlabelled, opts.Samples = 0, B, 1
	e := &Encoder{}
	p, err := build(m, w, forEncode, opts, func(p *Program) error {
		pl := plan{name: "enc", encoderOnly: true}
		if clamp {
			obs, _, err := p.observedSet(nil)
			if err != nil {
				return err
			}
			pl.name, pl.observed = "encl", obs
		}
		var err error
		e.b, err = p.lowerBranch(pl, B)
		return err
	})
	if err != nil {
		return nil, err
	}
	e.p = p
	return e, nil
}

// Close releases the machine.
func (e *Encoder) Close() error { return e.p.Close() }

// Run encodes x (B × data size) with the labels of the supervised
// variables when clamped. With mean the noise is zero (means and relaxed
// modes); otherwise it is drawn from rng.
func (e *Encoder) Run(x []float32, labels map[string][]float32, rng *rand.Rand, mean bool) (map[string][]float32, error) {
	b := e.b
	if err := b.bind(x, labels, rng); err != nil {
		return nil, err
	}
	if mean {
		for _, in := range b.noise {
			if err := fillData(in.t, make([]float32, in.t.Shape().TotalSize())); err != nil {
				return nil, err
			}
		}
	}
	defer e.p.vm.Reset()
	if err := e.p.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("encoding with %s: %w", e.p.Model.Name, err)
	}
	out := map[string][]float32{}
	for key, v := range b.latentVals {
		out[slotName(key.v, key.slot)] = float32s(*v)
	}
	return out, nil
}

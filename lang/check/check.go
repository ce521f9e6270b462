package check

import (
	"fmt"

	"github.com/alecthomas/participle/v2/lexer"

	"ssdgm/lang/diag"
	"ssdgm/lang/syntax"
)

// checker holds the state of checking one file.
type checker struct {
	file  string
	diags diag.List
	nets  map[string]*Net
	// params maps the names of the spec's params to them.
	params map[string]*Param
	// failedParams names the params whose declarations had errors.
	failedParams map[string]bool
	// failedNets names the networks whose declarations had errors.
	failedNets map[string]bool
	labels     map[string]*Label
	data       *Var
	dataPos    diag.Pos
	// blockNames maps "encoder" and "decoder" to the names they define.
	blockNames map[string]map[string]diag.Pos
}

// errorf records a diagnostic at a span given as participle positions
// (those of the syntax tree).
func (c *checker) errorf(pos, end lexer.Position, format string, args ...any) *diag.Diagnostic {
	return c.diags.Add(syntax.Pos(pos), syntax.Pos(end), format, args...)
}

// errorAt records a diagnostic at a span given as diagnostic positions
// (those of the checked model); a zero end marks no end.
func (c *checker) errorAt(pos, end diag.Pos, format string, args ...any) *diag.Diagnostic {
	return c.diags.Add(pos, end, format, args...)
}

// checkName reports a reserved word used as a name.
func (c *checker) checkName(id *syntax.Ident) bool {
	if syntax.IsKeyword(id.Name) {
		d := c.errorf(id.Pos, id.EndPos, "`%s` is a reserved word and cannot be used as a name", id.Name)
		d.Suggest = fmt.Sprintf("rename it, for example to `%s_`", id.Name)
		return false
	}
	return true
}

// Source parses and checks a spec's text: syntax.Parse then Check. Errors
// are the diagnostics of whichever phase failed.
func Source(filename string, src []byte) (*Model, error) {
	return SourceWith(filename, src, Limits{})
}

// SourceWith is Source with resource limits (zero fields: defaults).
func SourceWith(filename string, src []byte, l Limits) (*Model, error) {
	f, err := syntax.Parse(filename, src)
	if err != nil {
		return nil, err
	}
	return CheckWith(f, l)
}

// Check checks a parsed file and returns its model, under DefaultLimits.
// When it finds problems it returns them all, sorted by position, as a
// diag.List; the model is nil then.
func Check(f *syntax.File) (*Model, error) { return CheckWith(f, Limits{}) }

// CheckWith is Check with resource limits (zero fields: defaults).
func CheckWith(f *syntax.File, lim Limits) (*Model, error) {
	c := &checker{file: f.Name, nets: map[string]*Net{}, params: map[string]*Param{}, failedParams: map[string]bool{}, failedNets: map[string]bool{}, labels: map[string]*Label{}, blockNames: map[string]map[string]diag.Pos{}}
	m := &Model{File: f.Name}
	var (
		model             *syntax.ModelDecl
		enc, dec          *syntax.Block
		supervise         []*syntax.SuperviseDecl
		netDecls          []*syntax.NetDecl
		params            []*Param
		firstDef          = map[string]diag.Pos{}
		defineTop         func(id *syntax.Ident, what string) bool
		labelOrder        []*Label
		fileStart, endPos = syntax.Pos(f.Pos), syntax.Pos(f.EndPos)
	)
	defineTop = func(id *syntax.Ident, what string) bool {
		if !c.checkName(id) {
			return false
		}
		if p, dup := firstDef[id.Name]; dup {
			d := c.errorf(id.Pos, id.EndPos, "`%s` is defined twice", id.Name)
			d.Notes = []diag.Note{{Pos: p, Msg: "first defined here"}}
			return false
		}
		if (what == "network" || what == "param") && (isFunc(id.Name) || isDist(id.Name)) {
			c.errorf(id.Pos, id.EndPos, "%s `%s` has the name of a library function or distribution; choose another name", what, id.Name)
			return false
		}
		firstDef[id.Name] = syntax.Pos(id.Pos)
		return true
	}
	for _, d := range f.Decls {
		switch {
		case d.Model != nil:
			if model != nil {
				e := c.errorf(d.Pos, d.EndPos, "a spec declares one model")
				e.Notes = []diag.Note{{Pos: syntax.Pos(model.Pos), Msg: "model declared here"}}
				continue
			}
			model = d.Model
			if c.checkName(d.Model.Name) {
				m.Name = d.Model.Name.Name
			}
		case d.Data != nil:
			if c.data != nil {
				e := c.errorf(d.Pos, d.EndPos, "a spec declares one data variable")
				e.Notes = []diag.Note{{Pos: c.dataPos, Msg: "data declared here"}}
				continue
			}
			if !defineTop(d.Data.Name, "data") {
				continue
			}
			c.dataDecl(d.Data)
		case d.Label != nil:
			if !defineTop(d.Label.Name, "label") {
				continue
			}
			if l := c.labelDecl(d.Label); l != nil {
				c.labels[l.Name] = l
				labelOrder = append(labelOrder, l)
			}
		case d.Net != nil:
			if defineTop(d.Net.Name, "network") {
				netDecls = append(netDecls, d.Net)
			}
		case d.Param != nil:
			if !defineTop(d.Param.Name, "param") {
				continue
			}
			if p := c.paramDecl(d.Param); p != nil {
				c.params[p.Name] = p
				params = append(params, p)
			} else {
				c.failedParams[d.Param.Name.Name] = true
			}
		case d.Supervise != nil:
			supervise = append(supervise, d.Supervise)
		case d.Block != nil:
			if (d.Block.Kind == "encoder" && enc != nil) || (d.Block.Kind == "decoder" && dec != nil) {
				c.errorf(d.Pos, d.EndPos, "a spec has one %s block", d.Block.Kind)
				continue
			}
			if d.Block.Kind == "encoder" {
				enc = d.Block
			} else {
				dec = d.Block
			}
		}
	}
	if model == nil {
		d := c.errorAt(fileStart, diag.Pos{}, "missing model declaration")
		d.Suggest = "start the spec with `model NAME`"
	}
	if c.data == nil {
		d := c.errorAt(fileStart, diag.Pos{}, "missing data declaration")
		d.Suggest = "declare the observed variable, as in `data x: image[1, 28, 28]`"
	}
	if enc == nil {
		c.errorAt(endPos, diag.Pos{}, "missing encoder block: write `encoder { ... }` with the recognition model q")
	}
	if dec == nil {
		c.errorAt(endPos, diag.Pos{}, "missing decoder block: write `decoder { ... }` with the generative model p")
	}
	var nets []*Net
	for _, nd := range netDecls {
		if n := c.netDecl(nd); n != nil {
			c.nets[n.Name] = n
			nets = append(nets, n)
		} else {
			c.failedNets[nd.Name.Name] = true
		}
	}
	for _, b := range []*syntax.Block{enc, dec} {
		if b != nil {
			c.blockNames[b.Kind] = collectBlockNames(b)
		}
	}
	var es, ds *scope
	if enc != nil {
		es = c.block(enc)
		m.Encoder = es.g
	}
	if dec != nil {
		ds = c.block(dec)
		m.Decoder = ds.g
	}
	for _, n := range nets {
		if n.Uses == 0 && len(c.diags) == 0 {
			c.errorAt(n.Pos, diag.Pos{}, "network `%s` is never used", n.Name)
		}
	}
	for _, p := range params {
		if p.Uses == 0 && len(c.diags) == 0 {
			d := c.errorAt(p.Pos, diag.Pos{}, "param `%s` is never used", p.Name)
			d.Suggest = "read it in the encoder or the decoder, or remove it"
		}
	}
	if es != nil && ds != nil {
		m.Vars = c.vars(es, ds)
	}
	c.supervise(supervise, m)
	m.Data = c.data
	m.Nets = nets
	m.Params = params
	m.Labels = labelOrder
	m.Limits = lim.withDefaults()
	c.limits(m, m.Limits)
	c.diags.Sort()
	if len(c.diags) > 0 {
		return nil, c.diags
	}
	return m, nil
}

// dataDecl checks `data x: image[c, h, w]` or `data x: vector[d]`.
func (c *checker) dataDecl(d *syntax.DataDecl) {
	t := d.Type
	dims := c.typeDims(t)
	switch t.Name.Name {
	case "image":
		if dims != nil && len(dims) != 3 {
			c.errorf(t.Pos, t.EndPos, "an image type is image[channels, height, width], got %d dimensions", len(dims))
			return
		}
	case "vector":
		if dims != nil && len(dims) != 1 {
			c.errorf(t.Pos, t.EndPos, "a vector type is vector[size], got %d dimensions", len(dims))
			return
		}
	default:
		e := c.errorf(t.Name.Pos, t.Name.EndPos, "unknown data type `%s`", t.Name.Name)
		e.Suggest = diag.DidYouMean(t.Name.Name, []string{"image", "vector"})
		if e.Suggest == "" {
			e.Suggest = "data is image[channels, height, width] or vector[size]"
		}
		return
	}
	if dims == nil {
		return
	}
	c.data = &Var{Name: d.Name.Name, Role: Data, Kind: Continuous, Shape: dims}
	c.dataPos = syntax.Pos(d.Name.Pos)
}

// typeDims reads the dimensions of a type as positive integers.
func (c *checker) typeDims(t *syntax.Type) Shape {
	if len(t.Dims) == 0 {
		c.errorf(t.Pos, t.EndPos, "type `%s` needs its size in brackets, as in %s[10]", t.Name.Name, t.Name.Name)
		return nil
	}
	out := Shape{}
	for _, e := range t.Dims {
		v, ok := c.intArg(e, "a dimension", 1)
		if !ok {
			return nil
		}
		out = append(out, v)
	}
	return out
}

// labelDecl checks `label name: categorical[k]` or `label name: real[d]`,
// optionally per slot: `label name[n]: ...`.
func (c *checker) labelDecl(d *syntax.LabelDecl) *Label {
	l := &Label{Name: d.Name.Name, Pos: syntax.Pos(d.Name.Pos)}
	if d.Slots != nil {
		v, ok := c.intArg(d.Slots, "the number of slots of a label", 1)
		if !ok {
			return nil
		}
		l.Slots = v
	}
	t := d.Type
	switch t.Name.Name {
	case "categorical", "real":
	default:
		e := c.errorf(t.Name.Pos, t.Name.EndPos, "unknown label type `%s`", t.Name.Name)
		e.Suggest = diag.DidYouMean(t.Name.Name, []string{"categorical", "real"})
		if e.Suggest == "" {
			e.Suggest = "a label is categorical[classes] or real[size]"
		}
		return nil
	}
	dims := c.typeDims(t)
	if dims == nil {
		return nil
	}
	if len(dims) != 1 {
		c.errorf(t.Pos, t.EndPos, "a label type has one dimension, as in %s[10]", t.Name.Name)
		return nil
	}
	if t.Name.Name == "categorical" {
		if dims[0] < 2 {
			c.errorf(t.Pos, t.EndPos, "a categorical label needs at least 2 classes")
			return nil
		}
		l.Kind, l.Classes = Discrete, dims[0]
	} else {
		l.Kind, l.Dim = Continuous, dims[0]
	}
	return l
}

// Package syntax parses ssdgm model specs: the lexer, the participle
// grammar, the AST (every node knows its start and end position), the
// comments kept beside it, and the canonical printer used by `ssdgm fmt`.
package syntax

import "github.com/alecthomas/participle/v2/lexer"

// File is a whole spec: a sequence of top-level declarations.
type File struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Decls []*Decl `parser:"@@*"`

	// Name is the file name given to Parse.
	Name string `parser:""`
	// Comments holds every comment of the file, attached to declarations
	// and statements after parsing (see attachComments).
	Comments *CommentMap `parser:""`
}

// Decl is one top-level declaration. Exactly one field is set.
type Decl struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Model     *ModelDecl     `parser:"  @@"`
	Data      *DataDecl      `parser:"| @@"`
	Label     *LabelDecl     `parser:"| @@"`
	Net       *NetDecl       `parser:"| @@"`
	Param     *ParamDecl     `parser:"| @@"`
	Supervise *SuperviseDecl `parser:"| @@"`
	Block     *Block         `parser:"| @@"`
}

// Ident is a name as written. Keywords are accepted here by the grammar so
// that the checker can report "reserved word used as a name" with a clear
// message instead of a parse error.
type Ident struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name string `parser:"@(Ident | Keyword)"`
}

// ModelDecl names the model: `model mnist`.
type ModelDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name *Ident `parser:"'model' @@"`
}

// DataDecl declares the observed data variable and its type:
// `data x: image[1, 28, 28]`.
type DataDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name *Ident `parser:"'data' @@ ':'"`
	Type *Type  `parser:"@@"`
}

// LabelDecl declares a label that the dataset provides and that a latent
// variable may be supervised with: `label digit: categorical[10]`, or a
// per-slot label inside a repeat: `label digits[3]: categorical[10]`.
type LabelDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name  *Ident `parser:"'label' @@"`
	Slots *Expr  `parser:"('[' @@ ']')? ':'"`
	Type  *Type  `parser:"@@"`
}

// Type is a type name with dimensions: image[1, 28, 28], vector[784],
// categorical[10], real[3].
type Type struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name *Ident  `parser:"@@"`
	Dims []*Expr `parser:"('[' (@@ (',' @@)*)? ']')?"`
}

// NetDecl declares a named network whose parameters are shared by every
// use: `net trunk = mlp(hidden: [256], act: relu)`.
type NetDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name *Ident `parser:"'net' @@ '='"`
	Kind *Call  `parser:"@@"`
}

// ParamDecl declares a free learned tensor shared by every use, with its
// shape and the constant every element starts at:
// `param log_sigma: real[784] = -1`.
type ParamDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name *Ident `parser:"'param' @@ ':'"`
	Type *Type  `parser:"@@ '='"`
	Init *Expr  `parser:"@@"`
}

// SuperviseDecl binds a latent variable to a dataset label:
// `supervise y with digit`.
type SuperviseDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Var   *Ident `parser:"'supervise' @@"`
	Label *Ident `parser:"'with' @@"`
}

// Block is the encoder or the decoder: a graphical model written as
// statements.
type Block struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Kind  string  `parser:"@('encoder' | 'decoder') '{'"`
	Stmts []*Stmt `parser:"@@* '}'"`
}

// Stmt is one statement of a block. Exactly one field is set.
type Stmt struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Repeat *Repeat `parser:"  @@"`
	Assign *Assign `parser:"| @@"`
}

// Repeat is a block repeated Count times, at most Max times:
// `repeat K max 3 { ... }`. Count is a constant or a discrete latent; Max is
// a positive constant (it may be left out when Count is a constant).
type Repeat struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Count *Expr   `parser:"'repeat' @@"`
	Max   *Expr   `parser:"('max' @@)? '{'"`
	Stmts []*Stmt `parser:"@@* '}'"`
}

// Assign is a stochastic statement `name ~ Dist(...)` or a deterministic
// one `name = expr`.
type Assign struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name  *Ident `parser:"@@"`
	Op    string `parser:"@('~' | '=')"`
	Value *Expr  `parser:"@@"`
}

// IsSample reports whether a is a stochastic statement (`~`).
func (a *Assign) IsSample() bool { return a.Op == "~" }

// Expr is a sum: Left followed by + or - terms.
type Expr struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Left *Term     `parser:"@@"`
	Rest []*OpTerm `parser:"@@*"`
}

// OpTerm is one `+ term` or `- term` of a sum.
type OpTerm struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Op   string `parser:"@('+' | '-')"`
	Term *Term  `parser:"@@"`
}

// Term is a product: Left followed by * or / factors. `*` is element-wise.
type Term struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Left *Unary      `parser:"@@"`
	Rest []*OpFactor `parser:"@@*"`
}

// OpFactor is one `* factor` or `/ factor` of a product.
type OpFactor struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Op     string `parser:"@('*' | '/')"`
	Factor *Unary `parser:"@@"`
}

// Unary is an optionally negated primary.
type Unary struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Neg     bool     `parser:"@'-'?"`
	Primary *Primary `parser:"@@"`
}

// Primary is a number, a list, a call, a name or a parenthesised
// expression. Exactly one field is set.
type Primary struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Number *Number `parser:"  @@"`
	List   *List   `parser:"| @@"`
	Call   *Call   `parser:"| @@"`
	Ref    *Ident  `parser:"| @@"`
	Paren  *Expr   `parser:"| '(' @@ ')'"`
}

// Number is a numeric literal as written (the text is kept so that the
// printer does not change it).
type Number struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Text string `parser:"@(Float | Int)"`
}

// List is a bracketed list of expressions: [256, 256].
type List struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Elems []*Expr `parser:"'[' (@@ (',' @@)* ','?)? ']'"`
}

// Call is a function, distribution or network application with positional
// and named arguments: Normal(loc: m, scale: s), concat(h, y).
type Call struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Func *Ident `parser:"@@ '('"`
	Args []*Arg `parser:"(@@ (',' @@)* ','?)? ')'"`
}

// Arg is one argument of a call, named (`loc: m`) or positional.
type Arg struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name  *Ident `parser:"(@@ ':')?"`
	Value *Expr  `parser:"@@"`
}

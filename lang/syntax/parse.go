package syntax

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"ssdgm/lang/diag"
)

// MaxDepth is the deepest nesting of brackets a spec may have. Deeper input
// is rejected with a clear error before the recursive-descent parser sees
// it, so no input can exhaust the stack.
const MaxDepth = 64

// Parser parses specs. It is safe for concurrent use once built.
type Parser struct {
	p   *participle.Parser[File]
	lex *lexer.StatefulDefinition
}

// NewParser builds the parser. Building validates the grammar; an error here
// is a bug in this package, which a test guards.
func NewParser() (*Parser, error) {
	lex := newLexer()
	p, err := participle.Build[File](
		participle.Lexer(lex),
		participle.Elide("Comment", "Whitespace"),
		participle.UseLookahead(3),
	)
	if err != nil {
		return nil, err
	}
	return &Parser{p: p, lex: lex}, nil
}

// EBNF returns the grammar in EBNF, as participle derives it from the AST.
func (p *Parser) EBNF() string { return p.p.String() }

// Parse parses the spec src read from filename. On failure it returns the
// syntax errors as a diag.List; the File is nil then.
func (p *Parser) Parse(filename string, src []byte) (*File, error) {
	toks, errs := p.tokens(filename, src)
	if len(errs) > 0 {
		return nil, errs
	}
	f, err := p.p.ParseBytes(filename, src)
	if err != nil {
		return nil, diag.List{p.syntaxError(err, toks)}
	}
	f.Name = filename
	f.Comments = attachComments(f, toks)
	return f, nil
}

// Parse parses one spec with a freshly built parser.
func Parse(filename string, src []byte) (*File, error) {
	p, err := NewParser()
	if err != nil {
		return nil, err
	}
	return p.Parse(filename, src)
}

// tokens lexes src completely and checks bracket nesting, so that unclosed
// and mismatched brackets and too-deep nesting get precise messages naming
// where the bracket was opened.
func (p *Parser) tokens(filename string, src []byte) ([]lexer.Token, diag.List) {
	var errs diag.List
	lx, err := p.lex.Lex(filename, bytes.NewReader(src))
	if err != nil {
		errs.Add(diag.Pos{File: filename, Line: 1, Col: 1}, diag.Pos{}, "%s", err)
		return nil, errs
	}
	var toks []lexer.Token
	for {
		t, err := lx.Next()
		if err != nil {
			errs = append(errs, lexError(filename, src, err))
			return nil, errs
		}
		if t.EOF() {
			toks = append(toks, t)
			break
		}
		toks = append(toks, t)
	}
	type open struct {
		tok  lexer.Token
		want string
	}
	var stack []open
	closing := map[string]string{"(": ")", "[": "]", "{": "}"}
	for _, t := range toks {
		switch t.Value {
		case "(", "[", "{":
			if t.Type == p.punct() {
				stack = append(stack, open{t, closing[t.Value]})
				if len(stack) > MaxDepth {
					errs.Add(pos(t.Pos), diag.Pos{}, "nesting deeper than %d brackets", MaxDepth)
					return nil, errs
				}
			}
		case ")", "]", "}":
			if t.Type != p.punct() {
				continue
			}
			if len(stack) == 0 {
				errs.Add(pos(t.Pos), endOf(t), "unexpected `%s` with no matching opening bracket", t.Value)
				return nil, errs
			}
			top := stack[len(stack)-1]
			if top.want != t.Value {
				d := errs.Add(pos(t.Pos), endOf(t), "expected `%s` to close `%s`, found `%s`", top.want, top.tok.Value, t.Value)
				d.Notes = []diag.Note{{Pos: pos(top.tok.Pos), Msg: fmt.Sprintf("`%s` opened here", top.tok.Value)}}
				return nil, errs
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		eof := toks[len(toks)-1]
		d := errs.Add(pos(eof.Pos), diag.Pos{}, "unexpected end of file: `%s` opened at %d:%d is not closed with `%s`",
			top.tok.Value, top.tok.Pos.Line, top.tok.Pos.Column, top.want)
		d.Notes = []diag.Note{{Pos: pos(top.tok.Pos), Msg: fmt.Sprintf("`%s` opened here", top.tok.Value)}}
	}
	return toks, errs
}

func (p *Parser) punct() lexer.TokenType { return p.lex.Symbols()["Punct"] }

// lexError turns a lexer error into a diagnostic. participle's lexer error
// text quotes the rest of the input, escapes and all, so the offending
// character is read from src at the error's offset instead.
func lexError(filename string, src []byte, err error) diag.Diagnostic {
	var perr participle.Error
	if !errors.As(err, &perr) {
		return diag.Diagnostic{Pos: diag.Pos{File: filename, Line: 1, Col: 1}, Msg: err.Error()}
	}
	p := pos(perr.Position())
	if p.File == "" {
		p.File = filename
	}
	msg := perr.Message()
	if strings.Contains(msg, "invalid input text") && p.Offset >= 0 && p.Offset < len(src) {
		d := badChar(src, p)
		return d
	}
	return diag.Diagnostic{Pos: p, Msg: msg}
}

// badChar describes the character at p, which no token rule accepts: a
// quote opening a string (the language has none), a control character or
// invalid UTF-8 by its code, anything else as itself.
func badChar(src []byte, p diag.Pos) diag.Diagnostic {
	rest := src[p.Offset:]
	r, size := utf8.DecodeRune(rest)
	end := p
	end.Offset += size
	end.Col++
	switch {
	case r == '"' || r == '\'' || r == '`':
		line := rest[size:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		i := bytes.IndexRune(line, r)
		if c := bytes.Index(line, []byte("//")); c >= 0 && c < i {
			i = -1 // the quote closing it is in a comment
		}
		if i < 0 {
			return diag.Diagnostic{Pos: p, End: end,
				Msg:     fmt.Sprintf("string not closed: the %s here starts a string that does not end on this line", quoteName(r)),
				Suggest: "specs have no strings: names and numbers are written without quotes"}
		}
		text := string(rest[:size+i+utf8.RuneLen(r)])
		end.Offset = p.Offset + len(text)
		end.Col = p.Col + utf8.RuneCountInString(text)
		return diag.Diagnostic{Pos: p, End: end,
			Msg:     fmt.Sprintf("unexpected string %s", shorten(text)),
			Suggest: "specs have no strings: names and numbers are written without quotes"}
	case r == utf8.RuneError && size <= 1:
		return diag.Diagnostic{Pos: p, End: end, Msg: fmt.Sprintf("invalid UTF-8 byte 0x%02X", rest[0])}
	case r == 0:
		return diag.Diagnostic{Pos: p, End: end, Msg: "invalid character NUL (byte 0x00)",
			Suggest: "the file may be binary or truncated; a spec is plain text"}
	case !unicode.IsPrint(r):
		return diag.Diagnostic{Pos: p, End: end, Msg: fmt.Sprintf("invalid character %U (not printable)", r)}
	}
	return diag.Diagnostic{Pos: p, End: end, Msg: fmt.Sprintf("invalid character %q", string(r))}
}

func quoteName(r rune) string {
	switch r {
	case '"':
		return "double quote `\"`"
	case '\'':
		return "single quote `'`"
	}
	return "backquote"
}

// shorten quotes at most 40 characters of a string literal for a message.
func shorten(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// syntaxError rewrites participle's parse errors, which name grammar
// fragments, into messages about the spec.
func (p *Parser) syntaxError(err error, toks []lexer.Token) diag.Diagnostic {
	var perr participle.Error
	if !errors.As(err, &perr) {
		return diag.Diagnostic{Msg: err.Error()}
	}
	at := pos(perr.Position())
	msg := perr.Message()
	var ute *participle.UnexpectedTokenError
	if errors.As(err, &ute) {
		tok := ute.Unexpected
		what := fmt.Sprintf("`%s`", tok.Value)
		if tok.EOF() {
			what = "end of file"
		}
		expect := simplifyExpect(ute.Expect)
		if ute.Expect == "" {
			expect = simplifyExpect(strings.TrimSuffix(afterExpected(msg), ")"))
		}
		msg = "unexpected " + what
		if expect != "" {
			msg += ", expected " + expect
		}
		if hint := hintFor(tok, toks); hint != "" {
			msg += "; " + hint
		}
		return diag.Diagnostic{Pos: at, End: endOf(tok), Msg: msg}
	}
	return diag.Diagnostic{Pos: at, Msg: msg}
}

func afterExpected(msg string) string {
	if i := strings.Index(msg, "(expected "); i >= 0 {
		return msg[i+len("(expected "):]
	}
	return ""
}

// simplifyExpect keeps an expectation only when it is a plain token list;
// grammar fragments are dropped.
func simplifyExpect(e string) string {
	e = strings.TrimSpace(e)
	if e == "" {
		return ""
	}
	if strings.HasPrefix(e, "\"") || strings.HasPrefix(e, "'") {
		lit := strings.Trim(e, "\"'")
		if !strings.ContainsAny(lit, " <>|?*") {
			return "`" + lit + "`"
		}
	}
	switch e {
	case "<ident>", "<ident> | <keyword>", "(<ident> | <keyword>)":
		return "a name"
	}
	return ""
}

// hintFor suggests a fix for common mistakes, judged from the tokens before
// the unexpected one.
func hintFor(tok lexer.Token, toks []lexer.Token) string {
	prev := previous(tok, toks)
	if prev == nil {
		return ""
	}
	switch {
	case tok.Value == ":" && (prev.Value == "=" || prev.Value == "~"):
		return "named arguments go inside a call, as in Normal(loc: m, scale: s)"
	case prev.Value == "=" || prev.Value == "~":
		return "a statement is `name ~ Distribution(...)` or `name = expression`"
	}
	return ""
}

func previous(tok lexer.Token, toks []lexer.Token) *lexer.Token {
	for i := range toks {
		if toks[i].Pos.Offset == tok.Pos.Offset && i > 0 {
			for j := i - 1; j >= 0; j-- {
				if toks[j].Type != lexer.EOF && !isTrivia(toks[j]) {
					return &toks[j]
				}
			}
		}
	}
	return nil
}

func isTrivia(t lexer.Token) bool {
	return strings.HasPrefix(t.Value, "//") || strings.TrimSpace(t.Value) == ""
}

// pos converts a participle position.
func pos(p lexer.Position) diag.Pos {
	return diag.Pos{File: p.Filename, Offset: p.Offset, Line: p.Line, Col: p.Column}
}

func endOf(t lexer.Token) diag.Pos {
	p := pos(t.Pos)
	p.Offset += len(t.Value)
	p.Col += len(t.Value)
	return p
}

// Pos converts a participle position into a diagnostic position.
func Pos(p lexer.Position) diag.Pos { return pos(p) }

package syntax

import "github.com/alecthomas/participle/v2/lexer"

// Keywords returns the reserved words of the language. They are lexed as
// their own token type, so `encoder ~ Normal(0, 1)` can never be read as a
// variable named encoder.
func Keywords() []string {
	return []string{"model", "data", "label", "net", "param", "supervise", "with", "encoder", "decoder", "repeat"}
}

// IsKeyword reports whether name is a reserved word.
func IsKeyword(name string) bool {
	for _, k := range Keywords() {
		if k == name {
			return true
		}
	}
	return false
}

// newLexer returns the lexer definition. Rule order matters: keywords are
// tried before identifiers, floats before integers.
func newLexer() *lexer.StatefulDefinition {
	return lexer.MustSimple([]lexer.SimpleRule{
		{Name: "Comment", Pattern: `//[^\n]*`},
		{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
		{Name: "Keyword", Pattern: `\b(model|data|label|net|param|supervise|with|encoder|decoder|repeat)\b`},
		{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
		{Name: "Float", Pattern: `[0-9]+\.[0-9]*([eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+|\.[0-9]+([eE][-+]?[0-9]+)?`},
		{Name: "Int", Pattern: `[0-9]+`},
		{Name: "Punct", Pattern: `[-+*/(){}\[\],:~=]`},
	})
}

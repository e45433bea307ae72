package inventory

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is the JSON type of the next value in the input.
type kind uint8

const (
	kindInvalid kind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindBool
	kindNull
	kindEnd
)

// describe names a kind the way error messages say what was found.
func (k kind) describe() string {
	switch k {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindNull:
		return "null"
	case kindEnd:
		return "the end of the input"
	}
	return "an invalid character"
}

// lexer is a pull parser over one JSON document. The decoder asks it for the
// value it expects next, so no intermediate tree is built: memory stays at the
// input plus the model, and strings without escapes are substrings of the
// input (no copy). The first syntax error stops the input (every later call
// sees the end) and is kept in err.
type lexer struct {
	s        string
	i        int
	depth    int
	maxDepth int
	err      string
	errOff   int
}

// fail records the first syntax error and jumps to the end of the input.
func (l *lexer) fail(off int, format string, args ...any) {
	if l.err == "" {
		line, col := lineCol(l.s, off)
		l.err = fmt.Sprintf("line %d, column %d: %s", line, col, fmt.Sprintf(format, args...))
		l.errOff = off
	}
	l.i = len(l.s)
}

// lineCol turns a byte offset into a 1-based line and column (in bytes).
// Only syntax errors need it, so counting on demand is fine.
func lineCol(s string, off int) (int, int) {
	if off > len(s) {
		off = len(s)
	}
	line := 1 + strings.Count(s[:off], "\n")
	col := off + 1
	if nl := strings.LastIndexByte(s[:off], '\n'); nl >= 0 {
		col = off - nl
	}
	return line, col
}

func (l *lexer) ws() {
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// peek reports the kind of the next value without consuming it.
func (l *lexer) peek() kind {
	l.ws()
	if l.i >= len(l.s) {
		return kindEnd
	}
	switch c := l.s[l.i]; {
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == '"':
		return kindString
	case c == 't' || c == 'f':
		return kindBool
	case c == 'n':
		return kindNull
	case c == '-' || (c >= '0' && c <= '9'):
		return kindNumber
	}
	return kindInvalid
}

// open consumes '{' or '[' (peek has said which) and enforces the nesting
// limit, so hostile input cannot exhaust the stack.
func (l *lexer) open() {
	l.i++
	l.depth++
	if l.depth > l.maxDepth {
		l.fail(l.i-1, "nesting deeper than %d levels", l.maxDepth)
	}
}

// more reports whether the container being read has another element,
// consuming the separating comma or the closing bracket. first is the
// caller's per-container state.
func (l *lexer) more(first *bool, closer byte) bool {
	l.ws()
	if l.i >= len(l.s) {
		if l.err == "" {
			l.fail(l.i, "unexpected end of input, expected %q", closer)
		}
		return false
	}
	if l.s[l.i] == closer {
		l.i++
		l.depth--
		return false
	}
	if !*first {
		if l.s[l.i] != ',' {
			l.fail(l.i, "expected ',' or %q, found %s", closer, l.near())
			return false
		}
		l.i++
		l.ws()
	}
	*first = false
	return true
}

// near quotes the input character at the cursor for an error message.
func (l *lexer) near() string {
	if l.i >= len(l.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(l.s[l.i:])
	return strconv.QuoteRune(r)
}

// key reads an object member's name and the colon after it.
func (l *lexer) key() string {
	l.ws()
	if l.i >= len(l.s) || l.s[l.i] != '"' {
		l.fail(l.i, "expected a quoted member name, found %s", l.near())
		return ""
	}
	k := l.str()
	l.ws()
	if l.i >= len(l.s) || l.s[l.i] != ':' {
		l.fail(l.i, "expected ':' after member name, found %s", l.near())
		return ""
	}
	l.i++
	return k
}

// str reads a string (the cursor is on its opening quote).
func (l *lexer) str() string {
	start := l.i
	l.i++
	for j := l.i; j < len(l.s); j++ {
		c := l.s[j]
		switch {
		case c == '"':
			v := l.s[l.i:j]
			if !utf8.ValidString(v) {
				l.fail(start, "string is not valid UTF-8")
				return ""
			}
			l.i = j + 1
			return v
		case c == '\\':
			return l.strSlow(start)
		case c < 0x20:
			l.fail(j, "control character in string")
			return ""
		}
	}
	l.fail(start, "unterminated string")
	return ""
}

// strSlow decodes a string with escapes.
func (l *lexer) strSlow(start int) string {
	var b []byte
	j := start + 1
	for j < len(l.s) {
		c := l.s[j]
		switch {
		case c == '"':
			l.i = j + 1
			if !utf8.Valid(b) {
				l.fail(start, "string is not valid UTF-8")
				return ""
			}
			return string(b)
		case c < 0x20:
			l.fail(j, "control character in string")
			return ""
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(l.s) {
			break
		}
		e := l.s[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(l.s, j)
			if !ok {
				l.fail(j-2, "invalid \\u escape")
				return ""
			}
			j += 4
			if utf16.IsSurrogate(r) {
				// A pair is two escapes. A lone half is refused: encoding/json
				// turns it into U+FFFD, which would silently rename a
				// resource (a name Azure would never show).
				r2, ok := hex4(l.s, j+2)
				ok = ok && j+1 < len(l.s) && l.s[j] == '\\' && l.s[j+1] == 'u'
				d := utf8.RuneError
				if ok {
					d = utf16.DecodeRune(r, r2)
				}
				if d == utf8.RuneError {
					l.fail(j-6, "lone UTF-16 surrogate \\u%04x in string (a surrogate is only valid as the first half of a pair, \\ud800-\\udbff then \\udc00-\\udfff)", r)
					return ""
				}
				j += 6
				r = d
			}
			b = utf8.AppendRune(b, r)
		default:
			l.fail(j-2, "invalid escape \\%c in string", e)
			return ""
		}
	}
	l.fail(start, "unterminated string")
	return ""
}

func hex4(s string, j int) (rune, bool) {
	if j+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[j : j+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads a number and returns its text, checked against the JSON
// grammar.
func (l *lexer) number() string {
	s, start := l.s, l.i
	j := l.i
	if j < len(s) && s[j] == '-' {
		j++
	}
	digits := func() bool {
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j > k
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case !digits():
		l.fail(start, "invalid number")
		return ""
	}
	if j < len(s) && s[j] == '.' {
		j++
		if !digits() {
			l.fail(start, "invalid number")
			return ""
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if !digits() {
			l.fail(start, "invalid number")
			return ""
		}
	}
	l.i = j
	return s[start:j]
}

// literal reads true, false or null.
func (l *lexer) literal() string {
	for _, w := range [...]string{"true", "false", "null"} {
		if strings.HasPrefix(l.s[l.i:], w) {
			l.i += len(w)
			return w
		}
	}
	l.fail(l.i, "invalid literal, expected true, false or null")
	return ""
}

// skip consumes the next value whatever it is.
func (l *lexer) skip() {
	switch l.peek() {
	case kindObject:
		l.open()
		for first := true; l.more(&first, '}'); {
			l.key()
			l.skip()
		}
	case kindArray:
		l.open()
		for first := true; l.more(&first, ']'); {
			l.skip()
		}
	case kindString:
		l.str()
	case kindNumber:
		l.number()
	case kindBool, kindNull:
		l.literal()
	case kindEnd:
		l.fail(l.i, "unexpected end of input, expected a value")
	default:
		l.fail(l.i, "invalid character %s looking for the beginning of a value", l.near())
	}
}

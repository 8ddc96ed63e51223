package nsfw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// nsfwjs ships its models as browserify bundles so that they can be
// <script>-included: each file is a UMD wrapper around one module whose body
// is `<var>.exports=<literal>`, the literal being an object (model.min.js:
// topology and weights manifest) or a string (group1-shard*.min.js: the
// weights, base64). The literal is minified JavaScript, not JSON: unquoted
// keys, !0/!1 for true/false, numbers like .5 and -0. extractExport finds
// that one assignment and parses the literal with a small parser for exactly
// this subset of JavaScript, so nothing is ever evaluated.

// extractExport returns the literal assigned to module.exports in a
// browserify-wrapped nsfwjs model file, as a Go value: map[string]any,
// []any, string, float64, bool or nil. want is "object" or "string".
func extractExport(src []byte, want string) (any, error) {
	const marker = ".exports="
	var first byte
	switch want {
	case "object":
		first = '{'
	case "string":
		first = '"'
	default:
		return nil, fmt.Errorf("extract: bad kind %q", want)
	}
	var found []int
	for off := 0; ; {
		i := bytes.Index(src[off:], []byte(marker))
		if i < 0 {
			break
		}
		at := off + i + len(marker)
		if at < len(src) && (src[at] == first || want == "string" && src[at] == '\'') {
			found = append(found, at)
		}
		off = at
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no `.exports=%c...` assignment found: not an nsfwjs browserify model bundle", first)
	case 1:
	default:
		return nil, fmt.Errorf("%d `.exports=%c...` assignments found, want exactly one: unexpected bundle layout", len(found), first)
	}
	p := &jsParser{src: src, pos: found[0]}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	// A browserify module body ends right after the assignment: `}`, or `;}`.
	rest := strings.TrimLeft(string(src[p.pos:min(p.pos+8, len(src))]), " \t\r\n;")
	if !strings.HasPrefix(rest, "}") {
		return nil, fmt.Errorf("unexpected %q after the exported literal at byte %d: not a plain `module.exports=<literal>` bundle", rest, p.pos)
	}
	return v, nil
}

// decodeExport extracts the exported object and decodes it into out through
// JSON, so that out's types do the field checking.
func decodeExport(src []byte, out any) error {
	v, err := extractExport(src, "object")
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 200

// jsParser parses a JavaScript literal: objects, arrays, strings, numbers,
// true/false (also as !0/!1), null and void 0. It rejects everything else.
type jsParser struct {
	src []byte
	pos int
}

func (p *jsParser) errorf(format string, args ...any) error {
	return fmt.Errorf("javascript literal at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested deeper than %d", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of input")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		return p.str()
	case c == '!':
		switch {
		case p.consume("!0"):
			return true, nil
		case p.consume("!1"):
			return false, nil
		}
		return nil, p.errorf("unsupported expression starting with '!'")
	case c == '-' || c == '+' || c == '.' || '0' <= c && c <= '9':
		return p.number()
	default:
		word := p.ident()
		switch word {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		case "void":
			p.skipSpace()
			if p.consume("0") {
				return nil, nil
			}
		case "Infinity", "NaN":
			return nil, p.errorf("%s cannot be represented", word)
		}
		return nil, p.errorf("unsupported token %q", firstRunes(string(p.src[p.pos:]), 20))
	}
}

func (p *jsParser) consume(s string) bool {
	if bytes.HasPrefix(p.src[p.pos:], []byte(s)) {
		p.pos += len(s)
		return true
	}
	return false
}

func isIdentByte(c byte, first bool) bool {
	return c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

func (p *jsParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos], p.pos == start) {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

func (p *jsParser) object(depth int) (any, error) {
	p.pos++ // '{'
	obj := map[string]any{}
	for {
		p.skipSpace()
		if p.consume("}") {
			return obj, nil
		}
		var key string
		switch c := p.src[p.pos]; {
		case c == '"' || c == '\'':
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			key = k
		case '0' <= c && c <= '9':
			start := p.pos
			for p.pos < len(p.src) && '0' <= p.src[p.pos] && p.src[p.pos] <= '9' {
				p.pos++
			}
			key = string(p.src[start:p.pos])
		default:
			key = p.ident()
			if key == "" {
				return nil, p.errorf("expected an object key")
			}
		}
		p.skipSpace()
		if !p.consume(":") {
			return nil, p.errorf("expected ':' after key %q", key)
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, dup := obj[key]; dup {
			return nil, p.errorf("duplicate key %q", key)
		}
		obj[key] = v
		p.skipSpace()
		if p.consume(",") {
			continue
		}
		if p.consume("}") {
			return obj, nil
		}
		return nil, p.errorf("expected ',' or '}' in object")
	}
}

func (p *jsParser) array(depth int) (any, error) {
	p.pos++ // '['
	arr := []any{}
	for {
		p.skipSpace()
		if p.consume("]") {
			return arr, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.consume(",") {
			continue
		}
		if p.consume("]") {
			return arr, nil
		}
		return nil, p.errorf("expected ',' or ']' in array")
	}
}

func (p *jsParser) number() (any, error) {
	start := p.pos
	if c := p.src[p.pos]; c == '-' || c == '+' {
		p.pos++
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' ||
			(c == '-' || c == '+') && (p.src[p.pos-1] == 'e' || p.src[p.pos-1] == 'E') {
			p.pos++
			continue
		}
		break
	}
	text := string(p.src[start:p.pos])
	// The scan admits only decimal forms, so ParseFloat never sees Go-only
	// syntax such as 0x1p-2 or 1_000.
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.errorf("bad number %q", text)
	}
	return f, nil
}

// str parses a quoted string. The weights are a multi-megabyte base64 string
// without escapes, so the common case is one slice conversion.
func (p *jsParser) str() (string, error) {
	quote := p.src[p.pos]
	p.pos++
	start := p.pos
	end := bytes.IndexByte(p.src[start:], quote)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	if bytes.IndexByte(p.src[start:start+end], '\\') < 0 && bytes.IndexByte(p.src[start:start+end], '\n') < 0 {
		p.pos = start + end + 1
		if !utf8.Valid(p.src[start : start+end]) {
			return "", p.errorf("string is not valid UTF-8")
		}
		return string(p.src[start : start+end]), nil
	}
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '\n' || c == '\r':
			return "", p.errorf("newline in string")
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		p.pos++ // backslash
		if p.pos >= len(p.src) {
			return "", p.errorf("unterminated string")
		}
		e := p.src[p.pos]
		p.pos++
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		case 'x':
			r, err := p.hex(2)
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		case 'u':
			r, err := p.hex(4)
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) && p.consume("\\u") {
				r2, err := p.hex(4)
				if err != nil {
					return "", err
				}
				r = utf16.DecodeRune(r, r2)
			}
			b.WriteRune(r)
		default:
			b.WriteByte(e) // \" \' \\ \/ and identity escapes
		}
	}
}

func (p *jsParser) hex(n int) (rune, error) {
	if p.pos+n > len(p.src) {
		return 0, p.errorf("short escape")
	}
	v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
	if err != nil {
		return 0, p.errorf("bad escape %q", p.src[p.pos:p.pos+n])
	}
	p.pos += n
	return rune(v), nil
}

func firstRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

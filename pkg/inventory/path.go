package inventory

import "strconv"

// path is where the decoder is in the document, as a chain of frames on the
// decoder's stack. It is rendered only when a problem is reported, so walking
// a large valid file costs no strings.
type path struct {
	parent *path
	key    string
	index  int // element index, or -1 for an object member
}

func (p *path) field(key string) path { return path{parent: p, key: key, index: -1} }
func (p *path) elem(i int) path       { return path{parent: p, index: i} }

// String renders the path as cloudServices[3].deployment.roles[0].
func (p *path) String() string {
	if p == nil {
		return ""
	}
	return string(p.appendTo(make([]byte, 0, 64)))
}

func (p *path) appendTo(b []byte) []byte {
	if p == nil {
		return b
	}
	b = p.parent.appendTo(b)
	switch {
	case p.index >= 0:
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(p.index), 10)
		b = append(b, ']')
	case isIdent(p.key):
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, p.key...)
	default:
		// Map keys such as regions ("West US") and unknown keys may hold
		// anything: quote them so the path stays unambiguous.
		b = append(b, '[')
		b = strconv.AppendQuote(b, p.key)
		b = append(b, ']')
	}
	return b
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

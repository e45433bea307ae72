package report

import (
	"bufio"
	"io"
)

// indentWriter indents compact JSON as it is written, the way json.Indent
// with prefix "" and indent "  " does, into a buffered w. It lets the JSON
// report be encoded compact and indented on the way out: json.Encoder's
// SetIndent builds the whole indented document in a second buffer, which
// for the disk step's plan of 100k VMs was over 300 MB of garbage.
//
// Input must be valid compact JSON (what json.Encoder writes without
// SetIndent); it may arrive in any number of writes.
type indentWriter struct {
	w          *bufio.Writer
	depth      int
	inString   bool
	escaped    bool
	needIndent bool // after '{' or '[': newline, unless the value is empty
}

func newIndentWriter(w io.Writer) *indentWriter {
	return &indentWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	w := iw.w
	for _, c := range p {
		if iw.inString {
			w.WriteByte(c)
			switch {
			case iw.escaped:
				iw.escaped = false
			case c == '\\':
				iw.escaped = true
			case c == '"':
				iw.inString = false
			}
			continue
		}
		if iw.needIndent && c != '}' && c != ']' {
			iw.needIndent = false
			iw.depth++
			iw.newline()
		}
		switch c {
		case '"':
			iw.inString = true
			w.WriteByte(c)
		case '{', '[':
			w.WriteByte(c)
			iw.needIndent = true
		case ',':
			w.WriteByte(c)
			iw.newline()
		case ':':
			w.WriteString(": ")
		case '}', ']':
			if iw.needIndent {
				iw.needIndent = false // empty: "{}" or "[]"
			} else {
				iw.depth--
				iw.newline()
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
	return len(p), nil
}

func (iw *indentWriter) newline() {
	iw.w.WriteByte('\n')
	for range iw.depth {
		iw.w.WriteString("  ")
	}
}

// Flush writes what is buffered to the underlying writer.
func (iw *indentWriter) Flush() error { return iw.w.Flush() }

package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Default limits for hostile or accidental input.
const (
	// DefaultMaxBytes is the largest inventory file read by default.
	DefaultMaxBytes = 256 << 20
	// DefaultMaxDepth is the deepest nesting of objects and arrays accepted
	// by default; a valid inventory needs 7.
	DefaultMaxDepth = 64
)

type options struct {
	maxBytes int64
	maxDepth int
}

// Option changes a limit of Load or Parse.
type Option func(*options)

// WithMaxBytes sets the largest file accepted, in bytes.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithMaxDepth sets the deepest nesting of objects and arrays accepted.
func WithMaxDepth(n int) Option { return func(o *options) { o.maxDepth = n } }

func newOptions(opts []Option) options {
	o := options{maxBytes: DefaultMaxBytes, maxDepth: DefaultMaxDepth}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Load reads and checks the inventory file at path. The format comes from the
// extension (.json, .yaml, .yml), or else from the content (a first
// non-space '{' means JSON). A file that is not a valid inventory gives a
// *LoadError listing every problem; I/O failures are wrapped as they come.
func Load(path string, opts ...Option) (*Inventory, error) {
	o := newOptions(opts)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	// Read into a string sized from the file: one allocation of the file's
	// size that decoded names share. io.ReadAll grew a slice by doubling
	// and parse then copied it into a string, about 3.3 times the file in
	// garbage (500 MB for a 150 MB estate of 100k VMs).
	var b strings.Builder
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		b.Grow(int(min(st.Size(), o.maxBytes+1)))
	}
	// Read at most one byte over the limit: enough to know it is too big
	// without reading a hostile file to its end.
	if _, err := io.Copy(&b, io.LimitReader(f, o.maxBytes+1)); err != nil {
		return nil, fmt.Errorf("load inventory %s: %w", path, err)
	}
	return parseString(path, b.String(), o)
}

// Parse checks an inventory document already in memory; file names it in
// problems and picks the format as Load does.
func Parse(file string, data []byte, opts ...Option) (*Inventory, error) {
	return parse(file, data, newOptions(opts))
}

const bom = "\xef\xbb\xbf"

func parse(file string, data []byte, o options) (*Inventory, error) {
	if int64(len(data)) > o.maxBytes {
		return nil, tooBig(file, o)
	}
	data = bytes.TrimPrefix(data, []byte(bom))
	if isJSON(file, data) {
		// One copy turns the input into a string that decoded names can
		// share without copying again.
		return decode(file, string(data), o.maxDepth)
	}
	return decodeYAML(file, data, o)
}

// parseString is parse for a document Load read into a string.
func parseString(file, src string, o options) (*Inventory, error) {
	if int64(len(src)) > o.maxBytes {
		return nil, tooBig(file, o)
	}
	src = strings.TrimPrefix(src, bom)
	if isJSON(file, src) {
		return decode(file, src, o.maxDepth)
	}
	return decodeYAML(file, []byte(src), o)
}

func tooBig(file string, o options) error {
	return &LoadError{File: file, Problems: []Problem{{Message: fmt.Sprintf("file is larger than the limit of %d bytes", o.maxBytes)}}}
}

func decodeYAML(file string, data []byte, o options) (*Inventory, error) {
	src, err := yamlToJSON(data, o)
	if err != nil {
		return nil, &LoadError{File: file, Problems: []Problem{{Message: err.Error()}}}
	}
	return decode(file, src, o.maxDepth)
}

// isJSON picks the decoder: by extension first, then by content (a first
// non-space '{').
func isJSON[T string | []byte](file string, data T) bool {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		return true
	case ".yaml", ".yml":
		return false
	}
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return data[i] == '{'
	}
	return false
}

// decode runs the schema walk and the cross-checks over a JSON document.
func decode(file, src string, maxDepth int) (*Inventory, error) {
	d := &dec{lx: lexer{s: src, maxDepth: maxDepth}}
	inv := d.inventory()
	if d.lx.err == "" {
		if d.lx.peek() != kindEnd {
			d.lx.fail(d.lx.i, "unexpected %s after the top-level value", d.lx.near())
		}
	}
	if d.lx.err != "" {
		d.problems = append(d.problems, Problem{Path: d.synPath, Message: d.lx.err})
		return nil, &LoadError{File: file, Problems: d.problems}
	}
	fillDefaults(inv)
	d.problems = append(d.problems, crossCheck(inv)...)
	if len(d.problems) > 0 {
		return nil, &LoadError{File: file, Problems: d.problems}
	}
	return inv, nil
}

// IsLoadError reports whether err is (or wraps) a *LoadError.
func IsLoadError(err error) bool {
	var le *LoadError
	return errors.As(err, &le)
}

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
	defer f.Close()
	// Read at most one byte over the limit: enough to know it is too big
	// without reading a hostile file to its end.
	data, err := io.ReadAll(io.LimitReader(f, o.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load inventory %s: %w", path, err)
	}
	return parse(path, data, o)
}

// Parse checks an inventory document already in memory; file names it in
// problems and picks the format as Load does.
func Parse(file string, data []byte, opts ...Option) (*Inventory, error) {
	return parse(file, data, newOptions(opts))
}

func parse(file string, data []byte, o options) (*Inventory, error) {
	fail := func(msg string) error {
		return &LoadError{File: file, Problems: []Problem{{Message: msg}}}
	}
	if int64(len(data)) > o.maxBytes {
		return nil, fail(fmt.Sprintf("file is larger than the limit of %d bytes", o.maxBytes))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	src := ""
	if isJSON(file, data) {
		// One copy turns the input into a string that decoded names can
		// share without copying again.
		src = string(data)
	} else {
		s, err := yamlToJSON(data, o)
		if err != nil {
			return nil, fail(err.Error())
		}
		src = s
	}
	return decode(file, src, o.maxDepth)
}

// isJSON picks the decoder: by extension first, then by content.
func isJSON(file string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		return true
	case ".yaml", ".yml":
		return false
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
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

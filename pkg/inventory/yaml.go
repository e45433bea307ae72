package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlToJSON turns a YAML document into the equivalent JSON text, so one
// strict decoder serves both formats with the same paths and messages.
// Aliases are expanded only once the bytes they expand to are counted and
// found within the size limit a JSON file has (o.maxBytes): a "billion
// laughs" document, or one large scalar aliased thousands of times, fails
// at once instead of exhausting memory.
func yamlToJSON(data []byte, o options) (out string, err error) {
	defer func() {
		// yaml.v3 has panicked on malformed input in the past; a loader
		// must not.
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("invalid YAML: %v", r)
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("invalid YAML: %w", err)
	}
	if doc.Kind == 0 {
		return "", errors.New("empty document, expected an inventory")
	}
	// An inventory is one document: a second one, valid or not, is an
	// estate the operator may believe was read (yaml.Unmarshal reads the
	// first and ignores the rest).
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("line %d: a second YAML document starts here; an inventory file holds exactly one", secondDocLine(data, next.Line))
	}
	sz := &yamlSizer{limit: o.maxBytes, maxDepth: o.maxDepth, memo: map[*yaml.Node]int64{}}
	n, err := sz.size(&doc, 0)
	if err != nil {
		return "", err
	}
	c := &yamlConv{maxDepth: o.maxDepth}
	c.b.Grow(int(n))
	if err := c.node(&doc, 0); err != nil {
		return "", err
	}
	return c.b.String(), nil
}

type yamlConv struct {
	b        strings.Builder
	maxDepth int
}

// yamlSizer counts the bytes of the JSON text yamlConv would write for a
// node, aliases expanded, without expanding anything: an anchored node's
// size is computed once and every alias to it adds that size. It stops as
// soon as the count passes limit, so its work is bounded by the document's
// nodes, not by what they expand to.
type yamlSizer struct {
	limit    int64
	maxDepth int
	// memo holds the size of each anchored node; -1 while it is being
	// counted, so an alias inside its own anchor is found.
	memo map[*yaml.Node]int64
}

var errAliasLoop = errors.New("invalid YAML: an alias refers to a node that contains it")

func (s *yamlSizer) size(n *yaml.Node, depth int) (int64, error) {
	if depth > s.maxDepth {
		return 0, fmt.Errorf("line %d: nesting deeper than %d levels", n.Line, s.maxDepth)
	}
	if n.Anchor != "" {
		if v, ok := s.memo[n]; ok {
			if v < 0 {
				return 0, errAliasLoop
			}
			return v, nil
		}
		s.memo[n] = -1
	}
	var total int64
	add := func(k int64) error {
		total += k
		if total > s.limit {
			return fmt.Errorf("invalid YAML: aliases expand the document to more than %d bytes, the size limit of an inventory", s.limit)
		}
		return nil
	}
	var err error
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return 0, errors.New("expected exactly one YAML document")
		}
		var k int64
		if k, err = s.size(n.Content[0], depth); err == nil {
			err = add(k)
		}
	case yaml.AliasNode:
		if n.Alias == nil {
			return 0, fmt.Errorf("line %d: unresolved alias", n.Line)
		}
		var k int64
		if k, err = s.size(n.Alias, depth+1); err == nil {
			err = add(k)
		}
	case yaml.MappingNode, yaml.SequenceNode:
		err = add(2 + int64(max(len(n.Content)-1, 0))) // brackets, commas and colons
		for _, e := range n.Content {
			if err != nil {
				break
			}
			var k int64
			if k, err = s.size(e, depth+1); err == nil {
				err = add(k)
			}
		}
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null", "!!bool", "!!int", "!!float":
			// At most what strconv writes for a float64 or an int64.
			err = add(int64(max(len(n.Value), 24)))
		default:
			err = add(quotedLen(n.Value))
		}
	}
	if err != nil {
		return 0, err
	}
	if n.Anchor != "" {
		s.memo[n] = total
	}
	return total, nil
}

// quotedLen is len(quoteJSON(s)) without building it.
func quotedLen(s string) int64 {
	n := int64(2)
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			n += 2
		case r < 0x20 || r == 0x7f || r == 0xFFFD:
			n += 6
		default:
			n += int64(utf8.RuneLen(r))
		}
	}
	return n
}

func (c *yamlConv) node(n *yaml.Node, depth int) error {
	if depth > c.maxDepth {
		return fmt.Errorf("line %d: nesting deeper than %d levels", n.Line, c.maxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return errors.New("expected exactly one YAML document")
		}
		return c.node(n.Content[0], depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return fmt.Errorf("line %d: unresolved alias", n.Line)
		}
		return c.node(n.Alias, depth+1)
	case yaml.MappingNode:
		c.b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: mapping keys must be plain strings", k.Line)
			}
			if i > 0 {
				c.b.WriteByte(',')
			}
			c.b.WriteString(quoteJSON(k.Value))
			c.b.WriteByte(':')
			if err := c.node(n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		c.b.WriteByte('}')
	case yaml.SequenceNode:
		c.b.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.b.WriteByte(',')
			}
			if err := c.node(e, depth+1); err != nil {
				return err
			}
		}
		c.b.WriteByte(']')
	case yaml.ScalarNode:
		return c.scalar(n)
	default:
		return fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	return nil
}

func (c *yamlConv) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.b.WriteString("null")
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		c.b.WriteString(strconv.FormatBool(v))
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		c.b.WriteString(strconv.FormatInt(v, 10))
	case "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("line %d: %s is not a finite number", n.Line, n.Value)
		}
		c.b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	default:
		// Strings, and tags with no JSON meaning (timestamps, binary), are
		// kept as the text written; the schema judges them.
		c.b.WriteString(quoteJSON(n.Value))
	}
	return nil
}

// quoteJSON quotes s as a JSON string (strconv.Quote's \x escapes are not
// JSON).
func quoteJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		case r == 0xFFFD:
			b.WriteString("\\ufffd")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// secondDocLine is the line where the second document of data starts: the
// first document marker ("---" or, after "...", the next content) at the
// start of a line once the first document has content. yaml.v3 gives no
// offsets for a document it could not parse, so the markers are found here;
// fallback is the line yaml.v3 gave for a second document it did parse.
func secondDocLine(data []byte, fallback int) int {
	content := false
	ended := 0
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		marker := func(m string) bool {
			return strings.HasPrefix(line, m) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t')
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case marker("---"):
			if content || ended > 0 {
				return n
			}
			if strings.TrimSpace(line[3:]) != "" && !strings.HasPrefix(strings.TrimSpace(line[3:]), "#") {
				content = true // "--- value" starts the first document's content
			}
		case marker("..."):
			if content {
				ended = n
				content = false
			}
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(line, "%") && !content:
			// A directive belongs to the document after it.
			if ended > 0 {
				return n
			}
		default:
			if ended > 0 {
				return n
			}
			content = true
		}
	}
	if fallback > 0 {
		return fallback
	}
	return 1
}

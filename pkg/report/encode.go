package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	jmespath "github.com/jmespath-community/go-jmespath"
	"gopkg.in/yaml.v3"
)

// Encode writes v as exactly one document in format (json, yaml, tsv or
// none), after applying query, a JMESPath expression as `az --query` takes
// it, when query is not empty. It is the one path from a value to its
// machine-readable forms: v is marshalled to JSON once, and YAML and TSV are
// read from that JSON's token stream, so the keys come in the same order
// (the Go struct's field order) in all three.
//
// With a query the result is what JMESPath returns: objects it builds (a
// multi-select hash) have their keys sorted, as JMESPath objects are
// unordered.
func Encode(w io.Writer, format, query string, v any) error {
	if format == FormatNone {
		return nil
	}
	var (
		raw json.RawMessage
		err error
	)
	if query != "" {
		if raw, err = applyQuery(query, v); err != nil {
			return err
		}
	} else if format == FormatJSON {
		// Straight into the indenting writer: the large plans' documents
		// never exist twice in memory (see indentWriter).
		iw := newIndentWriter(w)
		if err := json.NewEncoder(iw).Encode(v); err != nil {
			return err
		}
		return iw.Flush()
	} else if raw, err = json.Marshal(v); err != nil {
		return err
	}
	switch format {
	case FormatJSON:
		iw := newIndentWriter(w)
		if _, err := iw.Write(append(raw, '\n')); err != nil {
			return err
		}
		return iw.Flush()
	case FormatYAML:
		node, err := jsonToNode(raw)
		if err != nil {
			return err
		}
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(node); err != nil {
			return err
		}
		return enc.Close()
	case FormatTSV:
		node, err := jsonToNode(raw)
		if err != nil {
			return err
		}
		return writeTSV(w, node)
	}
	return &FormatError{Format: format, Valid: []string{FormatJSON, FormatYAML, FormatTSV, FormatNone}}
}

// ErrQuery is matched (errors.Is) by every error of a --query expression;
// the CLI maps it to exit code 2.
var ErrQuery = errors.New("invalid --query")

type queryError struct {
	query string
	err   error
}

func (e *queryError) Error() string        { return fmt.Sprintf("--query %q: %v", e.query, e.err) }
func (e *queryError) Unwrap() error        { return e.err }
func (e *queryError) Is(target error) bool { return target == ErrQuery }

// CheckQuery compiles query, so a command refuses a bad one before doing
// any work.
func CheckQuery(query string) error {
	if query == "" {
		return nil
	}
	if _, err := jmespath.Compile(query); err != nil {
		return &queryError{query: query, err: err}
	}
	return nil
}

func applyQuery(query string, v any) (json.RawMessage, error) {
	expr, err := jmespath.Compile(query)
	if err != nil {
		return nil, &queryError{query: query, err: err}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var data any
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, err
	}
	res, err := expr.Search(data)
	if err != nil {
		return nil, &queryError{query: query, err: err}
	}
	return json.Marshal(res)
}

// jsonToNode builds a YAML tree from JSON, keeping the order of object keys
// (decoding into a map would sort them) and JSON's scalar types.
func jsonToNode(raw []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := readNode(dec)
	if err != nil {
		return nil, fmt.Errorf("re-read JSON for YAML: %w", err)
	}
	return n, nil
}

func readNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				val, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				val, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, val)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// writeTSV writes a document as `az -o tsv` does (knack's TSV output, see
// MicrosoftDocs/azure-docs-cli docs-ref-conceptual/format-output-az-cli2.md:
// "nested objects aren't included"): a list is one row per element, anything
// else one row; an object's row is its values in key order separated by
// tabs, a nested object as an empty field and a nested list as its length,
// so every row of a list has the same columns.
func writeTSV(w io.Writer, n *yaml.Node) error {
	rows := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		rows = n.Content
	}
	var b strings.Builder
	for _, r := range rows {
		var cells []*yaml.Node
		switch r.Kind {
		case yaml.MappingNode:
			for i := 1; i < len(r.Content); i += 2 {
				cells = append(cells, r.Content[i])
			}
		case yaml.SequenceNode:
			cells = r.Content
		default:
			cells = []*yaml.Node{r}
		}
		for i, c := range cells {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(tsvCell(c))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func tsvCell(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return strconv.Itoa(len(n.Content))
	case yaml.MappingNode:
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	// Tabs and newlines inside a value would break the row.
	return strings.Join(strings.Fields(n.Value), " ")
}

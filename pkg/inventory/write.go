package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"
)

// Formats accepted by Write.
const (
	FormatJSON = "json"
	FormatYAML = "yaml"
)

// Write renders inv as an inventory document in format "json" or "yaml"
// ("yml" too). The output is deterministic (the same inventory gives the same
// bytes) and loads back with Load. JSON is indented and streamed one
// top-level element at a time, so writing a large estate needs memory for
// one element, not for the whole document.
func Write(w io.Writer, inv *Inventory, format string) error {
	switch format {
	case FormatJSON:
		return writeJSON(w, inv)
	case FormatYAML, "yml":
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(inv); err != nil {
			return fmt.Errorf("write inventory as YAML: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("write inventory as YAML: %w", err)
		}
		return nil
	}
	return fmt.Errorf("write inventory as %q: %w (want json or yaml)", format, ErrFormat)
}

// jsonWriter streams an indented JSON object field by field, remembering the
// first error so the caller checks once.
type jsonWriter struct {
	w     *bufio.Writer
	buf   bytes.Buffer
	err   error
	first bool
}

// encode appends v rendered with the given indentation prefix, without the
// encoder's trailing newline.
func (j *jsonWriter) encode(prefix string, v any) {
	if j.err != nil {
		return
	}
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")))
}

func (j *jsonWriter) str(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) key(name string) {
	if !j.first {
		j.str(",\n")
	}
	j.first = false
	j.str("  \"" + name + "\": ")
}

// list writes a top-level array one element at a time.
func (j *jsonWriter) list(name string, s any) {
	j.key(name)
	v := reflect.ValueOf(s)
	if v.Len() == 0 {
		j.str("[]")
		return
	}
	j.str("[\n")
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			j.str(",\n")
		}
		j.str("    ")
		j.encode("    ", v.Index(i).Interface())
	}
	j.str("\n  ]")
}

func writeJSON(w io.Writer, inv *Inventory) error {
	j := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10), first: true}
	j.str("{\n")
	j.key("schemaVersion")
	j.encode("  ", inv.SchemaVersion)
	j.key("subscriptionId")
	j.encode("  ", inv.SubscriptionID)
	if inv.DefaultLocation != "" {
		j.key("defaultLocation")
		j.encode("  ", inv.DefaultLocation)
	}
	j.key("target")
	j.encode("  ", inv.Target)
	j.list("storageAccounts", inv.StorageAccounts)
	j.list("virtualNetworks", inv.VirtualNetworks)
	j.list("cloudServices", inv.CloudServices)
	j.list("networkSecurityGroups", inv.NetworkSecurityGroups)
	j.list("routeTables", inv.RouteTables)
	j.list("reservedIPs", inv.ReservedIPs)
	j.list("expressRouteCircuits", inv.ExpressRouteCircuits)
	j.str("\n}\n")
	if j.err == nil {
		j.err = j.w.Flush()
	}
	if j.err != nil {
		return fmt.Errorf("write inventory as JSON: %w", j.err)
	}
	return nil
}

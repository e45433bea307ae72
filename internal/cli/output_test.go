package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// outputCommands are the commands that print a document with -o json|yaml,
// in an order that works on one state directory (prepare before abort, run
// before status).
var outputCommands = [][]string{
	{"plan"},
	{"validate", "--offline"},
	{"validate"},
	{"validate", "--list-rules"},
	{"run", "--rehearse"},
	{"prepare", "reservedip/small-spare-ip", "vnet/small-vnet"},
	{"abort", "vnet/small-vnet"},
	{"commit", "reservedip/small-spare-ip", "--yes"},
	{"run", "--convert-disks", "--yes"},
	{"status"},
	{"disks", "convert", "--yes"},
	{"sim", "history"},
	{"inventory", "discover"},
}

// runMain runs the command line in-process and returns its exit code and
// stdout.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	streams, out, errOut := TestStreams(map[string]string{"MIGRATE_SIM_TIME_SCALE": "0.001"})
	code := Main(context.Background(), args, streams)
	return code, out.String(), errOut.String()
}

// Every command with -o json writes exactly one JSON document on stdout, and
// with -o yaml exactly one YAML document; -o none writes nothing.
func TestOneDocumentPerCommand(t *testing.T) {
	inv, err := filepath.Abs("../../testdata/estates/small.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "yaml", "none", "tsv"} {
		t.Run(format, func(t *testing.T) {
			state := t.TempDir()
			for _, cmd := range outputCommands {
				args := append([]string{"--inventory", inv, "--state-dir", state, "-o", format}, cmd...)
				code, out, errOut := runMain(t, args...)
				name := strings.Join(cmd, " ")
				if name == "inventory discover" && (format == "none" || format == "tsv") {
					continue // writes an inventory file, JSON or YAML only
				}
				if code != ExitOK && code != ExitBlocked {
					t.Fatalf("%s -o %s: exit %d\n%s", name, format, code, errOut)
				}
				switch format {
				case "json":
					oneJSON(t, name, out)
				case "yaml":
					oneYAML(t, name, out)
				case "none":
					if out != "" {
						t.Errorf("%s -o none wrote %q", name, out)
					}
				case "tsv":
					if strings.HasPrefix(strings.TrimSpace(out), "{") || strings.Contains(out, "  ") {
						t.Errorf("%s -o tsv does not look like TSV:\n%s", name, out)
					}
				}
			}
		})
	}
	code, out, _ := runMain(t, "version", "-o", "json")
	if code != ExitOK {
		t.Fatalf("version -o json: exit %d", code)
	}
	oneJSON(t, "version", out)
}

func oneJSON(t *testing.T, name, out string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s -o json: %v\n%s", name, err, out)
		return
	}
	if err := dec.Decode(&v); !errors.Is(err, io.EOF) {
		t.Errorf("%s -o json: more than one document (%v)\n%s", name, err, out)
	}
}

func oneYAML(t *testing.T, name, out string) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader([]byte(out)))
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s -o yaml: %v\n%s", name, err, out)
		return
	}
	if strings.HasPrefix(strings.TrimSpace(out), "{") {
		t.Errorf("%s -o yaml wrote JSON:\n%s", name, out)
	}
	if err := dec.Decode(&v); !errors.Is(err, io.EOF) {
		t.Errorf("%s -o yaml: more than one document (%v)\n%s", name, err, out)
	}
}

// A bad --query is bad usage, refused before any work.
func TestBadQueryIsUsageError(t *testing.T) {
	code, out, errOut := runMain(t, "plan", "--inventory", "../../testdata/estates/small.json", "-o", "json", "--query", "units[")
	if code != ExitBadInput || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and nothing on stdout", code, out, errOut)
	}
}

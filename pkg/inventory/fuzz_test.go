package inventory_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// FuzzParse feeds arbitrary bytes to the loader: it must never panic, and
// whatever it accepts must survive Write and load again. The seeds are the
// sample estates (tens of KB), so minimizing a new input takes long and the
// exec counter looks stalled meanwhile; run with -fuzzminimizetime 0 to keep
// it moving:
//
//	go test -run XXX -fuzz FuzzParse -fuzzminimizetime 0 ./pkg/inventory
func FuzzParse(f *testing.F) {
	for _, name := range []string{"contoso", "trouble", "small"} {
		data, err := os.ReadFile("../../testdata/estates/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add("x.json", data)
	}
	f.Add("x.json", []byte(base))
	f.Add("x.yaml", []byte("schemaVersion: 1\nsubscriptionId: 6c1b0b6f-0000-4000-8000-000000000001\n"))
	f.Add("x.json", []byte(`{"a":"\ud800\udc00\u00e9\n"}`))
	f.Add("x", []byte(`[1e5, -0.5, true, null]`))
	// Lone surrogates and second YAML documents are refused (issue 15).
	f.Add("x.json", []byte(`{"a":"\ud800"}`))
	f.Add("x.json", []byte(`{"\udc00":"a\ud800\u0041"}`))
	f.Add("x.yaml", []byte("schemaVersion: 1\n---\nschemaVersion: 2\n"))
	f.Add("x.yaml", []byte("a: 1\n...\n%YAML 1.2\n--- [\n"))
	// Aliases are counted in bytes before they are expanded (issue 13).
	f.Add("x.yaml", []byte("a: &x [1, &y \"s\"]\nb: [*x, *x, *y, &z {k: *x}, *z]\n"))
	f.Fuzz(func(t *testing.T, file string, data []byte) {
		inv, err := inventory.Parse(file, data)
		if err != nil {
			if !inventory.IsLoadError(err) {
				t.Fatalf("Parse returned %T, want *LoadError: %v", err, err)
			}
			return
		}
		var out bytes.Buffer
		if err := inventory.Write(&out, inv, "json"); err != nil {
			t.Fatal(err)
		}
		if _, err := inventory.Parse("again.json", out.Bytes()); err != nil {
			t.Fatalf("written inventory does not load: %v\n%s", err, out.Bytes())
		}
	})
}

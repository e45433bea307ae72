package inventory_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The YAML bomb of issue 13 (item 7): one 256 KiB scalar aliased 4,000
// times, 270 KB of YAML expanding to about 1 GiB of JSON. It is refused
// before anything is expanded: the bytes the loader allocates stay a small
// multiple of the input, nowhere near the expansion (a bound on memory,
// not a timer).
func TestYAMLAliasBombBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("schemaVersion: 1\nbig: &x " + strings.Repeat("a", 256<<10) + "\nlist:\n")
	for range 4000 {
		b.WriteString("  - *x\n")
	}
	doc := []byte(b.String())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := inventory.Parse("bomb.yaml", doc)
	runtime.ReadMemStats(&after)

	if !inventory.IsLoadError(err) || !strings.Contains(err.Error(), "bomb.yaml: invalid YAML: aliases expand the document to more than 268435456 bytes") {
		t.Fatalf("Parse = %v, want the size limit refusal", err)
	}
	const bound = 64 << 20 // the expansion would be 1 GiB
	if got := after.TotalAlloc - before.TotalAlloc; got > bound {
		t.Errorf("allocated %d bytes for a %d-byte document, want at most %d: the aliases were expanded", got, len(doc), bound)
	}
	t.Logf("document %d bytes, allocated %d bytes", len(doc), after.TotalAlloc-before.TotalAlloc)

	// Under the limit, the same shape still loads as far as the schema
	// (the unknown field "big" is what is wrong, not the aliases).
	small := "schemaVersion: 1\nbig: &x " + strings.Repeat("a", 1<<10) + "\nlist:\n" + strings.Repeat("  - *x\n", 100)
	_, err = inventory.Parse("small.yaml", []byte(small))
	if err == nil || strings.Contains(err.Error(), "aliases") {
		t.Errorf("small aliased document: %v, want only schema errors", err)
	}
	// A smaller limit applies to the expansion as to a file.
	_, err = inventory.Parse("small.yaml", []byte(small), inventory.WithMaxBytes(64<<10))
	if err == nil || !strings.Contains(err.Error(), "more than 65536 bytes") {
		t.Errorf("expansion over WithMaxBytes: %v", err)
	}
}

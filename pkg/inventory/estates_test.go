package inventory_test

import (
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The sample estates are inputs of everyone's tests: they must stay loadable.
func TestSampleEstatesLoad(t *testing.T) {
	files := []string{"../../testdata/estates/contoso.json", "../../testdata/estates/small.json", "../../testdata/estates/trouble.json"}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := inventory.Load(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

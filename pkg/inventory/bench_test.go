package inventory_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
)

// BenchmarkLoad measures Parse on synthetic estates; compare with `jq .` on
// the output of `go run ./testdata/gen -vms N` (the goal: no slower).
func BenchmarkLoad(b *testing.B) {
	for _, vms := range []int{1000, 10000} {
		var doc bytes.Buffer
		if err := inventory.Write(&doc, inventorytest.Synthetic(vms, 1), "json"); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vms=%d", vms), func(b *testing.B) {
			b.SetBytes(int64(doc.Len()))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := inventory.Parse("bench.json", doc.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	inv := inventorytest.Synthetic(10000, 1)
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		if err := inventory.Write(&out, inv, "json"); err != nil {
			b.Fatal(err)
		}
	}
}

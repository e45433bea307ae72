package validate

import (
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
	"github.com/migrate-tool/migrate/pkg/plan"
)

func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		inv := inventorytest.Synthetic(n, 1)
		// Quotas so arm-quota does its accounting (half the cores fit).
		inv.Target.Quotas = map[string]inventory.Quota{}
		for _, r := range []string{"West US", "East US", "North Europe"} {
			inv.Target.Quotas[r] = inventory.Quota{Cores: intp(n / 2), NetworkInterfaces: intp(2 * n), PublicIPAddresses: intp(n)}
		}
		p, err := plan.Build(inv)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Check(inv, p)
			}
		})
	}
}

// TestSyntheticEstate keeps the benchmark honest about its estate, and checks
// inventorytest.Synthetic's promise: no error or warning fires on it.
func TestSyntheticEstate(t *testing.T) {
	for _, f := range mustCheck(t, inventorytest.Synthetic(1000, 1)) {
		if f.Severity != SeverityInfo {
			t.Errorf("%s %s on %s: %s", f.Severity, f.Rule, f.Resource, f.Message)
		}
	}
}

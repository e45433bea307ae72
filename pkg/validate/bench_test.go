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
// inventorytest.Synthetic's promise: no error fires on it, and no warning
// but vip-dns-lost, on exactly the cloud services the generator leaves
// outside a VNet without a reserved IP (their VIP really is released at
// Prepare). Quotas are given as in the benchmark.
func TestSyntheticEstate(t *testing.T) {
	inv := inventorytest.Synthetic(1000, 1)
	inv.Target.Quotas = map[string]inventory.Quota{}
	for _, r := range []string{"West US", "East US", "North Europe"} {
		inv.Target.Quotas[r] = inventory.Quota{Cores: intp(10000), NetworkInterfaces: intp(10000), PublicIPAddresses: intp(10000),
			LoadBalancers: intp(10000), NetworkSecurityGroups: intp(10000), RouteTables: intp(10000)}
	}
	unreserved := map[string]bool{}
	for _, cs := range inv.CloudServices {
		if cs.Deployment.VirtualNetwork == "" && cs.ReservedIP == "" {
			unreserved[inventory.CloudServiceID(cs.Name)] = true
		}
	}
	released := 0
	for _, f := range mustCheck(t, inv) {
		switch {
		case f.Severity == SeverityInfo:
		case f.Rule == RuleVIPDNSLost && f.Severity == SeverityWarning && unreserved[f.Resource]:
			released++
		default:
			t.Errorf("%s %s on %s: %s", f.Severity, f.Rule, f.Resource, f.Message)
		}
	}
	if released != len(unreserved) {
		t.Errorf("vip-dns-lost warned on %d cloud services, want the %d outside a VNet without a reserved IP", released, len(unreserved))
	}
}

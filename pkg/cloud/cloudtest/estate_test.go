package cloudtest_test

import (
	"bytes"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The suite's estate must be a valid v1 inventory: drivers that serve it
// (sim serve) or discover it round-trip it through the loader.
func TestInventoryLoads(t *testing.T) {
	var buf bytes.Buffer
	if err := inventory.Write(&buf, cloudtest.Inventory(), "json"); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Parse("suite.json", buf.Bytes())
	if err != nil {
		t.Fatalf("the suite's inventory does not load: %v\n%s", err, buf.Bytes())
	}
	if len(inv.CloudServices) != 3 || len(inv.StorageAccounts[0].Disks) != 5 {
		t.Fatalf("round trip lost resources: %+v", inv)
	}
}

func TestTarget(t *testing.T) {
	tests := []struct {
		unit, kind, name, deployment string
	}{
		{cloudtest.UnitVNet, "vnet", cloudtest.VNet, ""},
		{cloudtest.UnitLegacy, "cloudservice", cloudtest.ServiceLegacy, cloudtest.ServiceLegacy + "-prod"},
		{"vnet/Group rg legacy-vnet", "vnet", "Group rg legacy-vnet", ""},
	}
	for _, tc := range tests {
		got := cloudtest.Target(tc.unit)
		if got.Unit != tc.unit || got.Kind != tc.kind || got.Name != tc.name || got.Deployment != tc.deployment {
			t.Errorf("Target(%q) = %+v", tc.unit, got)
		}
	}
}

package inventorytest_test

import (
	"bytes"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
)

func TestSyntheticLoadsAndIsDeterministic(t *testing.T) {
	for _, vms := range []int{0, 1, 7, 1234} {
		var a, b bytes.Buffer
		if err := inventory.Write(&a, inventorytest.Synthetic(vms, 3), "json"); err != nil {
			t.Fatal(err)
		}
		if err := inventory.Write(&b, inventorytest.Synthetic(vms, 3), "json"); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("vms=%d: not deterministic", vms)
		}
		inv, err := inventory.Parse("synthetic.json", a.Bytes())
		if err != nil {
			t.Fatalf("vms=%d: %v", vms, err)
		}
		n := 0
		for _, cs := range inv.CloudServices {
			for _, r := range cs.Deployment.Roles {
				if r.Kind == inventory.RoleVirtualMachine {
					n++
				}
			}
		}
		if n != vms {
			t.Errorf("got %d VMs, want %d", n, vms)
		}
		for _, sa := range inv.StorageAccounts {
			if len(sa.Disks) > 40 {
				t.Errorf("%s holds %d disks, want <= 40", sa.Name, len(sa.Disks))
			}
		}
	}
}

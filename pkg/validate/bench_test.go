package validate

import (
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// syntheticEstate builds an estate of n VMs: cloud services of 10 VMs, four
// in five in VNets of 50 VMs, the fifth not in a VNet; every VM with an OS
// and a data disk (one storage account per 100 VMs), some with an XML
// extension, and quotas for the region so arm-quota does its accounting.
// A local generator: inventorytest.Synthetic did not exist when this was
// written.
func syntheticEstate(n int) *inventory.Inventory {
	inv := &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion, SubscriptionID: testSub, DefaultLocation: testRegion,
		Target: inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: inventory.DefaultResourceGroupSuffix,
			Quotas: map[string]inventory.Quota{testRegion: {Cores: intp(n / 2), NetworkInterfaces: intp(2 * n), PublicIPAddresses: intp(n)}}},
	}
	for vm := 0; vm < n; vm++ {
		if vm%100 == 0 {
			inv.StorageAccounts = append(inv.StorageAccounts, inventory.StorageAccount{
				Name: fmt.Sprintf("store%05d", vm/100), Location: testRegion, AccountType: "Standard_LRS"})
		}
		sa := &inv.StorageAccounts[len(inv.StorageAccounts)-1]
		if vm%50 == 0 {
			inv.VirtualNetworks = append(inv.VirtualNetworks, inventory.VirtualNetwork{
				Name: fmt.Sprintf("vnet%05d", vm/50), Location: testRegion, AddressSpace: []string{"10.0.0.0/16"},
				Subnets: []inventory.Subnet{{Name: "web", AddressPrefix: "10.0.0.0/16"}}})
		}
		if vm%10 == 0 {
			vnet := inv.VirtualNetworks[len(inv.VirtualNetworks)-1].Name
			if (vm/10)%5 == 4 {
				vnet = ""
			}
			addCloudService(inv, fmt.Sprintf("cs%05d", vm/10), vnet)
		}
		cs := &inv.CloudServices[len(inv.CloudServices)-1]
		name := fmt.Sprintf("vm%06d", vm)
		sa.Disks = append(sa.Disks, testDisk(sa.Name, name+"-os", 30), testDisk(sa.Name, name+"-data", 128))
		r := testVM(name, fmt.Sprintf("10.0.%d.%d", (vm%50)/200, 4+vm%50), name+"-os", name+"-data")
		if cs.Deployment.VirtualNetwork == "" {
			r.Subnets, r.PrivateIP = nil, ""
		}
		if vm%7 == 0 {
			r.Extensions = []inventory.Extension{{Publisher: "Microsoft.Compute", Name: "BGInfo", Version: "1.*", Format: "xml"}}
		}
		cs.Deployment.Roles = append(cs.Deployment.Roles, r)
	}
	return inv
}

func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		inv := syntheticEstate(n)
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

// TestSyntheticEstate keeps the benchmark's estate honest: it plans, and
// only the rules it is built to trigger fire.
func TestSyntheticEstate(t *testing.T) {
	want := map[string]bool{RuleXMLExtension: true, RuleVMRestart: true, RuleARMQuota: true}
	for _, f := range mustCheck(t, syntheticEstate(1000)) {
		if !want[f.Rule] {
			t.Fatalf("unexpected finding on the synthetic estate: %+v", f)
		}
	}
}

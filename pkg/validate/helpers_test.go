package validate

import (
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
)

const (
	testSub    = "6c1b0b6f-0000-4000-8000-000000000001"
	testRegion = "West US"
)

// baseInventory is a small estate on which no rule fires, with the defaults
// inventory.Load would fill already filled: one VNet with one cloud service
// holding one VM (OS and data disk in one Standard account).
func baseInventory() *inventory.Inventory {
	return &inventory.Inventory{
		SchemaVersion:   inventory.SchemaVersion,
		SubscriptionID:  testSub,
		DefaultLocation: testRegion,
		// Quotas with room for everything, so quotas-unchecked stays silent.
		Target: inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: inventory.DefaultResourceGroupSuffix,
			Quotas: map[string]inventory.Quota{testRegion: {Cores: intp(1000), NetworkInterfaces: intp(1000), PublicIPAddresses: intp(1000),
				LoadBalancers: intp(1000), NetworkSecurityGroups: intp(1000), RouteTables: intp(1000)}}},
		StorageAccounts: []inventory.StorageAccount{{
			Name: "store1", Location: testRegion, AccountType: "Standard_LRS",
			Disks: []inventory.Disk{
				testDisk("store1", "vm1-os", 30),
				testDisk("store1", "vm1-data", 128),
			},
		}},
		VirtualNetworks: []inventory.VirtualNetwork{{
			Name: "vnet1", Location: testRegion, AddressSpace: []string{"10.0.0.0/16"},
			Subnets: []inventory.Subnet{{Name: "web", AddressPrefix: "10.0.1.0/24"}},
		}},
		CloudServices: []inventory.CloudService{{
			Name: "cs1", Location: testRegion,
			Deployment: inventory.Deployment{
				Name: "cs1-prod", Slot: "Production", VirtualNetwork: "vnet1",
				Roles: []inventory.Role{withEndpoint(testVM("vm1", "10.0.1.4", "vm1-os", "vm1-data"))},
			},
		}},
	}
}

// testDisk is a well-formed registered disk: its blob is the logical size
// plus the VHD footer.
func testDisk(account, name string, sizeGiB int64) inventory.Disk {
	return inventory.Disk{
		Name:          name,
		VHDURI:        fmt.Sprintf("https://%s.blob.core.windows.net/vhds/%s.vhd", account, name),
		SizeGiB:       sizeGiB,
		BlobSizeBytes: sizeGiB<<30 + 512,
	}
}

// testVM is a running VM in subnet "web" with the given disks.
func testVM(name, ip, osDisk string, dataDisks ...string) inventory.Role {
	r := inventory.Role{
		Name: name, Kind: inventory.RoleVirtualMachine, Size: "Standard_D1", State: "Running",
		PrivateIP: ip, Subnets: []string{"web"}, OSDisk: osDisk,
	}
	for i, d := range dataDisks {
		r.DataDisks = append(r.DataDisks, inventory.DataDisk{Disk: d, LUN: i})
	}
	return r
}

// withEndpoint gives a VM an input endpoint, so its cloud service's VIP
// migrates (vip-dns-lost stays silent).
func withEndpoint(r inventory.Role) inventory.Role {
	r.Endpoints = []inventory.Endpoint{{Name: "https", Protocol: "tcp", PublicPort: 443, LocalPort: 443, ACL: []inventory.ACL{}}}
	return r
}

// addCloudService adds a cloud service with the given roles.
func addCloudService(inv *inventory.Inventory, name, vnet string, roles ...inventory.Role) *inventory.CloudService {
	inv.CloudServices = append(inv.CloudServices, inventory.CloudService{
		Name: name, Location: testRegion,
		Deployment: inventory.Deployment{Name: name + "-prod", Slot: "Production", VirtualNetwork: vnet, Roles: roles},
	})
	return &inv.CloudServices[len(inv.CloudServices)-1]
}

// addVMWithDisk adds a VM and its OS disk (in store1) to a cloud service.
func addVMWithDisk(inv *inventory.Inventory, cs *inventory.CloudService, name, ip string) *inventory.Role {
	inv.StorageAccounts[0].Disks = append(inv.StorageAccounts[0].Disks, testDisk("store1", name+"-os", 30))
	cs.Deployment.Roles = append(cs.Deployment.Roles, testVM(name, ip, name+"-os"))
	return &cs.Deployment.Roles[len(cs.Deployment.Roles)-1]
}

func vm1(inv *inventory.Inventory) *inventory.Role { return &inv.CloudServices[0].Deployment.Roles[0] }

func intp(n int) *int { return &n }

// mustCheck plans inv and runs Check.
func mustCheck(t testing.TB, inv *inventory.Inventory) []Finding {
	t.Helper()
	p, err := plan.Build(inv)
	if err != nil {
		t.Fatalf("plan.Build: %v", err)
	}
	return Check(inv, p)
}

func ofRule(fs []Finding, rule string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

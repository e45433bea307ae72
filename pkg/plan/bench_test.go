package plan

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
)

// synthetic generates an estate with about vms virtual machines, for
// benchmarks only: five VMs per cloud service, two of three services in one
// of the VNets (ten services each), the rest not in a VNet with a third of
// them landing in a migrated VNet; one storage account per 50 VMs; NSGs on
// subnets and VMs, some shared between VNets; a few unattached resources.
func synthetic(vms int, seed uint64) *inventory.Inventory {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	inv := &inventory.Inventory{SchemaVersion: 1, SubscriptionID: "bench",
		Target: inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: "-Migrated"}}
	services := (vms + 4) / 5
	vnets := services/15 + 1
	accounts := vms/50 + 1
	for i := range accounts {
		inv.StorageAccounts = append(inv.StorageAccounts, inventory.StorageAccount{Name: fmt.Sprintf("store%06d", i)})
	}
	nsgs := vnets + services/4 + 3
	for i := range nsgs {
		inv.NetworkSecurityGroups = append(inv.NetworkSecurityGroups, inventory.NetworkSecurityGroup{Name: fmt.Sprintf("nsg %06d", i)})
	}
	for i := range vnets {
		inv.VirtualNetworks = append(inv.VirtualNetworks, inventory.VirtualNetwork{
			Name: fmt.Sprintf("Group rg vnet%06d", i),
			Subnets: []inventory.Subnet{
				{Name: "a", NetworkSecurityGroup: fmt.Sprintf("nsg %06d", i)},
				{Name: "b", NetworkSecurityGroup: fmt.Sprintf("nsg %06d", rng.IntN(nsgs))},
			},
		})
	}
	vm := 0
	for s := range services {
		cs := inventory.CloudService{Name: fmt.Sprintf("svc%06d", s)}
		switch s % 3 {
		case 0, 1:
			cs.Deployment.VirtualNetwork = inv.VirtualNetworks[rng.IntN(vnets)].Name
		default:
			if rng.IntN(3) == 0 {
				v := inv.VirtualNetworks[rng.IntN(vnets)].Name
				cs.Deployment.Destination = &inventory.Destination{ResourceGroup: MigratedResourceGroup(v), VirtualNetwork: v, Subnet: "a"}
			}
		}
		for r := 0; r < 5 && vm < vms; r++ {
			acct := &inv.StorageAccounts[rng.IntN(accounts)]
			disk := fmt.Sprintf("vm%07d-os", vm)
			acct.Disks = append(acct.Disks, inventory.Disk{Name: disk, SizeGiB: 30 + int64(rng.IntN(1000))})
			role := inventory.Role{Name: fmt.Sprintf("vm%d", r), Kind: inventory.RoleVirtualMachine, OSDisk: disk}
			if cs.Deployment.VirtualNetwork != "" && rng.IntN(4) == 0 {
				role.NetworkSecurityGroup = fmt.Sprintf("nsg %06d", vnets+rng.IntN(nsgs-vnets))
			}
			cs.Deployment.Roles = append(cs.Deployment.Roles, role)
			vm++
		}
		inv.CloudServices = append(inv.CloudServices, cs)
	}
	return inv
}

func TestSyntheticBuilds(t *testing.T) {
	p := mustBuild(t, synthetic(2000, 1))
	vms := 0
	for _, u := range p.Units {
		vms += u.VMs
	}
	if vms != 2000 {
		t.Errorf("plan moves %d VMs, want 2000", vms)
	}
}

// BenchmarkBuild measures Build on the shared synthetic estate
// (inventorytest.Synthetic); BenchmarkBuildLocal on this package's own
// generator, which shares NSGs between VNets and targets migrated VNets.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		inv := inventorytest.Synthetic(n, 1)
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Build(inv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBuildLocal(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		inv := synthetic(n, 1)
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Build(inv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkForecast(b *testing.B) {
	p, err := Build(synthetic(100000, 1))
	if err != nil {
		b.Fatal(err)
	}
	d := Durations{Validate: 1, Prepare: 2, Commit: 3}
	for b.Loop() {
		Forecast(p, d, 8)
	}
}

func TestSharedSyntheticBuilds(t *testing.T) {
	inv := inventorytest.Synthetic(1000, 1)
	p := mustBuild(t, inv)
	vms := 0
	for _, u := range p.Units {
		vms += u.VMs
	}
	want := 0
	for _, cs := range inv.CloudServices {
		for _, r := range cs.Deployment.Roles {
			if r.Kind == inventory.RoleVirtualMachine {
				want++
			}
		}
	}
	if vms != want {
		t.Errorf("plan moves %d VMs, inventory has %d", vms, want)
	}
}

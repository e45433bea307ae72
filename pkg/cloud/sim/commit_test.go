package sim_test

import (
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// What Commit leaves, as the deep dive's translation table says
// (migration-classic-resource-manager-deep-dive.md): NSGs associated with a
// subnet or a VM, and route tables associated with a subnet, are cloned (the
// Resource Manager copies appear, the classic ones stay); a cloud service's
// name becomes the DNS name of the public IP its VIP migrates to, and a VIP
// migrates only with an input endpoint; a reserved IP becomes a static
// public IP.
func TestCommitEffects(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	inv.NetworkSecurityGroups = append(inv.NetworkSecurityGroups,
		inventory.NetworkSecurityGroup{Name: "web-nsg", Location: "West US"},
		inventory.NetworkSecurityGroup{Name: "app-vm-nsg", Location: "West US"})
	inv.RouteTables = append(inv.RouteTables, inventory.RouteTable{Name: "web-rt", Location: "West US"})
	inv.VirtualNetworks[0].Subnets[0].NetworkSecurityGroup = "web-nsg"
	inv.VirtualNetworks[0].Subnets[0].RouteTable = "web-rt"
	inv.CloudServices[1].Deployment.Roles[0].NetworkSecurityGroup = "app-vm-nsg"
	// suite-app has an input endpoint, so its VIP migrates; suite-web has
	// none. suite-legacy has one and a reserved IP.
	inv.CloudServices[1].Deployment.Roles[0].Endpoints = []inventory.Endpoint{{Name: "https", Protocol: "tcp", PublicPort: 443, LocalPort: 443}}
	inv.CloudServices[2].ReservedIP = cloudtest.ReservedIP

	s := open(t, t.TempDir(), inv, sim.Options{})
	ctx := t.Context()
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy} {
		must(t, s.Prepare(ctx, cloudtest.Target(u)))
		must(t, s.Commit(ctx, cloudtest.Target(u)))
	}

	classic, err := s.Discover(ctx)
	must(t, err)
	nsgs := map[string]bool{}
	for _, n := range classic.NetworkSecurityGroups {
		nsgs[n.Name] = true
	}
	for _, n := range []string{"web-nsg", "app-vm-nsg"} {
		if !nsgs[n] {
			t.Errorf("classic NSG %s removed by Commit; the platform clones it: %v", n, nsgs)
		}
	}
	if len(classic.RouteTables) != 1 || classic.RouteTables[0].Name != "web-rt" {
		t.Errorf("classic route tables after Commit = %+v, want web-rt kept", classic.RouteTables)
	}
	if len(classic.VirtualNetworks) != 0 || len(classic.ReservedIPs) != 0 {
		t.Errorf("classic VNet or reserved IP left after Commit: %+v %+v", classic.VirtualNetworks, classic.ReservedIPs)
	}

	res, err := s.Resources(ctx)
	must(t, err)
	type key struct{ typ, rg, name string }
	got := map[key]sim.ARMResource{}
	for _, r := range res {
		got[key{r.Type, r.ResourceGroup, r.Name}] = r
	}
	for _, k := range []key{
		{"Microsoft.Network/networkSecurityGroups", "suite-vnet-Migrated", "web-nsg"},
		{"Microsoft.Network/routeTables", "suite-vnet-Migrated", "web-rt"},
		{"Microsoft.Network/networkSecurityGroups", "suite-app-Migrated", "app-vm-nsg"},
	} {
		if r, ok := got[k]; !ok || !r.Committed {
			t.Errorf("Resource Manager copy %v: present %v, committed %v", k, ok, r.Committed)
		}
	}
	ips := map[key]sim.ARMResource{}
	for k, r := range got {
		if k.typ == "Microsoft.Network/publicIPAddresses" {
			ips[k] = r
		}
	}
	want := map[key][2]string{ // allocation, DNS label
		{"Microsoft.Network/publicIPAddresses", "suite-app-Migrated", "suite-app-PublicIP"}:    {sim.AllocationDynamic, "suite-app"},
		{"Microsoft.Network/publicIPAddresses", "suite-legacy-Migrated", cloudtest.ReservedIP}: {sim.AllocationStatic, "suite-legacy"},
	}
	for k, w := range want {
		r, ok := ips[k]
		if !ok || r.Allocation != w[0] || r.DNSLabel != w[1] {
			t.Errorf("public IP %v = %+v (present %v), want allocation %s, DNS label %s", k, r, ok, w[0], w[1])
		}
	}
	if len(ips) != len(want) {
		t.Errorf("public IPs = %+v, want only %v (suite-web has no input endpoint: its VIP does not migrate)", ips, want)
	}
}

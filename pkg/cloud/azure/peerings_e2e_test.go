package azure_test

import (
	"reflect"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestDiscoverPeerings discovers classic VNets' peerings from the
// Resource Manager VNets that define them: a peer given by id, one given
// by a name (served in emulator.PeerResourceGroup), a peer two classic
// VNets share (whose peerings the emulator names apart), and one in
// another subscription, which this subscription's list does not show.
// The emulator pages the list one VNet at a time, so the peerings of the
// second VNet are only found by following nextLink.
func TestDiscoverPeerings(t *testing.T) {
	inv := cloudtest.Inventory()
	sub := inv.SubscriptionID
	hub := armapi.ResourceID(sub, "hub-rg", armapi.TypeVirtualNetworks, "hub")
	far := armapi.ResourceID("00000000-0000-0000-0000-0000000000ff", "far-rg", armapi.TypeVirtualNetworks, "far")
	inv.VirtualNetworks = append(inv.VirtualNetworks, inventory.VirtualNetwork{
		Name: "classic-b", Location: "West US", AddressSpace: []string{"10.9.0.0/16"},
		Subnets:  []inventory.Subnet{{Name: "s", AddressPrefix: "10.9.0.0/24"}},
		Peerings: []inventory.Peering{{Name: "to-hub", RemoteVirtualNetwork: hub}},
	})
	inv.VirtualNetworks[0].Peerings = []inventory.Peering{
		{Name: "to-hub", RemoteVirtualNetwork: hub},
		{Name: "to-far", RemoteVirtualNetwork: far},
		{Name: "to-b", RemoteVirtualNetwork: "classic-b"},
	}
	e := newEnv(t, inv, setup{})
	got, err := e.driver.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]inventory.Peering{
		cloudtest.VNet: {
			{Name: "to-b", RemoteVirtualNetwork: armapi.ResourceID(sub, emulator.PeerResourceGroup, armapi.TypeVirtualNetworks, "classic-b")},
			{Name: "to-hub", RemoteVirtualNetwork: hub},
		},
		"classic-b": {{Name: "to-hub-classic-b", RemoteVirtualNetwork: hub}},
	}
	for _, vn := range got.VirtualNetworks {
		if !reflect.DeepEqual(vn.Peerings, want[vn.Name]) {
			t.Errorf("VNet %s: peerings %+v, want %+v", vn.Name, vn.Peerings, want[vn.Name])
		}
	}
	if len(got.VirtualNetworks) != 2 {
		t.Errorf("discovered %d VNets, want 2", len(got.VirtualNetworks))
	}
}

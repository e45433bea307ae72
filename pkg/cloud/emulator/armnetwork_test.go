package emulator_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestVirtualNetworkList reads VirtualNetworks_ListAll from an emulator
// with no Compute (discovery needs it from every emulator), page by page
// through nextLink, and checks the Resource Manager VNets invented for the
// classic VNet's peerings in the REST spec's shape.
func TestVirtualNetworkList(t *testing.T) {
	inv := cloudtest.Inventory()
	sub := inv.SubscriptionID
	hub := armapi.ResourceID(sub, "hub-rg", armapi.TypeVirtualNetworks, "hub")
	inv.VirtualNetworks[0].Peerings = []inventory.Peering{
		{Name: "to-hub", RemoteVirtualNetwork: hub},
		{Name: "to-far", RemoteVirtualNetwork: armapi.ResourceID("00000000-0000-0000-0000-0000000000ff", "rg", armapi.TypeVirtualNetworks, "far")},
	}
	c := startClient(t, inv, func(*emulator.Options, *sim.Sim) {})
	get := func(u string) (int, map[string]any) {
		t.Helper()
		var v map[string]any
		return c.getJSON(u, &v), v
	}
	list := c.root + "subscriptions/" + sub + "/providers/Microsoft.Network/virtualNetworks?api-version=2024-05-01"
	var vnets []any
	for u := list; u != ""; {
		status, page := get(u)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", u, status, page)
		}
		vnets = append(vnets, page["value"].([]any)...)
		u, _ = page["nextLink"].(string)
	}
	classic := armapi.ResourceID(sub, armapi.ClassicNetworkingResourceGroup, armapi.TypeClassicVirtualNetworks, cloudtest.VNet)
	want := []any{map[string]any{
		"id": hub, "name": "hub", "type": "Microsoft.Network/virtualNetworks", "location": "westus",
		"properties": map[string]any{
			"addressSpace":      map[string]any{"addressPrefixes": []any{"100.64.0.0/24"}},
			"provisioningState": "Succeeded",
			"virtualNetworkPeerings": []any{map[string]any{
				"id": hub + "/virtualNetworkPeerings/to-hub", "name": "to-hub",
				"type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
				"properties": map[string]any{
					"remoteVirtualNetwork":      map[string]any{"id": classic},
					"allowVirtualNetworkAccess": true,
					"peeringState":              "Connected",
					"provisioningState":         "Succeeded",
				},
			}},
		},
	}}
	if !reflect.DeepEqual(vnets, want) {
		got, _ := json.MarshalIndent(vnets, "", "  ")
		t.Errorf("virtual networks:\n%s", got)
	}
	if status, v := get(list + "&$skipToken=x"); status != http.StatusBadRequest {
		t.Errorf("bad skip token: %d %v", status, v)
	}
}

package realclient_test

import (
	"encoding/json"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestNetworkPeeringsPythonSDK lists the subscription's Resource Manager
// VNets through azure.mgmt.network (virtual_networks.list_all, the read
// discovery makes for classic VNets' peerings) while the estate that
// fires every rule is served unmigrated, without Azurite: the list is
// served by every emulator. The peer of every-vnet's peering must come
// back with a Connected peering whose remote is every-vnet's classic id,
// and a second peer (added here) on the list's second page; the whole
// answer is a golden file.
func TestNetworkPeeringsPythonSDK(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.mgmt.network")
	inv := everyRuleEstate(t)
	// A second peer, given by id: the emulator pages the list one VNet at
	// a time, so the SDK's pager must follow nextLink to see both.
	spoke := armapi.ResourceID(inv.SubscriptionID, "spoke-rg", armapi.TypeVirtualNetworks, "spoke")
	for i := range inv.VirtualNetworks {
		if inv.VirtualNetworks[i].Name == "hub-vnet" {
			inv.VirtualNetworks[i].Peerings = append(inv.VirtualNetworks[i].Peerings, inventory.Peering{Name: "to-spoke", RemoteVirtualNetwork: spoke})
		}
	}
	raw := runClassicRMScript(t, py, "rm_network.py", inv)
	var out struct {
		VNets []struct {
			Name     string `json:"name"`
			Peerings []struct {
				Name   string `json:"name"`
				Remote string `json:"remote"`
				State  string `json:"state"`
			} `json:"peerings"`
		} `json:"virtualNetworks"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if len(out.VNets) != 2 {
		t.Errorf("azure.mgmt.network listed %d VNets, want 2 (hub-vnet and spoke, one page each)", len(out.VNets))
	}
	found := false
	for _, vn := range out.VNets {
		for _, p := range vn.Peerings {
			name, ok := armapi.ClassicVNetName(p.Remote, inv.SubscriptionID)
			if vn.Name == "hub-vnet" && p.Name == "to-hub" && ok && name == "every-vnet" && p.State == armapi.PeeringConnected {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("azure.mgmt.network did not read every-vnet's peering to-hub (Connected, from hub-vnet); it read:\n%s", raw)
	}
	golden(t, "rm_network.golden.json", raw)
}

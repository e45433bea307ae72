package armapi

import "strings"

// Resource Manager virtual networks as VirtualNetworks_ListAll answers
// them (Azure/azure-rest-api-specs specification/network/resource-manager/
// Microsoft.Network/stable/2024-05-01/virtualNetwork.json: GET
// /subscriptions/{subscriptionId}/providers/Microsoft.Network/
// virtualNetworks, x-ms-pageable with nextLink; definitions
// VirtualNetworkListResult, VirtualNetwork, VirtualNetworkPeering and
// VirtualNetworkPeeringPropertiesFormat). Only the fields discovery reads
// and the emulator serves are modelled: the SDK's armnetwork module is not
// a dependency of this repository, and one list of five fields does not
// justify adding it.

// Resource types of virtual networks and their peerings.
const (
	TypeVirtualNetworks        = "Microsoft.Network/virtualNetworks"
	TypeVirtualNetworkPeerings = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
	// TypeClassicVirtualNetworks is how Resource Manager names a classic
	// VNet, e.g. as a peering's remote virtual network.
	TypeClassicVirtualNetworks = "Microsoft.ClassicNetwork/virtualNetworks"
)

// ClassicNetworkingResourceGroup is the resource group Resource Manager
// shows a classic VNet in when it was created outside the portal (network
// configuration file, classic CLI or PowerShell): MicrosoftDocs/azure-docs
// articles/virtual-network/create-peering-different-deployment-models.md
// peers with --remote-vnet-id /subscriptions/<subscription id>/
// resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/
// virtualNetworks/myVnet2, the classic VNet made with `azure network vnet
// create` and the network configuration file.
const ClassicNetworkingResourceGroup = "Default-Networking"

// Peering states (VirtualNetworkPeeringState).
const (
	PeeringConnected = "Connected"
)

// VirtualNetworkListResult is a page of VirtualNetworks_ListAll.
type VirtualNetworkListResult struct {
	Value    []VirtualNetwork `json:"value"`
	NextLink string           `json:"nextLink,omitempty"`
}

// VirtualNetwork is a Resource Manager virtual network.
type VirtualNetwork struct {
	ID         string                   `json:"id"`
	Name       string                   `json:"name"`
	Type       string                   `json:"type"`
	Location   string                   `json:"location"`
	Properties VirtualNetworkProperties `json:"properties"`
}

// VirtualNetworkProperties are a virtual network's properties.
type VirtualNetworkProperties struct {
	AddressSpace           AddressSpace            `json:"addressSpace"`
	VirtualNetworkPeerings []VirtualNetworkPeering `json:"virtualNetworkPeerings"`
	ProvisioningState      string                  `json:"provisioningState,omitempty"`
}

// AddressSpace is a virtual network's address prefixes.
type AddressSpace struct {
	AddressPrefixes []string `json:"addressPrefixes"`
}

// VirtualNetworkPeering is a peering defined on a virtual network.
type VirtualNetworkPeering struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type,omitempty"`
	Properties PeeringProperties `json:"properties"`
}

// PeeringProperties are a peering's properties.
type PeeringProperties struct {
	RemoteVirtualNetwork      SubResource `json:"remoteVirtualNetwork"`
	AllowVirtualNetworkAccess bool        `json:"allowVirtualNetworkAccess"`
	PeeringState              string      `json:"peeringState,omitempty"`
	ProvisioningState         string      `json:"provisioningState,omitempty"`
}

// SubResource is a reference to another resource by id.
type SubResource struct {
	ID string `json:"id"`
}

// ClassicVNetName is the name of the classic VNet id names when it is a
// Microsoft.ClassicNetwork/virtualNetworks resource of subscription sub
// (compared case-insensitively, as Resource Manager compares ids); a
// classic VNet of another subscription, or another kind of resource, is
// not one of sub's and gives ok false.
func ClassicVNetName(id, sub string) (name string, ok bool) {
	p, err := ParseID(id)
	if err != nil || !strings.EqualFold(p.Type, TypeClassicVirtualNetworks) || !strings.EqualFold(p.Subscription, sub) {
		return "", false
	}
	return p.Name, true
}

package emulator

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The Resource Manager side of classic VNets' peerings. A classic VNet
// cannot hold a peering: it is defined on a Resource Manager VNet whose
// remoteVirtualNetwork is the classic VNet's id (MicrosoftDocs/azure-docs
// articles/virtual-network/create-peering-different-deployment-models.md),
// and discovery finds it in VirtualNetworks_ListAll (Azure/
// azure-rest-api-specs specification/network/resource-manager/
// Microsoft.Network/stable/2024-05-01/virtualNetwork.json). The emulator
// invents those Resource Manager VNets from the classic estate's
// inventory peerings, one per distinct peer:
//
//   - a peer given by name is VNet {name} in resource group PeerResourceGroup;
//     a peer given by its Resource Manager id is that VNet (left out when
//     the id is another subscription's: it is not in this subscription's
//     list, as on Azure);
//   - its location is that of the first classic VNet peering with it, its
//     address space 100.64.{i}.0/24 by order (the inventory has none; a
//     range from RFC 6598's shared space, which estates rarely use, so it
//     does not overlap the classic side, as Azure requires of a peering);
//   - each peering keeps the inventory's name (made unique on the VNet with
//     "-{classic VNet}" when two classic VNets name theirs alike), points at
//     the classic VNet's id in armapi.ClassicNetworkingResourceGroup, and
//     is Connected, as the portal shows a classic peering once created.
//
// Only the classic VNets still in the estate are peered: after Commit a
// classic VNet is gone, and with it the peers invented for it (Azure
// refuses to migrate a peered VNet anyway, the vnet-peering rule). Azure
// Stack Hub has no classic VNets, so its list is empty. The list is
// served vnetPageSize VNets a page with a nextLink, as Azure pages it, so
// clients are seen to follow nextLink.

// PeerResourceGroup is the resource group of the Resource Manager VNets the
// emulator serves for peerings whose peer the inventory names without an
// id.
const PeerResourceGroup = "peers"

// vnetPageSize is how many VNets a page of the list holds.
const vnetPageSize = 1

// armNetworkRoutes adds the Resource Manager network reads to mux. They are
// served by every emulator, with or without Options.Compute: discovery
// reads them.
func (s *Server) armNetworkRoutes(mux *http.ServeMux) {
	mux.Handle("GET /subscriptions/{sub}/providers/Microsoft.Network/virtualNetworks", s.arm(s.listVirtualNetworks))
}

// listVirtualNetworks answers VirtualNetworks_ListAll.
func (s *Server) listVirtualNetworks(w http.ResponseWriter, r *http.Request) {
	var vnets []armapi.VirtualNetwork
	if !s.o.StackHub {
		inv, err := s.d.Discover(r.Context())
		if err != nil {
			writeARMCloudError(w, err)
			return
		}
		vnets = peerVNets(inv, r.PathValue("sub"))
	}
	skip := 0
	if t := r.URL.Query().Get("$skipToken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			armError(w, http.StatusBadRequest, "InvalidSkipToken", "The skip token '"+t+"' is not valid.")
			return
		}
		skip = min(n, len(vnets))
	}
	page := armapi.VirtualNetworkListResult{Value: vnets[skip:min(skip+vnetPageSize, len(vnets))]}
	if page.Value == nil {
		page.Value = []armapi.VirtualNetwork{}
	}
	if next := skip + vnetPageSize; next < len(vnets) {
		q := url.Values{"api-version": {r.URL.Query().Get("api-version")}, "$skipToken": {strconv.Itoa(next)}}
		page.NextLink = strings.TrimSuffix(s.url, "/") + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, page)
}

// peerVNets are the Resource Manager VNets of subscription sub that the
// classic VNets of inv peer with, ordered by id.
func peerVNets(inv *inventory.Inventory, sub string) []armapi.VirtualNetwork {
	byID := map[string]*armapi.VirtualNetwork{}
	for _, cv := range inv.VirtualNetworks {
		classicID := armapi.ResourceID(sub, armapi.ClassicNetworkingResourceGroup, armapi.TypeClassicVirtualNetworks, cv.Name)
		loc := cv.Location
		if loc == "" {
			loc = inv.DefaultLocation
		}
		for _, pe := range cv.Peerings {
			id, ok := peerID(pe, sub)
			if !ok {
				continue
			}
			vn := byID[strings.ToLower(id)]
			if vn == nil {
				vn = &armapi.VirtualNetwork{ID: id, Name: armapi.NameOf(id), Type: armapi.TypeVirtualNetworks,
					Location:   armapi.Location(loc),
					Properties: armapi.VirtualNetworkProperties{ProvisioningState: "Succeeded"}}
				byID[strings.ToLower(id)] = vn
			}
			name := pe.Name
			for _, have := range vn.Properties.VirtualNetworkPeerings {
				if strings.EqualFold(have.Name, name) {
					name = pe.Name + "-" + cv.Name
				}
			}
			vn.Properties.VirtualNetworkPeerings = append(vn.Properties.VirtualNetworkPeerings, armapi.VirtualNetworkPeering{
				ID: id + "/virtualNetworkPeerings/" + name, Name: name, Type: armapi.TypeVirtualNetworkPeerings,
				Properties: armapi.PeeringProperties{
					RemoteVirtualNetwork:      armapi.SubResource{ID: classicID},
					AllowVirtualNetworkAccess: true,
					PeeringState:              armapi.PeeringConnected,
					ProvisioningState:         "Succeeded",
				},
			})
		}
	}
	keys := make([]string, 0, len(byID))
	for k := range byID {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]armapi.VirtualNetwork, 0, len(keys))
	for i, k := range keys {
		vn := *byID[k]
		vn.Properties.AddressSpace.AddressPrefixes = []string{"100.64." + strconv.Itoa(i%256) + ".0/24"}
		out = append(out, vn)
	}
	return out
}

// peerID is the Resource Manager id of a peering's peer in subscription
// sub: its id when the inventory gives one (ok false for another
// subscription's or a resource that is not a Resource Manager VNet), else
// VNet {remote} in PeerResourceGroup. A peering with no remote names its
// peer after itself, as the inventory's short form does.
func peerID(pe inventory.Peering, sub string) (string, bool) {
	remote := pe.RemoteVirtualNetwork
	if remote == "" {
		remote = pe.Name
	}
	if !strings.HasPrefix(remote, "/") {
		return armapi.ResourceID(sub, PeerResourceGroup, armapi.TypeVirtualNetworks, remote), true
	}
	id, err := armapi.ParseID(remote)
	if err != nil || !strings.EqualFold(id.Type, armapi.TypeVirtualNetworks) || !strings.EqualFold(id.Subscription, sub) {
		return "", false
	}
	return id.String(), true
}

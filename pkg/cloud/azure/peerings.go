package azure

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// addClassicPeerings fills the peerings of inv's classic VNets. A classic
// VNet cannot hold a peering: the peering is defined on a Resource Manager
// VNet, its remoteVirtualNetwork the classic VNet's id
// /subscriptions/{sub}/resourceGroups/{rg}/providers/
// Microsoft.ClassicNetwork/virtualNetworks/{name} (MicrosoftDocs/azure-docs
// articles/virtual-network/create-peering-different-deployment-models.md),
// so discovery lists the subscription's Resource Manager VNets
// (VirtualNetworks_ListAll, following nextLink) and gives each classic VNet
// the peerings that point at it. A peering defined in another
// subscription's VNet is not in that list: the operator adds it.
//
// Each peering is recorded with the Resource Manager VNet's id as its
// remote: the inventory resolves a remote given by name against its
// classic VNets, and the peer is not one. Names repeated on one classic
// VNet (two Resource Manager VNets may name their peerings alike) get a
// " (2)", " (3)" suffix in the sorted order, since the inventory wants
// them unique. The list failing fails discovery: Azure always serves it,
// so an error there is one to report, not an empty answer.
func (d *Driver) addClassicPeerings(ctx context.Context, inv *inventory.Inventory) error {
	vnets := make(map[string]*inventory.VirtualNetwork, len(inv.VirtualNetworks))
	for i := range inv.VirtualNetworks {
		vnets[inventory.Key(inv.VirtualNetworks[i].Name)] = &inv.VirtualNetworks[i]
	}
	found := map[*inventory.VirtualNetwork][]inventory.Peering{}
	u := strings.TrimSuffix(d.ep.arm, "/") + "/subscriptions/" + url.PathEscape(d.cfg.SubscriptionID) +
		"/providers/" + armapi.TypeVirtualNetworks + "?api-version=" + url.QueryEscape(d.ep.api.Network)
	vns, err := listARM[armapi.VirtualNetwork](ctx, d, u)
	if err != nil {
		return fmt.Errorf("list Resource Manager virtual networks for classic peerings: %w", err)
	}
	for _, vn := range vns {
		for _, pe := range vn.Properties.VirtualNetworkPeerings {
			name, ok := armapi.ClassicVNetName(pe.Properties.RemoteVirtualNetwork.ID, d.cfg.SubscriptionID)
			if !ok {
				continue
			}
			if cv := vnets[inventory.Key(name)]; cv != nil {
				found[cv] = append(found[cv], inventory.Peering{Name: pe.Name, RemoteVirtualNetwork: vn.ID})
			}
		}
	}
	for cv, ps := range found {
		cv.Peerings = append(cv.Peerings, ps...)
		sortPeerings(cv.Peerings)
	}
	return nil
}

// sortPeerings orders peerings by name, then remote (case-insensitively,
// then exactly), and renames repeats so each name is unique in the list.
func sortPeerings(ps []inventory.Peering) {
	less := func(a, b string) int {
		if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	}
	sort.Slice(ps, func(i, j int) bool {
		if c := less(ps[i].Name, ps[j].Name); c != 0 {
			return c < 0
		}
		return less(ps[i].RemoteVirtualNetwork, ps[j].RemoteVirtualNetwork) < 0
	})
	seen := map[string]int{}
	for i := range ps {
		k := inventory.Key(ps[i].Name)
		seen[k]++
		if n := seen[k]; n > 1 {
			ps[i].Name = fmt.Sprintf("%s (%d)", ps[i].Name, n)
		}
	}
}

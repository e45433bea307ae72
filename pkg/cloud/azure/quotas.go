package azure

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// target.quotas (rules quotas-unchecked and arm-quota): the free count of
// each Resource Manager resource Prepare creates, per region of the
// estate, read from the regional usages of the subscription:
//
//   - Usage_List, GET /subscriptions/{sub}/providers/Microsoft.Compute/
//     locations/{location}/usages (azure-rest-api-specs specification/
//     compute/resource-manager/Microsoft.Compute/ComputeRP/stable/
//     2024-07-01/computeRPCommon.json; what `az vm list-usage` prints), the
//     "cores" counter ("Total Regional vCPUs");
//   - Usages_List, GET /subscriptions/{sub}/providers/Microsoft.Network/
//     locations/{location}/usages (specification/network/resource-manager/
//     Microsoft.Network/stable/2024-05-01/usage.json; `az network
//     list-usages`), the "NetworkInterfaces", "PublicIPAddresses",
//     "LoadBalancers", "NetworkSecurityGroups" and "RouteTables" counters.
//
// Free is limit - currentValue, never below zero. The path takes the
// region's canonical name (westus, armapi.Location); the quota is keyed by
// the region as the inventory spells it (West US), which is how arm-quota
// looks quotas up (case-insensitively). What is not seen: the VM family
// quotas (a family's vCPUs can run out before the regional total), which
// arm-quota does not count either; and a counter the answer lacks stays
// unset, so it is not checked.

// usageCounters are the usages' names.value of each quota field.
var usageCounters = []struct {
	provider, name string
	field          func(*inventory.Quota) **int
}{
	{"Microsoft.Compute", "cores", func(q *inventory.Quota) **int { return &q.Cores }},
	{"Microsoft.Network", "NetworkInterfaces", func(q *inventory.Quota) **int { return &q.NetworkInterfaces }},
	{"Microsoft.Network", "PublicIPAddresses", func(q *inventory.Quota) **int { return &q.PublicIPAddresses }},
	{"Microsoft.Network", "LoadBalancers", func(q *inventory.Quota) **int { return &q.LoadBalancers }},
	{"Microsoft.Network", "NetworkSecurityGroups", func(q *inventory.Quota) **int { return &q.NetworkSecurityGroups }},
	{"Microsoft.Network", "RouteTables", func(q *inventory.Quota) **int { return &q.RouteTables }},
}

// estateRegions are the regions inv's resources are in, each once (the
// first spelling seen), in the inventory's order.
func estateRegions(inv *inventory.Inventory) []string {
	var out []string
	seen := map[string]bool{}
	add := func(loc string) {
		if loc == "" {
			loc = inv.DefaultLocation
		}
		if k := inventory.Key(armapi.Location(loc)); loc != "" && !seen[k] {
			seen[k] = true
			out = append(out, loc)
		}
	}
	add(inv.DefaultLocation)
	for _, cs := range inv.CloudServices {
		add(cs.Location)
	}
	for _, sa := range inv.StorageAccounts {
		add(sa.Location)
	}
	for _, v := range inv.VirtualNetworks {
		add(v.Location)
	}
	for _, r := range inv.ReservedIPs {
		add(r.Location)
	}
	for _, n := range inv.NetworkSecurityGroups {
		add(n.Location)
	}
	for _, r := range inv.RouteTables {
		add(r.Location)
	}
	return out
}

// discoverQuotas fills inv's target.quotas for every region of the estate.
func (d *Driver) discoverQuotas(ctx context.Context, inv *inventory.Inventory) error {
	regions := estateRegions(inv)
	if len(regions) == 0 {
		return nil
	}
	type usage struct {
		CurrentValue int64 `json:"currentValue"`
		Limit        int64 `json:"limit"`
		Name         struct {
			Value string `json:"value"`
		} `json:"name"`
	}
	base := strings.TrimSuffix(d.ep.arm, "/") + "/subscriptions/" + url.PathEscape(d.cfg.SubscriptionID) + "/providers/"
	versions := map[string]string{"Microsoft.Compute": d.ep.api.Compute, "Microsoft.Network": d.ep.api.Network}
	quotas := map[string]inventory.Quota{}
	for _, region := range regions {
		var q inventory.Quota
		for _, provider := range []string{"Microsoft.Compute", "Microsoft.Network"} {
			u := base + provider + "/locations/" + url.PathEscape(armapi.Location(region)) + "/usages?api-version=" + url.QueryEscape(versions[provider])
			usages, err := listARM[usage](ctx, d, u)
			if unregistered(err) {
				// The provider's quotas cannot be read before it is
				// registered: its counters stay unknown (absent), not
				// zero, and the rules treat them as not given.
				continue
			}
			if err != nil {
				return fmt.Errorf("read %s usages in %s: %w", provider, region, err)
			}
			for _, c := range usageCounters {
				if c.provider != provider {
					continue
				}
				for _, us := range usages {
					if strings.EqualFold(us.Name.Value, c.name) {
						free := int(max(us.Limit-us.CurrentValue, 0))
						*c.field(&q) = &free
						break
					}
				}
			}
		}
		quotas[region] = q
	}
	inv.Target.Quotas = quotas
	return nil
}

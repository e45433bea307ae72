package emulator

import (
	"maps"
	"net/http"
	"slices"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The regional usages of Microsoft.Compute (Usage_List, azure-rest-api-specs
// .../Microsoft.Compute/ComputeRP/stable/2024-07-01/computeRPCommon.json)
// and Microsoft.Network (Usages_List, .../Microsoft.Network/stable/
// 2024-05-01/usage.json), answered from the served estate's target.quotas,
// which are free counts: a counter the estate gives for the region is
// limit max(free, Azure's default) with currentValue limit - free, so a
// client reads the same free count and has to subtract to get it; one it
// does not give is the default limit with nothing used, as in a new
// subscription. Every emulator serves them, with or without Compute.

// usageDefault is a counter with Azure's default limit for a new
// subscription, per region: 20 total regional vCPUs (azure-docs includes/
// azure-virtual-machines-limits-azure-resource-manager.md, "VM total cores
// per subscription: 20 per region"); 65,536 network interfaces, 5,000
// NSGs and 200 route tables (includes/azure-virtual-network-limits.md,
// "Networking limits - Azure Resource Manager", all defaults raised to the
// maximum); 10 public IP addresses (the same include, "Public IP address
// limits", default 10, varying by offer); 1,000 load balancers (its "Load
// balancer limits").
type usageDefault struct {
	name, localized string
	limit           int64
	field           func(inventory.Quota) *int // nil: a counter no quota field holds
}

var computeUsages = []usageDefault{
	{"availabilitySets", "Availability Sets", 2500, nil},
	{"cores", "Total Regional vCPUs", 20, func(q inventory.Quota) *int { return q.Cores }},
	{"virtualMachines", "Virtual Machines", 25000, nil},
}

var networkUsages = []usageDefault{
	{"VirtualNetworks", "Virtual Networks", 1000, nil},
	{"PublicIPAddresses", "Public IP Addresses", 10, func(q inventory.Quota) *int { return q.PublicIPAddresses }},
	{"NetworkInterfaces", "Network Interfaces", 65536, func(q inventory.Quota) *int { return q.NetworkInterfaces }},
	{"LoadBalancers", "Load Balancers", 1000, func(q inventory.Quota) *int { return q.LoadBalancers }},
	{"NetworkSecurityGroups", "Network Security Groups", 5000, func(q inventory.Quota) *int { return q.NetworkSecurityGroups }},
	{"RouteTables", "Route Tables", 200, func(q inventory.Quota) *int { return q.RouteTables }},
}

// quotaRoutes adds the two usage lists to mux.
func (s *Server) quotaRoutes(mux *http.ServeMux) {
	const providers = "/subscriptions/{sub}/providers/"
	mux.Handle("GET "+providers+"Microsoft.Compute/locations/{loc}/usages", s.arm(s.registered("Microsoft.Compute", s.listUsages("Microsoft.Compute", computeUsages))))
	mux.Handle("GET "+providers+"Microsoft.Network/locations/{loc}/usages", s.arm(s.registered("Microsoft.Network", s.listUsages("Microsoft.Network", networkUsages))))
}

func (s *Server) listUsages(provider string, counters []usageDefault) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv, err := s.d.Discover(r.Context())
		if err != nil {
			writeARMCloudError(w, err)
			return
		}
		loc := armapi.Location(r.PathValue("loc"))
		var q inventory.Quota
		// Regions in order, so two spellings of one region answer the same.
		for _, region := range slices.Sorted(maps.Keys(inv.Target.Quotas)) {
			if armapi.Location(region) == loc {
				q = inv.Target.Quotas[region]
				break
			}
		}
		out := make([]map[string]any, 0, len(counters))
		for _, c := range counters {
			limit, used := c.limit, int64(0)
			if c.field != nil {
				if free := c.field(q); free != nil {
					limit = max(int64(*free), c.limit)
					used = limit - int64(*free)
				}
			}
			u := map[string]any{"unit": "Count", "currentValue": used, "limit": limit,
				"name": map[string]string{"value": c.name, "localizedValue": c.localized}}
			if provider == "Microsoft.Network" {
				// Network's Usage has an id; Compute's has none.
				u["id"] = "/subscriptions/" + r.PathValue("sub") + "/providers/Microsoft.Network/locations/" + loc + "/usages/" + c.name
			}
			out = append(out, u)
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": out})
	}
}

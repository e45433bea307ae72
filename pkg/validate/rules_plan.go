package validate

import (
	"fmt"
	"sort"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Rules about whole units of the plan: Resource Manager write throttling
// and regional quotas. Both need the plan and are skipped without one.

// armWriteThrottleVMs is the VM count above which a unit's Prepare runs into
// Resource Manager's 1,200 writes per hour.
const armWriteThrottleVMs = 400

func checkARMWriteThrottle(c *checker) {
	if c.plan == nil {
		return
	}
	for _, u := range c.plan.Units {
		if u.VMs > armWriteThrottleVMs {
			f := c.finding(u.ID, fmt.Sprintf("Unit %s moves %d VMs (more than %d): its Prepare makes more Resource Manager writes than the 1,200 per hour a subscription is allowed.",
				u.ID, u.VMs, armWriteThrottleVMs))
			f.Unit = u.ID
			c.out = append(c.out, f)
		}
	}
}

// demand counts the Resource Manager resources a unit creates in a region,
// in the order quotas are reported.
type demand [counterCount]int

const (
	counterCores = iota
	counterNICs
	counterPublicIPs
	counterLoadBalancers
	counterNSGs
	counterRouteTables
	counterCount
)

// counterNames are the names messages give the counters, as the quota
// fields of inventory.md spell them.
func counterName(i int) string {
	return [counterCount]string{"cores", "networkInterfaces", "publicIPAddresses", "loadBalancers", "networkSecurityGroups", "routeTables"}[i]
}

// free returns a region quota's free count for counter i, nil if not given.
func free(q inventory.Quota, i int) *int {
	return [counterCount]*int{q.Cores, q.NetworkInterfaces, q.PublicIPAddresses, q.LoadBalancers, q.NetworkSecurityGroups, q.RouteTables}[i]
}

// unitDemand is what one unit needs, per folded region name.
type unitDemand map[string]*demand

// checkARMQuota computes what each unit creates in each region and walks the
// units in plan order, accumulating per region: a unit fires for a counter
// when it needs some of it and the running total (its own plus the units
// before it) exceeds the region's free count. What a unit creates:
//
//   - cores: the sum of VMCores over its VMs (a VM of unknown size adds none
//     and gets a warning when the region's cores are counted);
//   - network interfaces: one per VM per subnet, at least one per VM;
//   - a public IP and a load balancer per cloud service with VMs that has
//     endpoints, a reserved IP, or is not in a VNet;
//   - a public IP per reserved IP no cloud service uses (it moves alone);
//   - the classic NSGs and route tables the unit moves.
//
// Each resource counts in its own location (the VM: its cloud service's).
func checkARMQuota(c *checker) {
	if c.plan == nil || len(c.inv.Target.Quotas) == 0 {
		return
	}
	quotas := map[string]inventory.Quota{}
	regionName := map[string]string{}
	for name, q := range c.inv.Target.Quotas {
		quotas[inventory.Key(name)] = q
		regionName[inventory.Key(name)] = name
	}
	needs := map[string]unitDemand{} // by folded unit id
	need := func(resource, location string, counter, n int) {
		u := c.plan.UnitOf(resource)
		if u == "" || n == 0 {
			return
		}
		ud := needs[inventory.Key(u)]
		if ud == nil {
			ud = unitDemand{}
			needs[inventory.Key(u)] = ud
		}
		r := inventory.Key(c.location(location))
		if ud[r] == nil {
			ud[r] = &demand{}
		}
		ud[r][counter] += n
	}

	usedReservedIPs := map[string]bool{}
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		if cs.ReservedIP != "" {
			usedReservedIPs[inventory.Key(cs.ReservedIP)] = true
		}
		vms, endpoints := 0, false
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			if !isVM(r) {
				continue
			}
			vms++
			endpoints = endpoints || len(r.Endpoints) > 0
			id := inventory.VMID(cs.Name, r.Name)
			cores, known := VMCores(r.Size)
			if !known {
				if q, ok := quotas[inventory.Key(c.location(cs.Location))]; ok && q.Cores != nil {
					c.addSeverity(SeverityWarning, id, fmt.Sprintf("%s has size %q whose core count is unknown; its cores are not counted against the quota of %s.",
						vmName(cs, r), r.Size, c.location(cs.Location)))
				}
			}
			need(id, cs.Location, counterCores, cores)
			need(id, cs.Location, counterNICs, max(1, len(r.Subnets)))
		}
		if vms > 0 && (endpoints || cs.ReservedIP != "" || cs.Deployment.VirtualNetwork == "") {
			id := inventory.CloudServiceID(cs.Name)
			need(id, cs.Location, counterPublicIPs, 1)
			need(id, cs.Location, counterLoadBalancers, 1)
		}
	}
	for i := range c.inv.ReservedIPs {
		rip := &c.inv.ReservedIPs[i]
		if !usedReservedIPs[inventory.Key(rip.Name)] {
			need(inventory.ReservedIPID(rip.Name), rip.Location, counterPublicIPs, 1)
		}
	}
	for i := range c.inv.NetworkSecurityGroups {
		nsg := &c.inv.NetworkSecurityGroups[i]
		need(inventory.NSGID(nsg.Name), nsg.Location, counterNSGs, 1)
	}
	for i := range c.inv.RouteTables {
		rt := &c.inv.RouteTables[i]
		need(inventory.RouteTableID(rt.Name), rt.Location, counterRouteTables, 1)
	}

	total := map[string]*demand{}
	for _, u := range c.plan.Units {
		ud := needs[inventory.Key(u.ID)]
		regions := make([]string, 0, len(ud))
		for r := range ud {
			regions = append(regions, r)
		}
		sort.Strings(regions)
		for _, r := range regions {
			d := ud[r]
			if total[r] == nil {
				total[r] = &demand{}
			}
			t := total[r]
			q, given := quotas[r]
			for i := 0; i < counterCount; i++ {
				t[i] += d[i]
				if !given || d[i] == 0 {
					continue
				}
				if fr := free(q, i); fr != nil && t[i] > *fr {
					f := c.finding(u.ID, fmt.Sprintf("Unit %s needs %d %s in region %s; with the units before it in plan order that makes %d, but only %d are free.",
						u.ID, d[i], counterName(i), regionName[r], t[i], *fr))
					f.Unit = u.ID
					c.out = append(c.out, f)
				}
			}
		}
	}
}

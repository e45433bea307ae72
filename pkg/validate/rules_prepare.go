package validate

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// Rules for what the platform's Validate lets through and Prepare (or the
// Resource Manager side) refuses, and for what a migration silently loses.
// Each rule's source is in its Doc (rules.go) and in rules.md.

// isRunning reports whether a VM is running: "" is Load's default, Running.
func isRunning(r *inventory.Role) bool {
	return r.State == "" || strings.EqualFold(r.State, "Running")
}

// migratableExtensions are the extensions the platform migrates (every one
// but the XML ones, which it skips: technical deep dive, "VM extensions").
func migratableExtensions(r *inventory.Role) []string {
	var out []string
	for _, x := range r.Extensions {
		if !strings.EqualFold(x.Format, "xml") {
			out = append(out, x.Name)
		}
	}
	return out
}

// checkVMAgentNotReady: the agent's status only matters for a running VM
// with an extension the platform migrates ("common migration errors": "the
// VM may not be migrated, if it has a migratable extension"; "plan for
// migration": "If the VMs are stopped deallocated, VM Extensions do not need
// to be removed").
func checkVMAgentNotReady(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		if r.AgentStatus != inventory.AgentNotReady || !isRunning(r) {
			return
		}
		exts := migratableExtensions(r)
		if len(exts) == 0 {
			return
		}
		c.add(vmID(cs, r), fmt.Sprintf("VM Agent for VM %s in HostedService %s is reporting the overall agent status as Not Ready. Hence, the VM may not be migrated, if it has a migratable extension (it has %s). Ensure that the VM Agent is reporting overall agent status as Ready.",
			r.Name, cs.Name, strings.Join(exts, ", ")))
	})
}

// checkExtensionStatus: a running VM's migratable extension whose handler
// status is not reported, or not Ready, fails Prepare.
func checkExtensionStatus(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		if !isRunning(r) {
			return
		}
		for _, x := range r.Extensions {
			if x.Status == "" || strings.EqualFold(x.Status, "Ready") || strings.EqualFold(x.Format, "xml") {
				continue
			}
			if strings.EqualFold(x.Status, inventory.ExtensionNotReported) {
				c.add(vmID(cs, r), fmt.Sprintf("%s contains Extension %s whose Status isn't being reported from the VM. Hence, this VM can't be migrated.",
					vmName(cs, r), x.Name))
				continue
			}
			c.add(vmID(cs, r), fmt.Sprintf("%s contains Extension %s reporting Handler Status: %s. Hence, the VM can't be migrated.",
				vmName(cs, r), x.Name, x.Status))
		}
	})
}

// checkVMProvisioningTimeout: a VM whose provisioning timed out must be
// deleted (disks kept) and recreated before migration.
func checkVMProvisioningTimeout(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		if isProvisioningTimeout(r.State) {
			c.add(vmID(cs, r), fmt.Sprintf("Migration isn't allowed for HostedService %s because it has VM %s in State: %s. Migration is allowed only when the VM is in one of the following states - Running, Stopped, Stopped Deallocated.",
				cs.Name, r.Name, r.State))
		}
	})
}

func isProvisioningTimeout(state string) bool {
	return strings.EqualFold(state, "ProvisioningTimeout") || strings.EqualFold(state, "ProvisioningTimedOut")
}

// checkNotRegionalScope: a deployment created in an affinity group predates
// regional scope unless an update operation has moved it since.
func checkNotRegionalScope(c *checker) {
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		if cs.AffinityGroup == "" || !hasVM(cs) {
			continue
		}
		c.add(inventory.CloudServiceID(cs.Name), fmt.Sprintf("Migration isn't allowed for Deployment %s in HostedService %s as it isn't in the regional scope (the cloud service is in affinity group %s). Refer to https://aka.ms/regionalscope for moving this deployment to regional scope.",
			cs.Deployment.Name, cs.Name, cs.AffinityGroup))
	}
}

func hasVM(cs *inventory.CloudService) bool {
	for j := range cs.Deployment.Roles {
		if isVM(&cs.Deployment.Roles[j]) {
			return true
		}
	}
	return false
}

// checkGatewayConnection: Validate does not check a gateway connection's
// state; Prepare fails on one that is not connected.
func checkGatewayConnection(c *checker) {
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		for _, gw := range vn.Gateways {
			for _, cn := range gw.Connections {
				if cn.State == "" || cn.State == inventory.ConnectionConnected {
					continue
				}
				c.add(inventory.GatewayID(vn.Name, gw.Kind), fmt.Sprintf("Virtual Network %s has a %s gateway connection to local network site %s in state %s; Prepare fails on a virtual network gateway connection in a disconnected state.",
					vn.Name, gw.Kind, cn.LocalNetworkSite, cn.State))
			}
		}
	}
}

// checkLocalSiteAddressSpace: Resource Manager validates CIDR more strictly
// than the classic model; a local site with an invalid range fails when
// migrated.
func checkLocalSiteAddressSpace(c *checker) {
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		for _, gw := range vn.Gateways {
			for _, cn := range gw.Connections {
				for _, pfx := range cn.AddressSpace {
					if why := strictCIDRProblem(pfx); why != "" {
						c.add(inventory.GatewayID(vn.Name, gw.Kind), fmt.Sprintf("Local network site %s (connected to Virtual Network %s) has address prefix %q, which Resource Manager refuses: %s.",
							cn.LocalNetworkSite, vn.Name, pfx, why))
					}
				}
			}
		}
	}
}

// strictCIDRProblem says why Resource Manager refuses an address prefix, or
// "": it wants an IPv4 prefix in CIDR notation with no host bits set.
func strictCIDRProblem(s string) string {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	switch {
	case err != nil || !p.Addr().Is4():
		return "it is not an IPv4 prefix in CIDR notation"
	case p.Masked() != p:
		return fmt.Sprintf("it has host bits set (the prefix is %s)", p.Masked())
	}
	return ""
}

// checkVIPDNSLost: "A virtual IP can only be migrated if there is an input
// endpoint assigned to it", and the cloud service name becomes the DNS name
// of that public IP (technical deep dive, translation table); VMs not in a
// VNet are deallocated by Prepare, so their VIP is released unless reserved
// (technical deep dive, "The migration experience").
func checkVIPDNSLost(c *checker) {
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		if !hasVM(cs) {
			continue
		}
		endpoints := 0
		for j := range cs.Deployment.Roles {
			endpoints += len(cs.Deployment.Roles[j].Endpoints)
		}
		id := inventory.CloudServiceID(cs.Name)
		switch {
		case endpoints == 0:
			// Info: a cloud service without endpoints is usually internal
			// only, and nothing reaches its VIP; still, its DNS name goes.
			c.addSeverity(SeverityInfo, id, fmt.Sprintf("HostedService %s has no input endpoint, so its VIP and its DNS name %s.cloudapp.net are not migrated (a virtual IP migrates only with an input endpoint).",
				cs.Name, cs.Name))
		case cs.Deployment.VirtualNetwork == "" && cs.ReservedIP == "":
			c.add(id, fmt.Sprintf("HostedService %s isn't in a virtual network and its VIP isn't reserved: Prepare deallocates its VMs, so the VIP is released and the migrated public IP (DNS name %s) gets a new address.",
				cs.Name, cs.Name))
		}
	}
}

// checkQuotasUnchecked: without target.quotas, arm-quota cannot check the
// Resource Manager quotas that Prepare needs ("plan for migration", "Azure
// Resource Manager Quotas").
func checkQuotasUnchecked(c *checker) {
	if len(c.inv.Target.Quotas) > 0 {
		return
	}
	vms := 0
	c.eachVM(func(*inventory.CloudService, *inventory.Role) { vms++ })
	if vms == 0 {
		return
	}
	c.add("", fmt.Sprintf("target.quotas is not given, so the Resource Manager quotas that Prepare needs for %d VMs (cores, network interfaces, public IPs, load balancers, NSGs, route tables) are not checked.", vms))
}

// checkDestinationVNet checks the destination of a not-in-VNet deployment:
// when it is a classic VNet of the inventory in its migrated form
// (<vnet>-Migrated, the VNet's own name), that VNet must be in the cloud
// service's region and its subnet must have an address for every VM moving
// in; any other destination can only be checked on the target.
func checkDestinationVNet(c *checker) {
	type subnetUse struct {
		vn     *inventory.VirtualNetwork
		subnet *inventory.Subnet
		in     []string // cloud services moving in
		vms    int      // VMs moving in
	}
	uses := map[string]*subnetUse{}
	var order []string
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		d := cs.Deployment.Destination
		if d == nil || cs.Deployment.VirtualNetwork != "" {
			continue
		}
		id := inventory.CloudServiceID(cs.Name)
		vn, ok := c.ix.VNets[inventory.Key(d.VirtualNetwork)]
		if !ok || !strings.EqualFold(d.ResourceGroup, plan.MigratedResourceGroup(vn.Name)) {
			c.addSeverity(SeverityWarning, id, fmt.Sprintf("HostedService %s moves into virtual network %s in resource group %s, which isn't a classic virtual network of this inventory; that it exists in %s with subnet %s and free addresses can only be checked on the target.",
				cs.Name, d.VirtualNetwork, d.ResourceGroup, c.location(cs.Location), d.Subnet))
			continue
		}
		if !strings.EqualFold(c.location(cs.Location), c.location(vn.Location)) {
			c.add(id, fmt.Sprintf("HostedService %s is in %s but its destination virtual network %s is in %s; VMs migrate within their region.",
				cs.Name, c.location(cs.Location), vn.Name, c.location(vn.Location)))
		}
		var sn *inventory.Subnet
		for k := range vn.Subnets {
			if strings.EqualFold(vn.Subnets[k].Name, d.Subnet) {
				sn = &vn.Subnets[k]
			}
		}
		if sn == nil {
			continue // inventory.Load reports a destination subnet that does not exist
		}
		key := inventory.Key(vn.Name) + "/" + inventory.Key(sn.Name)
		u := uses[key]
		if u == nil {
			u = &subnetUse{vn: vn, subnet: sn}
			uses[key] = u
			order = append(order, key)
		}
		u.in = append(u.in, cs.Name)
		for j := range cs.Deployment.Roles {
			if isVM(&cs.Deployment.Roles[j]) {
				u.vms++
			}
		}
	}
	for _, key := range order {
		u := uses[key]
		size, ok := subnetCapacity(u.subnet.AddressPrefix)
		if !ok {
			continue
		}
		used := 0
		c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
			if !strings.EqualFold(cs.Deployment.VirtualNetwork, u.vn.Name) {
				return
			}
			for _, s := range r.Subnets {
				if strings.EqualFold(s, u.subnet.Name) {
					used++
					return
				}
			}
		})
		if used+u.vms <= size {
			continue
		}
		sort.Strings(u.in)
		for _, name := range u.in {
			c.addForUnit(inventory.CloudServiceID(name), inventory.CloudServiceID(name), fmt.Sprintf("Subnet %s (%s) of virtual network %s has %d usable addresses, %d used by its VMs, but %d VMs move into it (HostedService %s).",
				u.subnet.Name, u.subnet.AddressPrefix, u.vn.Name, size, used, u.vms, strings.Join(u.in, ", ")))
		}
	}
}

// subnetCapacity is how many addresses of an IPv4 subnet a VM can get:
// Azure reserves five in every subnet (the network, the broadcast and three
// for its services: virtual network FAQ, "Are there any restrictions on
// using IP addresses within these subnets?").
func subnetCapacity(prefix string) (int, bool) {
	p, err := netip.ParsePrefix(prefix)
	if err != nil || !p.Addr().Is4() || p.Bits() > 29 {
		return 0, false
	}
	return 1<<(32-p.Bits()) - 5, true
}

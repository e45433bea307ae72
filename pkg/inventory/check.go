package inventory

import (
	"fmt"
	"strings"
)

// fillDefaults applies the spec's defaults after decoding, when every field
// (defaultLocation included, wherever it sits in the file) is known, and
// turns absent lists into empty ones so consumers never meet nil.
func fillDefaults(inv *Inventory) {
	if inv.Target.Cloud == "" {
		inv.Target.Cloud = CloudAzurePublic
	}
	if inv.Target.ResourceGroupSuffix == "" {
		inv.Target.ResourceGroupSuffix = DefaultResourceGroupSuffix
	}
	loc := func(s *string) {
		if *s == "" {
			*s = inv.DefaultLocation
		}
	}
	inv.StorageAccounts = nonNil(inv.StorageAccounts)
	for i := range inv.StorageAccounts {
		sa := &inv.StorageAccounts[i]
		loc(&sa.Location)
		sa.Disks = nonNil(sa.Disks)
		sa.Images = nonNil(sa.Images)
		sa.RoleAssignments = nonNil(sa.RoleAssignments)
	}
	inv.VirtualNetworks = nonNil(inv.VirtualNetworks)
	for i := range inv.VirtualNetworks {
		vn := &inv.VirtualNetworks[i]
		loc(&vn.Location)
		vn.AddressSpace = nonNil(vn.AddressSpace)
		vn.Subnets = nonNil(vn.Subnets)
		vn.Gateways = nonNil(vn.Gateways)
		vn.Peerings = nonNil(vn.Peerings)
		vn.ApplicationGateways = nonNil(vn.ApplicationGateways)
		vn.PlatformServices = nonNil(vn.PlatformServices)
		vn.RoleAssignments = nonNil(vn.RoleAssignments)
	}
	inv.CloudServices = nonNil(inv.CloudServices)
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		loc(&cs.Location)
		cs.RoleAssignments = nonNil(cs.RoleAssignments)
		if cs.Deployment.Slot == "" {
			cs.Deployment.Slot = "Production"
		}
		cs.Deployment.Roles = nonNil(cs.Deployment.Roles)
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			if r.State == "" {
				r.State = "Running"
			}
			r.Subnets = nonNil(r.Subnets)
			r.Endpoints = nonNil(r.Endpoints)
			for k := range r.Endpoints {
				r.Endpoints[k].ACL = nonNil(r.Endpoints[k].ACL)
			}
			r.Extensions = nonNil(r.Extensions)
			r.DataDisks = nonNil(r.DataDisks)
		}
	}
	inv.NetworkSecurityGroups = nonNil(inv.NetworkSecurityGroups)
	for i := range inv.NetworkSecurityGroups {
		loc(&inv.NetworkSecurityGroups[i].Location)
		inv.NetworkSecurityGroups[i].Rules = nonNil(inv.NetworkSecurityGroups[i].Rules)
	}
	inv.RouteTables = nonNil(inv.RouteTables)
	for i := range inv.RouteTables {
		loc(&inv.RouteTables[i].Location)
		inv.RouteTables[i].Routes = nonNil(inv.RouteTables[i].Routes)
	}
	inv.ReservedIPs = nonNil(inv.ReservedIPs)
	for i := range inv.ReservedIPs {
		loc(&inv.ReservedIPs[i].Location)
	}
	inv.ExpressRouteCircuits = nonNil(inv.ExpressRouteCircuits)
}

// nonNil returns s, or an empty (allocation-free) slice for nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// checker holds the cross-checks' state: what each name resolves to, and the
// problems found. Every look-up is a map access, so the checks are linear in
// the size of the inventory.
type checker struct {
	inv      *Inventory
	n        counts // list sizes, to size the maps below
	problems []Problem

	storage  map[string]int
	vnets    map[string]int
	nsgs     map[string]int
	routes   map[string]int
	rips     map[string]int
	circuits map[string]int
	// disks maps a disk key to its account and index within it.
	disks map[string][2]int
	// subnets holds each VNet's subnet keys, built on first use.
	subnets map[int]map[string]struct{}
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// uniq records name in m at position at, reporting a duplicate of an earlier
// one. where renders a position as a path, only when a problem is reported.
func (c *checker) uniq(m map[string]int, name string, at int, what string, where func(int) string) {
	if name == "" {
		return // reported as missing or empty by the decoder
	}
	k := Key(name)
	if first, ok := m[k]; ok {
		c.add(where(at)+".name", "duplicate %s name %q (names are case-insensitive): already used at %s", what, name, where(first))
		return
	}
	m[k] = at
}

// dupInList reports names repeated (case-insensitively) within one small
// list, such as the endpoints of a role. Lists that can grow large use a map.
func (c *checker) dupInList(n int, name func(int) string, what string, where func(int) string) {
	if n > 16 {
		m := make(map[string]int, n)
		for i := 0; i < n; i++ {
			c.uniq(m, name(i), i, what, where)
		}
		return
	}
	for i := 1; i < n; i++ {
		ni := name(i)
		if ni == "" {
			continue
		}
		for j := 0; j < i; j++ {
			if strings.EqualFold(ni, name(j)) {
				c.add(where(i)+".name", "duplicate %s name %q (names are case-insensitive): already used at %s", what, ni, where(j))
				break
			}
		}
	}
}

// resolve reports a reference that names nothing.
func (c *checker) resolve(m map[string]int, name, path, what, list string) bool {
	if name == "" {
		return false
	}
	if _, ok := m[Key(name)]; !ok {
		c.add(path, "%s %q not found in %s", what, name, list)
		return false
	}
	return true
}

func (c *checker) subnetSet(vnet int) map[string]struct{} {
	if s, ok := c.subnets[vnet]; ok {
		return s
	}
	vn := &c.inv.VirtualNetworks[vnet]
	s := make(map[string]struct{}, len(vn.Subnets))
	for _, sn := range vn.Subnets {
		s[Key(sn.Name)] = struct{}{}
	}
	c.subnets[vnet] = s
	return s
}

// crossCheck verifies what the schema alone cannot: unique names, resolving
// references, disks attached once, LUNs unique per VM.
func crossCheck(inv *Inventory) []Problem {
	n := countOf(inv)
	c := &checker{
		inv:      inv,
		n:        n,
		storage:  make(map[string]int, len(inv.StorageAccounts)),
		vnets:    make(map[string]int, len(inv.VirtualNetworks)),
		nsgs:     make(map[string]int, len(inv.NetworkSecurityGroups)),
		routes:   make(map[string]int, len(inv.RouteTables)),
		rips:     make(map[string]int, len(inv.ReservedIPs)),
		circuits: make(map[string]int, len(inv.ExpressRouteCircuits)),
		disks:    make(map[string][2]int, n.disks),
		subnets:  map[int]map[string]struct{}{},
	}
	c.names()
	c.virtualNetworks()
	c.cloudServices()
	return c.problems
}

func (c *checker) names() {
	inv := c.inv
	images := make(map[string][2]int, c.n.images)
	for i := range inv.StorageAccounts {
		sa := &inv.StorageAccounts[i]
		c.uniq(c.storage, sa.Name, i, "storage account", func(i int) string { return fmt.Sprintf("storageAccounts[%d]", i) })
		for j := range sa.Disks {
			c.uniqPair(c.disks, sa.Disks[j].Name, [2]int{i, j}, "disk", "disks")
		}
		for j := range sa.Images {
			c.uniqPair(images, sa.Images[j].Name, [2]int{i, j}, "image", "images")
		}
	}
	for i := range inv.VirtualNetworks {
		c.uniq(c.vnets, inv.VirtualNetworks[i].Name, i, "virtual network", func(i int) string { return fmt.Sprintf("virtualNetworks[%d]", i) })
	}
	services := make(map[string]int, len(inv.CloudServices))
	for i := range inv.CloudServices {
		c.uniq(services, inv.CloudServices[i].Name, i, "cloud service", func(i int) string { return fmt.Sprintf("cloudServices[%d]", i) })
	}
	for i := range inv.NetworkSecurityGroups {
		g := &inv.NetworkSecurityGroups[i]
		where := func(i int) string { return fmt.Sprintf("networkSecurityGroups[%d]", i) }
		c.uniq(c.nsgs, g.Name, i, "network security group", where)
		c.dupInList(len(g.Rules), func(j int) string { return g.Rules[j].Name }, "rule",
			func(j int) string { return fmt.Sprintf("%s.rules[%d]", where(i), j) })
	}
	for i := range inv.RouteTables {
		rt := &inv.RouteTables[i]
		where := func(i int) string { return fmt.Sprintf("routeTables[%d]", i) }
		c.uniq(c.routes, rt.Name, i, "route table", where)
		c.dupInList(len(rt.Routes), func(j int) string { return rt.Routes[j].Name }, "route",
			func(j int) string { return fmt.Sprintf("%s.routes[%d]", where(i), j) })
	}
	for i := range inv.ReservedIPs {
		c.uniq(c.rips, inv.ReservedIPs[i].Name, i, "reserved IP", func(i int) string { return fmt.Sprintf("reservedIPs[%d]", i) })
	}
	for i := range inv.ExpressRouteCircuits {
		c.uniq(c.circuits, inv.ExpressRouteCircuits[i].Name, i, "ExpressRoute circuit", func(i int) string { return fmt.Sprintf("expressRouteCircuits[%d]", i) })
	}
}

// uniqPair is uniq for things that live inside storage accounts (disks,
// images): their names are unique across the subscription.
func (c *checker) uniqPair(m map[string][2]int, name string, at [2]int, what, list string) {
	if name == "" {
		return
	}
	k := Key(name)
	if first, ok := m[k]; ok {
		c.add(fmt.Sprintf("storageAccounts[%d].%s[%d].name", at[0], list, at[1]),
			"duplicate %s name %q (names are case-insensitive): already used at storageAccounts[%d].%s[%d]",
			what, name, first[0], list, first[1])
		return
	}
	m[k] = at
}

func (c *checker) virtualNetworks() {
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		vp := fmt.Sprintf("virtualNetworks[%d]", i)
		if len(vn.Subnets) > 0 {
			c.dupInList(len(vn.Subnets), func(j int) string { return vn.Subnets[j].Name }, "subnet",
				func(j int) string { return fmt.Sprintf("%s.subnets[%d]", vp, j) })
		}
		for j, sn := range vn.Subnets {
			if sn.NetworkSecurityGroup != "" {
				c.resolve(c.nsgs, sn.NetworkSecurityGroup, fmt.Sprintf("%s.subnets[%d].networkSecurityGroup", vp, j),
					"network security group", "networkSecurityGroups")
			}
			if sn.RouteTable != "" {
				c.resolve(c.routes, sn.RouteTable, fmt.Sprintf("%s.subnets[%d].routeTable", vp, j),
					"route table", "routeTables")
			}
		}
		for j, g := range vn.Gateways {
			gp := fmt.Sprintf("%s.gateways[%d]", vp, j)
			for k := 0; k < j; k++ {
				if g.Kind != "" && vn.Gateways[k].Kind == g.Kind {
					c.add(gp+".kind", "a virtual network has at most one %s gateway: already one at %s.gateways[%d]", g.Kind, vp, k)
				}
			}
			switch {
			case g.Kind == GatewayExpressRoute && g.Circuit == "":
				c.add(gp+".circuit", "an ExpressRoute gateway must name its circuit")
			case g.Kind == GatewayVpn && g.Circuit != "":
				c.add(gp+".circuit", "only an ExpressRoute gateway names a circuit; this gateway is Vpn")
			case g.Circuit != "":
				c.resolve(c.circuits, g.Circuit, gp+".circuit", "ExpressRoute circuit", "expressRouteCircuits")
			}
		}
		c.dupInList(len(vn.Peerings), func(j int) string { return vn.Peerings[j].Name }, "peering",
			func(j int) string { return fmt.Sprintf("%s.peerings[%d]", vp, j) })
		for j, pr := range vn.Peerings {
			remote := pr.RemoteVirtualNetwork
			// A Resource Manager VNet is named by its full id; only classic
			// names can be resolved here.
			if remote == "" || strings.HasPrefix(remote, "/") {
				continue
			}
			pp := fmt.Sprintf("%s.peerings[%d]", vp, j)
			if strings.EqualFold(remote, vn.Name) {
				c.add(pp, "virtual network %q cannot peer with itself", vn.Name)
				continue
			}
			c.resolve(c.vnets, remote, pp, "remote virtual network of peering "+fmt.Sprintf("%q", pr.Name), "virtualNetworks")
		}
		c.dupInList(len(vn.ApplicationGateways), func(j int) string { return vn.ApplicationGateways[j].Name }, "application gateway",
			func(j int) string { return fmt.Sprintf("%s.applicationGateways[%d]", vp, j) })
	}
}

// attachment is where a disk is attached: a role's osDisk (dataDisk -1) or
// one of its dataDisks.
type attachment struct{ cs, role, dataDisk int }

func (a attachment) String() string {
	if a.dataDisk < 0 {
		return fmt.Sprintf("cloudServices[%d].deployment.roles[%d].osDisk", a.cs, a.role)
	}
	return fmt.Sprintf("cloudServices[%d].deployment.roles[%d].dataDisks[%d].disk", a.cs, a.role, a.dataDisk)
}

func (c *checker) cloudServices() {
	inv := c.inv
	attached := make(map[string]attachment, c.n.attachments)
	ripUsers := map[string]int{}
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		cp := fmt.Sprintf("cloudServices[%d]", i)
		if cs.ReservedIP != "" && c.resolve(c.rips, cs.ReservedIP, cp+".reservedIP", "reserved IP", "reservedIPs") {
			k := Key(cs.ReservedIP)
			if first, ok := ripUsers[k]; ok {
				c.add(cp+".reservedIP", "reserved IP %q is already used by cloudServices[%d]", cs.ReservedIP, first)
			} else {
				ripUsers[k] = i
			}
		}
		dep := &cs.Deployment
		dp := cp + ".deployment"
		vnet := -1
		if dep.VirtualNetwork != "" {
			if c.resolve(c.vnets, dep.VirtualNetwork, dp+".virtualNetwork", "virtual network", "virtualNetworks") {
				vnet = c.vnets[Key(dep.VirtualNetwork)]
			}
			if dep.Destination != nil {
				c.add(dp+".destination", "only a cloud service not in a virtual network (virtualNetwork \"\") may name a destination; this one is in %q", dep.VirtualNetwork)
			}
		} else if dst := dep.Destination; dst != nil {
			c.destination(dst, dp+".destination")
		}
		c.dupInList(len(dep.Roles), func(j int) string { return dep.Roles[j].Name }, "role",
			func(j int) string { return fmt.Sprintf("%s.roles[%d]", dp, j) })
		for j := range dep.Roles {
			c.role(i, j, dp, &dep.Roles[j], dep.VirtualNetwork, vnet, attached)
		}
	}
}

// destination checks an existing Resource Manager VNet named as the target
// of a not-in-VNet cloud service. Only a VNet that this migration creates
// (a classic VNet's <name><suffix> group) can be checked offline.
func (c *checker) destination(dst *Destination, dp string) {
	suffix := c.inv.Target.ResourceGroupSuffix
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		if vn.Name == "" || !strings.EqualFold(dst.ResourceGroup, vn.Name+suffix) {
			continue
		}
		if !strings.EqualFold(dst.VirtualNetwork, vn.Name) {
			c.add(dp+".virtualNetwork", "resource group %q is where classic virtual network %q migrates, so the destination virtual network must be %q, got %q",
				dst.ResourceGroup, vn.Name, vn.Name, dst.VirtualNetwork)
			return
		}
		if _, ok := c.subnetSet(i)[Key(dst.Subnet)]; dst.Subnet != "" && !ok {
			c.add(dp+".subnet", "subnet %q not found in virtual network %q (virtualNetworks[%d])", dst.Subnet, vn.Name, i)
		}
		return
	}
}

func (c *checker) role(i, j int, dp string, r *Role, vnetName string, vnet int, attached map[string]attachment) {
	rp := fmt.Sprintf("%s.roles[%d]", dp, j)
	for k, sn := range r.Subnets {
		switch {
		case vnetName == "":
			c.add(fmt.Sprintf("%s.subnets[%d]", rp, k), "cloud service is not in a virtual network (deployment.virtualNetwork is \"\"), so its roles name no subnets; got %q", sn)
		case vnet >= 0:
			if _, ok := c.subnetSet(vnet)[Key(sn)]; !ok {
				c.add(fmt.Sprintf("%s.subnets[%d]", rp, k), "subnet %q not found in virtual network %q (virtualNetworks[%d].subnets)", sn, vnetName, vnet)
			}
		}
	}
	if r.NetworkSecurityGroup != "" {
		c.resolve(c.nsgs, r.NetworkSecurityGroup, rp+".networkSecurityGroup", "network security group", "networkSecurityGroups")
	}
	attach := func(name string, a attachment) {
		if name == "" {
			return
		}
		if !c.resolve2disk(name, a.String()) {
			return
		}
		k := Key(name)
		if first, ok := attached[k]; ok {
			c.add(a.String(), "disk %q is already attached at %s; a disk is attached to at most one role, once", name, first)
			return
		}
		attached[k] = a
	}
	attach(r.OSDisk, attachment{i, j, -1})
	for k, dd := range r.DataDisks {
		attach(dd.Disk, attachment{i, j, k})
		for l := 0; l < k; l++ {
			if r.DataDisks[l].LUN == dd.LUN {
				c.add(fmt.Sprintf("%s.dataDisks[%d].lun", rp, k), "LUN %d is already used by %s.dataDisks[%d]", dd.LUN, rp, l)
				break
			}
		}
	}
	if bd := r.BootDiagnostics; bd != nil {
		switch {
		case bd.StorageAccount != "":
			c.resolve(c.storage, bd.StorageAccount, rp+".bootDiagnostics.storageAccount", "storage account", "storageAccounts")
		case bd.Enabled:
			c.add(rp+".bootDiagnostics.storageAccount", "boot diagnostics are enabled, so they must name a storage account")
		}
	}
	c.dupInList(len(r.Endpoints), func(k int) string { return r.Endpoints[k].Name }, "endpoint",
		func(k int) string { return fmt.Sprintf("%s.endpoints[%d]", rp, k) })
}

func (c *checker) resolve2disk(name, path string) bool {
	if _, ok := c.disks[Key(name)]; !ok {
		c.add(path, "disk %q not found in storageAccounts[].disks", name)
		return false
	}
	return true
}

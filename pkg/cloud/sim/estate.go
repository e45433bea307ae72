package sim

import (
	"sort"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Unit kinds the simulated platform addresses (cloud.Target.Kind).
const (
	kindVNet         = "vnet"
	kindCloudService = "cloudservice"
	kindStorage      = "storage"
	kindNSG          = "nsg"
	kindRouteTable   = "routetable"
	kindReservedIP   = "reservedip"
)

// ARM resource types Commit creates.
const (
	typeResourceGroup   = "Microsoft.Resources/resourceGroups"
	typeVNet            = "Microsoft.Network/virtualNetworks"
	typeSubnet          = "Microsoft.Network/virtualNetworks/subnets"
	typeGateway         = "Microsoft.Network/virtualNetworkGateways"
	typeNIC             = "Microsoft.Network/networkInterfaces"
	typePublicIP        = "Microsoft.Network/publicIPAddresses"
	typeLoadBalancer    = "Microsoft.Network/loadBalancers"
	typeNSG             = "Microsoft.Network/networkSecurityGroups"
	typeRouteTable      = "Microsoft.Network/routeTables"
	typeVM              = "Microsoft.Compute/virtualMachines"
	typeAvailabilitySet = "Microsoft.Compute/availabilitySets"
	typeStorageAccount  = "Microsoft.Storage/storageAccounts"
)

// ARMResource is one Resource Manager resource the simulated platform made
// for a unit.
type ARMResource struct {
	Type          string `json:"type"`
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"name"`
	// Unit is the unit id whose Prepare made it.
	Unit string `json:"unit"`
	// Committed is false while the unit is Prepared (the resource exists but
	// its management plane is locked) and true once Commit finished it.
	Committed bool `json:"committed"`
	// DNSLabel is a public IP's DNS name label: a cloud service's name
	// becomes the DNS name of the public IP its VIP migrates to (deep dive,
	// translation table, "Cloud service name ... DNS name"). "" otherwise.
	DNSLabel string `json:"dnsLabel,omitempty"`
	// Allocation is a public IP's allocation method: Static for a reserved
	// IP ("Public IP address with static allocation method"), Dynamic for
	// a VIP that was not reserved. "" for other types.
	Allocation string `json:"allocation,omitempty"`
}

// Public IP allocation methods (ARMResource.Allocation).
const (
	AllocationStatic  = "Static"
	AllocationDynamic = "Dynamic"
)

// unit is one migration unit of the estate: what its calls cover.
type unit struct {
	id, kind, name string
	region         string
	// services are the cloud services (names) the unit moves with their VMs.
	services []*inventory.CloudService
	// notInVNet: the unit's VMs are not in a VNet, so Prepare and Abort
	// restart them (stopVMs, startVMs).
	notInVNet bool
	// members are the folded resource ids (cli.md naming) of classic
	// resources the unit moves; Commit removes them from the classic estate.
	members map[string]bool
	// account is the storage account of a storage unit.
	account *inventory.StorageAccount
}

// alias is a target name the platform knows but that migrates with another
// unit (a cloud service in a VNet, an NSG on a subnet): its calls are refused
// with a Validate Error naming the owner.
type alias struct {
	owner   string // folded owner unit id
	name    string // the aliased resource's name
	message string
	resType string
}

// topology is the estate's units, derived once from the persisted estate
// (which never changes after the first Open).
type topology struct {
	estate  *inventory.Inventory
	ix      *inventory.Index
	suffix  string
	units   map[string]*unit // folded unit id
	order   []string         // folded ids in estate order
	aliases map[string]alias // folded target id
	// vmUnit maps a folded VM id (cloudservice/<cs>/<vm>) to its unit id.
	vmUnit map[string]string
}

func unitKey(kind, name string) string { return inventory.Key(kind + "/" + name) }

func newTopology(inv *inventory.Inventory) *topology {
	t := &topology{
		estate: inv,
		ix:     inventory.NewIndex(inv),
		// The platform names the resource groups itself, whatever
		// target.resourceGroupSuffix says: "a new resource group is
		// created for every cloud service with the naming pattern
		// <cloudservicename>-migrated", and for a virtual network "a new
		// resource group is created with the name -migrated", the VNet
		// keeping its name inside it (MicrosoftDocs/azure-docs,
		// articles/virtual-machines/migration-classic-resource-manager-deep-dive.md,
		// "Translation of the classic deployment model to Resource Manager
		// resources").
		suffix:  inventory.DefaultResourceGroupSuffix,
		units:   map[string]*unit{},
		aliases: map[string]alias{},
		vmUnit:  map[string]string{},
	}
	add := func(u *unit) *unit {
		k := inventory.Key(u.id)
		if existing, ok := t.units[k]; ok {
			return existing
		}
		u.members = map[string]bool{inventory.Key(u.id): true}
		t.units[k] = u
		t.order = append(t.order, k)
		return u
	}
	loc := func(l string) string {
		if l == "" {
			return inv.DefaultLocation
		}
		return l
	}
	for i := range inv.VirtualNetworks {
		v := &inv.VirtualNetworks[i]
		u := add(&unit{id: inventory.VNetID(v.Name), kind: kindVNet, name: v.Name, region: loc(v.Location)})
		for _, g := range v.Gateways {
			u.members[inventory.Key(inventory.GatewayID(v.Name, g.Kind))] = true
		}
		for _, sn := range v.Subnets {
			if sn.NetworkSecurityGroup != "" {
				t.attach(u, kindNSG, sn.NetworkSecurityGroup, "Subnet "+sn.Name+" of Virtual Network "+v.Name)
			}
			if sn.RouteTable != "" {
				t.attach(u, kindRouteTable, sn.RouteTable, "Subnet "+sn.Name+" of Virtual Network "+v.Name)
			}
		}
	}
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		var u *unit
		if vn, ok := t.ix.VNets[inventory.Key(cs.Deployment.VirtualNetwork)]; ok && cs.Deployment.VirtualNetwork != "" {
			u = t.units[unitKey(kindVNet, vn.Name)]
			t.aliases[unitKey(kindCloudService, cs.Name)] = alias{
				owner:   inventory.Key(u.id),
				name:    cs.Name,
				resType: "HostedService",
				message: "HostedService " + cs.Name + " is deployed in Virtual Network " + vn.Name +
					"; migrate the Virtual Network, which migrates every HostedService in it.",
			}
		} else {
			u = add(&unit{id: inventory.CloudServiceID(cs.Name), kind: kindCloudService, name: cs.Name,
				region: loc(cs.Location), notInVNet: true})
		}
		u.services = append(u.services, cs)
		u.members[inventory.Key(inventory.CloudServiceID(cs.Name))] = true
		if cs.ReservedIP != "" {
			t.attach(u, kindReservedIP, cs.ReservedIP, "HostedService "+cs.Name)
		}
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			vmID := inventory.Key(inventory.VMID(cs.Name, r.Name))
			u.members[vmID] = true
			t.vmUnit[vmID] = inventory.Key(u.id)
			if r.AvailabilitySet != "" {
				u.members[inventory.Key(inventory.AvailabilitySetID(cs.Name, r.AvailabilitySet))] = true
			}
			if r.NetworkSecurityGroup != "" {
				t.attach(u, kindNSG, r.NetworkSecurityGroup, "VM "+r.Name+" in HostedService "+cs.Name)
			}
		}
	}
	for i := range inv.StorageAccounts {
		sa := &inv.StorageAccounts[i]
		u := add(&unit{id: inventory.StorageID(sa.Name), kind: kindStorage, name: sa.Name, region: loc(sa.Location), account: sa})
		for _, d := range sa.Disks {
			u.members[inventory.Key(inventory.DiskID(sa.Name, d.Name))] = true
		}
		for _, im := range sa.Images {
			u.members[inventory.Key(inventory.ImageID(sa.Name, im.Name))] = true
		}
	}
	for _, n := range inv.NetworkSecurityGroups {
		if _, ok := t.aliases[unitKey(kindNSG, n.Name)]; !ok {
			add(&unit{id: inventory.NSGID(n.Name), kind: kindNSG, name: n.Name, region: loc(n.Location)})
		}
	}
	for _, r := range inv.RouteTables {
		if _, ok := t.aliases[unitKey(kindRouteTable, r.Name)]; !ok {
			add(&unit{id: inventory.RouteTableID(r.Name), kind: kindRouteTable, name: r.Name, region: loc(r.Location)})
		}
	}
	for _, r := range inv.ReservedIPs {
		if _, ok := t.aliases[unitKey(kindReservedIP, r.Name)]; !ok {
			add(&unit{id: inventory.ReservedIPID(r.Name), kind: kindReservedIP, name: r.Name, region: loc(r.Location)})
		}
	}
	return t
}

// attach makes an NSG, route table or reserved IP move with unit u: the
// first unit using it owns it (as the platform moves it with the first
// migration that reaches it), and its own target becomes an alias.
func (t *topology) attach(u *unit, kind, name, usedBy string) {
	k := unitKey(kind, name)
	if _, ok := t.aliases[k]; ok {
		return
	}
	u.members[k] = true
	t.aliases[k] = alias{
		owner:   inventory.Key(u.id),
		name:    name,
		resType: resourceTypeOf(kind),
		message: resourceTypeOf(kind) + " " + name + " is associated with " + usedBy +
			"; it migrates with " + u.id + ".",
	}
}

func resourceTypeOf(kind string) string {
	switch kind {
	case kindVNet:
		return "VirtualNetwork"
	case kindCloudService:
		return "HostedService"
	case kindStorage:
		return "StorageAccount"
	case kindNSG:
		return "NetworkSecurityGroup"
	case kindRouteTable:
		return "RouteTable"
	case kindReservedIP:
		return "ReservedIP"
	}
	return kind
}

// vmCount counts the VM roles a unit moves: the simulated platform's core
// count (1 core per VM; the sim keeps no VM size table).
func (u *unit) vmCount() int {
	n := 0
	for _, cs := range u.services {
		for _, r := range cs.Deployment.Roles {
			if r.Kind == inventory.RoleVirtualMachine || r.Kind == "" {
				n++
			}
		}
	}
	return n
}

// armResources lists the Resource Manager resources the unit's migration
// makes, in resource group <name>-Migrated of the VNet, each cloud service,
// or the standalone resource.
func (t *topology) armResources(u *unit) []ARMResource {
	var out []ARMResource
	put := func(typ, rg, name string) *ARMResource {
		out = append(out, ARMResource{Type: typ, ResourceGroup: rg, Name: name, Unit: u.id})
		return &out[len(out)-1]
	}
	rg := u.name + t.suffix
	switch u.kind {
	case kindVNet:
		v := t.ix.VNets[inventory.Key(u.name)]
		put(typeResourceGroup, rg, rg)
		put(typeVNet, rg, v.Name)
		for _, sn := range v.Subnets {
			put(typeSubnet, rg, v.Name+"/"+sn.Name)
			if sn.NetworkSecurityGroup != "" && u.members[unitKey(kindNSG, sn.NetworkSecurityGroup)] {
				put(typeNSG, rg, sn.NetworkSecurityGroup)
			}
			if sn.RouteTable != "" && u.members[unitKey(kindRouteTable, sn.RouteTable)] {
				put(typeRouteTable, rg, sn.RouteTable)
			}
		}
		for _, g := range v.Gateways {
			put(typeGateway, rg, v.Name+"-"+g.Kind+"-Gateway")
		}
	case kindStorage:
		put(typeResourceGroup, rg, rg)
		put(typeStorageAccount, rg, u.name)
	case kindNSG:
		put(typeResourceGroup, rg, rg)
		put(typeNSG, rg, u.name)
	case kindRouteTable:
		put(typeResourceGroup, rg, rg)
		put(typeRouteTable, rg, u.name)
	case kindReservedIP:
		put(typeResourceGroup, rg, rg)
		put(typePublicIP, rg, u.name).Allocation = AllocationStatic
	}
	for _, cs := range u.services {
		crg := cs.Name + t.suffix
		put(typeResourceGroup, crg, crg)
		if u.notInVNet && cs.Deployment.Destination == nil {
			// A new VNet for VMs that had none, as the platform names it.
			put(typeVNet, crg, cs.Name+"-VirtualNetwork")
			put(typeSubnet, crg, cs.Name+"-VirtualNetwork/Subnet-1")
		}
		endpoints := false
		sets := map[string]bool{}
		for _, r := range cs.Deployment.Roles {
			if r.Kind != inventory.RoleVirtualMachine && r.Kind != "" {
				continue
			}
			put(typeVM, crg, r.Name)
			put(typeNIC, crg, r.Name+"-PrimaryNic")
			if r.AvailabilitySet != "" && !sets[inventory.Key(r.AvailabilitySet)] {
				sets[inventory.Key(r.AvailabilitySet)] = true
				put(typeAvailabilitySet, crg, r.AvailabilitySet)
			}
			if r.NetworkSecurityGroup != "" && u.members[unitKey(kindNSG, r.NetworkSecurityGroup)] {
				put(typeNSG, crg, r.NetworkSecurityGroup)
			}
			if len(r.Endpoints) > 0 {
				endpoints = true
			}
		}
		// "A virtual IP can only be migrated if there is an input endpoint
		// assigned to it"; it becomes a public IP with the cloud service's
		// name as its DNS name, associated with the new load balancer (deep
		// dive, translation table, "VIP address", "Cloud service name").
		// A reserved IP migrates with the cloud service as a static public
		// IP ("Reserved IPs"), carrying the DNS name when the VIP migrates.
		label := ""
		if endpoints {
			label = cs.Name
		}
		if cs.ReservedIP != "" && u.members[unitKey(kindReservedIP, cs.ReservedIP)] {
			ip := put(typePublicIP, crg, cs.ReservedIP)
			ip.Allocation, ip.DNSLabel = AllocationStatic, label
		} else if endpoints {
			ip := put(typePublicIP, crg, cs.Name+"-PublicIP")
			ip.Allocation, ip.DNSLabel = AllocationDynamic, label
		}
		if endpoints {
			put(typeLoadBalancer, crg, cs.Name+"-LB")
		}
	}
	return dedupe(out)
}

// dedupe drops repeated resources (one NSG on two subnets) keeping order.
func dedupe(in []ARMResource) []ARMResource {
	seen := map[string]bool{}
	out := in[:0]
	for _, r := range in {
		k := inventory.Key(r.Type + "|" + r.ResourceGroup + "|" + r.Name)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

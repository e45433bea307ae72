package inventory

import "strings"

// Resource ids, named as cli.md names them wherever resources appear.

// VNetID is the resource id of a classic VNet.
func VNetID(name string) string { return "vnet/" + name }

// CloudServiceID is the resource id of a cloud service.
func CloudServiceID(name string) string { return "cloudservice/" + name }

// VMID is the resource id of a VM role in a cloud service.
func VMID(cloudService, vm string) string { return "cloudservice/" + cloudService + "/" + vm }

// AvailabilitySetID is the resource id of an availability set.
func AvailabilitySetID(cloudService, set string) string {
	return "availabilityset/" + cloudService + "/" + set
}

// GatewayID is the resource id of a VNet gateway.
func GatewayID(vnet, kind string) string { return "gateway/" + vnet + "/" + kind }

// StorageID is the resource id of a storage account.
func StorageID(account string) string { return "storage/" + account }

// DiskID is the resource id of a registered disk.
func DiskID(account, disk string) string { return "disk/" + account + "/" + disk }

// ImageID is the resource id of a classic VM image.
func ImageID(account, image string) string { return "image/" + account + "/" + image }

// NSGID is the resource id of a network security group.
func NSGID(name string) string { return "nsg/" + name }

// RouteTableID is the resource id of a route table.
func RouteTableID(name string) string { return "routetable/" + name }

// ReservedIPID is the resource id of a reserved IP.
func ReservedIPID(name string) string { return "reservedip/" + name }

// Key folds a name for case-insensitive look-ups (Azure's rule).
func Key(name string) string { return strings.ToLower(name) }

// DiskRef locates a registered disk.
type DiskRef struct {
	Account *StorageAccount
	Disk    *Disk
}

// VMRef locates a VM role.
type VMRef struct {
	CloudService *CloudService
	Role         *Role
}

// Index answers case-insensitive look-ups by name. It points into the
// inventory it was built from; build it again after changing the inventory.
type Index struct {
	Storage     map[string]*StorageAccount
	Disks       map[string]DiskRef
	VNets       map[string]*VirtualNetwork
	Services    map[string]*CloudService
	NSGs        map[string]*NetworkSecurityGroup
	RouteTables map[string]*RouteTable
	ReservedIPs map[string]*ReservedIP
	Circuits    map[string]*ExpressRouteCircuit
	// DiskOwner maps a disk key to the VM that attaches it.
	DiskOwner map[string]VMRef
}

// NewIndex indexes inv. Duplicate names keep the first occurrence (Load
// refuses duplicates, so this only matters for unchecked inventories).
func NewIndex(inv *Inventory) *Index {
	// Maps are sized up front: growing a map of 100k disks rehashes it
	// again and again, which was the largest part of building the index.
	n := countOf(inv)
	ix := &Index{
		Storage:     make(map[string]*StorageAccount, len(inv.StorageAccounts)),
		Disks:       make(map[string]DiskRef, n.disks),
		VNets:       make(map[string]*VirtualNetwork, len(inv.VirtualNetworks)),
		Services:    make(map[string]*CloudService, len(inv.CloudServices)),
		NSGs:        make(map[string]*NetworkSecurityGroup, len(inv.NetworkSecurityGroups)),
		RouteTables: make(map[string]*RouteTable, len(inv.RouteTables)),
		ReservedIPs: make(map[string]*ReservedIP, len(inv.ReservedIPs)),
		Circuits:    make(map[string]*ExpressRouteCircuit, len(inv.ExpressRouteCircuits)),
		DiskOwner:   make(map[string]VMRef, n.attachments),
	}
	for i := range inv.StorageAccounts {
		sa := &inv.StorageAccounts[i]
		putOnce(ix.Storage, sa.Name, sa)
		for j := range sa.Disks {
			putOnce(ix.Disks, sa.Disks[j].Name, DiskRef{Account: sa, Disk: &sa.Disks[j]})
		}
	}
	for i := range inv.VirtualNetworks {
		putOnce(ix.VNets, inv.VirtualNetworks[i].Name, &inv.VirtualNetworks[i])
	}
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		putOnce(ix.Services, cs.Name, cs)
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			if r.OSDisk != "" {
				putOnce(ix.DiskOwner, r.OSDisk, VMRef{cs, r})
			}
			for _, d := range r.DataDisks {
				putOnce(ix.DiskOwner, d.Disk, VMRef{cs, r})
			}
		}
	}
	for i := range inv.NetworkSecurityGroups {
		putOnce(ix.NSGs, inv.NetworkSecurityGroups[i].Name, &inv.NetworkSecurityGroups[i])
	}
	for i := range inv.RouteTables {
		putOnce(ix.RouteTables, inv.RouteTables[i].Name, &inv.RouteTables[i])
	}
	for i := range inv.ReservedIPs {
		putOnce(ix.ReservedIPs, inv.ReservedIPs[i].Name, &inv.ReservedIPs[i])
	}
	for i := range inv.ExpressRouteCircuits {
		putOnce(ix.Circuits, inv.ExpressRouteCircuits[i].Name, &inv.ExpressRouteCircuits[i])
	}
	return ix
}

func putOnce[V any](m map[string]V, name string, v V) {
	k := Key(name)
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// counts are the sizes of inv's nested lists, to size maps before filling
// them.
type counts struct {
	disks, images, roles, attachments int
}

func countOf(inv *Inventory) counts {
	var n counts
	for i := range inv.StorageAccounts {
		n.disks += len(inv.StorageAccounts[i].Disks)
		n.images += len(inv.StorageAccounts[i].Images)
	}
	for i := range inv.CloudServices {
		roles := inv.CloudServices[i].Deployment.Roles
		n.roles += len(roles)
		for j := range roles {
			if roles[j].OSDisk != "" {
				n.attachments++
			}
			n.attachments += len(roles[j].DataDisks)
		}
	}
	return n
}

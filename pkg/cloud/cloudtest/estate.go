package cloudtest

import (
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Names in the suite's estate, for drivers' own tests that reuse it.
const (
	VNet          = "suite-vnet"
	ServiceWeb    = "suite-web"    // in VNet; web1 carries the XML extension BGInfo
	ServiceApp    = "suite-app"    // in VNet
	ServiceLegacy = "suite-legacy" // not in a VNet: its own unit
	Storage       = "suitevhds"    // holds the disks of every VM above
	NSG           = "suite-nsg"    // unattached: its own unit
	ReservedIP    = "suite-ip"     // unattached: its own unit
)

// Unit ids of the suite's units.
const (
	UnitVNet       = "vnet/" + VNet
	UnitLegacy     = "cloudservice/" + ServiceLegacy
	UnitStorage    = "storage/" + Storage
	UnitNSG        = "nsg/" + NSG
	UnitReservedIP = "reservedip/" + ReservedIP
)

// Target builds the target for a unit id ("<kind>/<name>") as the phases
// would: a cloud service's deployment is "<name>-prod" in the suite's estate.
func Target(unitID string) cloud.Target {
	kind, name, _ := strings.Cut(unitID, "/")
	t := cloud.Target{Unit: unitID, Kind: kind, Name: name}
	if kind == "cloudservice" {
		t.Deployment = name + "-prod"
	}
	return t
}

// Units lists every unit id of the suite's estate.
func Units() []string {
	return []string{UnitVNet, UnitLegacy, UnitStorage, UnitNSG, UnitReservedIP}
}

// Inventory returns the suite's small classic estate: a VNet holding two
// cloud services (one VM with an XML extension, so Validate warns), a cloud
// service not in a VNet, a storage account with the disks of all those VMs,
// and an unattached NSG and reserved IP. Each call returns a fresh copy.
func Inventory() *inventory.Inventory {
	vm := func(name, subnet, os string, data ...string) inventory.Role {
		r := inventory.Role{Name: name, Kind: inventory.RoleVirtualMachine, Size: "Standard_D1",
			State: "Running", OSDisk: os}
		if subnet != "" {
			r.Subnets = []string{subnet}
		}
		for i, d := range data {
			r.DataDisks = append(r.DataDisks, inventory.DataDisk{Disk: d, LUN: i})
		}
		return r
	}
	web1 := vm("web1", "web", "web1-os")
	web1.AvailabilitySet = "web-as"
	web1.Extensions = []inventory.Extension{{Publisher: "Microsoft.Compute", Name: "BGInfo", Version: "1.*", Format: "xml"}}
	web2 := vm("web2", "web", "web2-os")
	web2.AvailabilitySet = "web-as"
	legacy1 := vm("legacy1", "", "legacy1-os")
	legacy1.Endpoints = []inventory.Endpoint{{Name: "http", Protocol: "tcp", PublicPort: 80, LocalPort: 80}}
	disk := func(name string) inventory.Disk {
		return inventory.Disk{Name: name, VHDURI: "https://" + Storage + ".blob.core.windows.net/vhds/" + name + ".vhd", SizeGiB: 30}
	}
	return &inventory.Inventory{
		SchemaVersion:   inventory.SchemaVersion,
		SubscriptionID:  "6c1b0b6f-0000-4000-8000-00000000c10d",
		DefaultLocation: "West US",
		Target:          inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: inventory.DefaultResourceGroupSuffix},
		StorageAccounts: []inventory.StorageAccount{{
			Name: Storage, Location: "West US", AccountType: "Standard_LRS",
			Disks: []inventory.Disk{disk("web1-os"), disk("web2-os"), disk("app1-os"), disk("app1-data"), disk("legacy1-os")},
		}},
		VirtualNetworks: []inventory.VirtualNetwork{{
			Name: VNet, Location: "West US", AddressSpace: []string{"10.0.0.0/16"},
			Subnets: []inventory.Subnet{{Name: "web", AddressPrefix: "10.0.1.0/24"}, {Name: "app", AddressPrefix: "10.0.2.0/24"}},
		}},
		CloudServices: []inventory.CloudService{
			{Name: ServiceWeb, Location: "West US", Deployment: inventory.Deployment{
				Name: ServiceWeb + "-prod", Slot: "Production", VirtualNetwork: VNet,
				Roles: []inventory.Role{web1, web2}}},
			{Name: ServiceApp, Location: "West US", Deployment: inventory.Deployment{
				Name: ServiceApp + "-prod", Slot: "Production", VirtualNetwork: VNet,
				Roles: []inventory.Role{vm("app1", "app", "app1-os", "app1-data")}}},
			{Name: ServiceLegacy, Location: "West US", Deployment: inventory.Deployment{
				Name: ServiceLegacy + "-prod", Slot: "Production",
				Roles: []inventory.Role{legacy1}}},
		},
		NetworkSecurityGroups: []inventory.NetworkSecurityGroup{{Name: NSG, Location: "West US"}},
		ReservedIPs:           []inventory.ReservedIP{{Name: ReservedIP, Location: "West US", Address: "40.112.0.10"}},
	}
}

package plan

import "github.com/migrate-tool/migrate/pkg/inventory"

// sampleInventory is a small estate for tests that exercises every unit
// kind: shared NSGs, a destination VNet, blobs-only and multi-VNet storage,
// names with spaces and unattached resources.
func sampleInventory() *inventory.Inventory {
	vm := func(name, os string, data ...string) inventory.Role {
		r := inventory.Role{Name: name, Kind: inventory.RoleVirtualMachine, OSDisk: os}
		for i, d := range data {
			r.DataDisks = append(r.DataDisks, inventory.DataDisk{Disk: d, LUN: i})
		}
		return r
	}
	web1 := vm("web1", "web1-os", "web1-data0")
	web1.AvailabilitySet = "web-as"
	web1.NetworkSecurityGroup = "vm-nsg"
	db1 := vm("db1", "db1-os")
	db1.NetworkSecurityGroup = "DB-NSG" // case differs from the NSG's own spelling
	return &inventory.Inventory{
		SchemaVersion:  1,
		SubscriptionID: "sub",
		Target:         inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: "-Migrated"},
		StorageAccounts: []inventory.StorageAccount{
			{Name: "contosovhds", Disks: []inventory.Disk{
				{Name: "web1-os", SizeGiB: 30}, {Name: "web1-data0", SizeGiB: 128},
				{Name: "app1-os", SizeGiB: 30}, {Name: "legacy1-os", SizeGiB: 30},
				{Name: "old-data", SizeGiB: 128},
			}, Images: []inventory.Image{{Name: "golden-2019"}}},
			{Name: "logsblobs", BlobsOnly: true},
			{Name: "Other Store", Disks: []inventory.Disk{{Name: "db1-os", SizeGiB: 127}}},
		},
		VirtualNetworks: []inventory.VirtualNetwork{
			{Name: "contoso-vnet", Subnets: []inventory.Subnet{
				{Name: "web", NetworkSecurityGroup: "web-nsg", RouteTable: "web-routes"},
				{Name: "app", NetworkSecurityGroup: "shared-nsg"},
			}, Gateways: []inventory.Gateway{{Kind: inventory.GatewayVpn}}},
			{Name: "Group rg legacy-vnet", Subnets: []inventory.Subnet{
				{Name: "default", NetworkSecurityGroup: "shared-nsg"},
			}},
			{Name: "empty-vnet"},
		},
		CloudServices: []inventory.CloudService{
			{Name: "contoso-web", ReservedIP: "web-ip", Deployment: inventory.Deployment{
				VirtualNetwork: "contoso-vnet",
				Roles:          []inventory.Role{web1, {Name: "worker", Kind: inventory.RoleWorkerRole}},
			}},
			{Name: "contoso-app", Deployment: inventory.Deployment{
				VirtualNetwork: "group rg LEGACY-vnet",
				Roles:          []inventory.Role{vm("app1", "app1-os")},
			}},
			{Name: "legacy-svc", ReservedIP: "legacy-ip", Deployment: inventory.Deployment{
				Destination: &inventory.Destination{ResourceGroup: "contoso-vnet-Migrated", VirtualNetwork: "Contoso-VNet", Subnet: "web"},
				Roles:       []inventory.Role{vm("legacy1", "legacy1-os")},
			}},
			{Name: "db-svc", Deployment: inventory.Deployment{
				Roles: []inventory.Role{db1},
			}},
		},
		NetworkSecurityGroups: []inventory.NetworkSecurityGroup{
			{Name: "web-nsg"}, {Name: "shared-nsg"}, {Name: "vm-nsg"}, {Name: "db-nsg"}, {Name: "lonely-nsg"},
		},
		RouteTables: []inventory.RouteTable{{Name: "web-routes"}, {Name: "spare-routes"}},
		ReservedIPs: []inventory.ReservedIP{{Name: "web-ip"}, {Name: "legacy-ip"}, {Name: "spare-ip"}},
	}
}

package validate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// ruleCase is one rule's pair of near-identical estates: on fire the rule
// reports resource (in unit, with severity and a message containing msg); on
// calm it reports nothing.
type ruleCase struct {
	name     string
	rule     string
	fire     func(inv *inventory.Inventory)
	calm     func(inv *inventory.Inventory)
	severity Severity
	resource string
	unit     string
	msg      string
}

func ruleCases() []ruleCase {
	const (
		vnetUnit = "vnet/vnet1"
		vmRes    = "cloudservice/cs1/vm1"
	)
	nop := func(*inventory.Inventory) {}
	ext := func(publisher, name, format string) func(inv *inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			vm1(inv).Extensions = append(vm1(inv).Extensions, inventory.Extension{Publisher: publisher, Name: name, Version: "1.0", Format: format})
		}
	}
	circuit := func(model, sub string, vpn bool) func(inv *inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			inv.ExpressRouteCircuits = []inventory.ExpressRouteCircuit{{Name: "hq", Model: model, SubscriptionID: sub}}
			vn := &inv.VirtualNetworks[0]
			vn.Gateways = []inventory.Gateway{{Kind: inventory.GatewayExpressRoute, Circuit: "hq"}}
			if vpn {
				vn.Gateways = append(vn.Gateways, inventory.Gateway{Kind: inventory.GatewayVpn, SKU: "Basic"})
			}
		}
	}
	manyVMs := func(n int) func(inv *inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			cs := &inv.CloudServices[0]
			for i := 1; i < n; i++ {
				cs.Deployment.Roles = append(cs.Deployment.Roles, inventory.Role{
					Name: fmt.Sprintf("bulk%03d", i), Kind: inventory.RoleVirtualMachine, Size: "Small", Subnets: []string{"web"},
				})
			}
		}
	}
	vpnSite := func(state, prefix string) func(inv *inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			inv.VirtualNetworks[0].Gateways = []inventory.Gateway{{Kind: inventory.GatewayVpn, SKU: "Basic",
				Connections: []inventory.GatewayConnection{{LocalNetworkSite: "hq", AddressSpace: []string{prefix}, State: state}}}}
		}
	}
	// destination adds cloud service "lone", not in a VNet, in region with
	// vms VMs moving into rg/vnet subnet web.
	destination := func(region, rg, vnet string, vms int) func(inv *inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			cs := addCloudService(inv, "lone", "")
			cs.Location = region
			cs.ReservedIP = "lone-ip"
			inv.ReservedIPs = append(inv.ReservedIPs, inventory.ReservedIP{Name: "lone-ip", Location: region})
			cs.Deployment.Destination = &inventory.Destination{ResourceGroup: rg, VirtualNetwork: vnet, Subnet: "web"}
			for i := 0; i < vms; i++ {
				r := withEndpoint(inventory.Role{Name: fmt.Sprintf("lone%03d", i), Kind: inventory.RoleVirtualMachine, Size: "Standard_D1", State: "Running"})
				cs.Deployment.Roles = append(cs.Deployment.Roles, r)
			}
		}
	}
	quota := func(cores int) func(inv *inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			inv.Target.Quotas = map[string]inventory.Quota{"west us": {Cores: intp(cores)}}
		}
	}
	stack := func(cloud string, mutate func(inv *inventory.Inventory)) func(inv *inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			inv.Target.Cloud = cloud
			mutate(inv)
		}
	}
	bigDisk := func(inv *inventory.Inventory) { inv.StorageAccounts[0].Disks[1] = testDisk("store1", "vm1-data", 2048) }
	premium := func(inv *inventory.Inventory) { inv.StorageAccounts[0].AccountType = "Premium_LRS" }

	cases := []ruleCase{
		{name: "endpoint acl", rule: RuleEndpointACL, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "VM vm1 in HostedService cs1 has Endpoint http with an access control list",
			fire: func(inv *inventory.Inventory) {
				vm1(inv).Endpoints = []inventory.Endpoint{{Name: "http", Protocol: "tcp", PublicPort: 80, LocalPort: 80,
					ACL: []inventory.ACL{{Order: 100, Action: "permit", RemoteSubnet: "10.1.0.0/16"}}}}
			},
			calm: func(inv *inventory.Inventory) {
				vm1(inv).Endpoints = []inventory.Endpoint{{Name: "http", Protocol: "tcp", PublicPort: 80, LocalPort: 80, ACL: []inventory.ACL{}}}
			}},
		{name: "application gateway", rule: RuleApplicationGateway, severity: SeverityError, resource: vnetUnit, unit: vnetUnit,
			msg: "Virtual Network vnet1 because it has non-gateway PaaS deployments: Application Gateway ag1",
			fire: func(inv *inventory.Inventory) {
				inv.VirtualNetworks[0].ApplicationGateways = []inventory.ApplicationGateway{{Name: "ag1"}}
			},
			calm: func(inv *inventory.Inventory) {
				inv.VirtualNetworks[0].ApplicationGateways = []inventory.ApplicationGateway{}
			}},
		{name: "vnet peering", rule: RuleVNetPeering, severity: SeverityError, resource: vnetUnit, unit: vnetUnit,
			msg: "has Peering to-hub to hub",
			fire: func(inv *inventory.Inventory) {
				inv.VirtualNetworks[0].Peerings = []inventory.Peering{{Name: "to-hub", RemoteVirtualNetwork: "hub"}}
			},
			calm: func(inv *inventory.Inventory) { inv.VirtualNetworks[0].Peerings = []inventory.Peering{} }},
		{name: "multiple subnets", rule: RuleMultipleSubnetsPerVM, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "has network interfaces in 2 subnets (web, app)",
			fire: func(inv *inventory.Inventory) {
				inv.VirtualNetworks[0].Subnets = append(inv.VirtualNetworks[0].Subnets, inventory.Subnet{Name: "app", AddressPrefix: "10.0.2.0/24"})
				vm1(inv).Subnets = []string{"web", "app"}
			},
			// Two NICs in one subnet (spelt in two cases) migrate.
			calm: func(inv *inventory.Inventory) {
				inv.VirtualNetworks[0].Subnets = append(inv.VirtualNetworks[0].Subnets, inventory.Subnet{Name: "app", AddressPrefix: "10.0.2.0/24"})
				vm1(inv).Subnets = []string{"app", "APP"}
			}},
		{name: "vm without subnet", rule: RuleVMWithoutSubnet, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg:  "VM vm1 in HostedService cs1 is in Virtual Network vnet1 but in none of its subnets",
			fire: func(inv *inventory.Inventory) { vm1(inv).Subnets = nil },
			calm: func(inv *inventory.Inventory) {
				vm1(inv).Subnets = nil
				inv.CloudServices[0].Deployment.VirtualNetwork = ""
			}},
		{name: "boot diagnostics premium", rule: RuleBootDiagnosticsPremium, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "boot diagnostics enabled into Premium storage account premdiag",
			fire: func(inv *inventory.Inventory) {
				inv.StorageAccounts = append(inv.StorageAccounts, inventory.StorageAccount{Name: "premdiag", Location: testRegion, AccountType: "Premium_LRS"})
				vm1(inv).BootDiagnostics = &inventory.BootDiagnostics{Enabled: true, StorageAccount: "PremDiag"}
			},
			calm: func(inv *inventory.Inventory) {
				inv.StorageAccounts = append(inv.StorageAccounts, inventory.StorageAccount{Name: "premdiag", Location: testRegion, AccountType: "Premium_LRS"})
				vm1(inv).BootDiagnostics = &inventory.BootDiagnostics{Enabled: true, StorageAccount: "store1"}
			}},
		{name: "web worker roles", rule: RuleWebWorkerRoles, severity: SeverityError, resource: "cloudservice/paas", unit: "cloudservice/paas",
			msg: "Migration isn't supported for Deployment paas-prod in HostedService paas because it's a PaaS deployment (Web/Worker): WebRole front",
			fire: func(inv *inventory.Inventory) {
				addCloudService(inv, "paas", "", inventory.Role{Name: "front", Kind: inventory.RoleWebRole, Size: "Small"})
			},
			calm: func(inv *inventory.Inventory) {
				addVMWithDisk(inv, addCloudService(inv, "paas", ""), "front", "")
			}},
		{name: "vnet web worker roles", rule: RuleVNetWebWorkerRoles, severity: SeverityError, resource: vnetUnit, unit: vnetUnit,
			msg: "holds both Virtual Machine deployments (HostedService cs1) and PaaS deployments (Web/Worker) (HostedService paas)",
			fire: func(inv *inventory.Inventory) {
				addCloudService(inv, "paas", "vnet1", inventory.Role{Name: "back", Kind: inventory.RoleWorkerRole, Size: "Small", Subnets: []string{"web"}})
			},
			calm: func(inv *inventory.Inventory) {
				addCloudService(inv, "paas", "", inventory.Role{Name: "back", Kind: inventory.RoleWorkerRole, Size: "Small"})
			}},
		{name: "multiple availability sets", rule: RuleMultipleAvailabilitySets, severity: SeverityError, resource: "cloudservice/cs1", unit: vnetUnit,
			msg: "because it has multiple Availability Sets (as-a, as-b)",
			fire: func(inv *inventory.Inventory) {
				vm1(inv).AvailabilitySet = "as-b"
				addVMWithDisk(inv, &inv.CloudServices[0], "vm2", "10.0.1.5").AvailabilitySet = "as-a"
			},
			calm: func(inv *inventory.Inventory) {
				vm1(inv).AvailabilitySet = "AS-A"
				addVMWithDisk(inv, &inv.CloudServices[0], "vm2", "10.0.1.5").AvailabilitySet = "as-a"
			}},
		{name: "mixed availability set", rule: RuleMixedAvailabilitySet, severity: SeverityError, resource: "availabilityset/cs1/as-a", unit: vnetUnit,
			msg: "has VMs that are not part of the Availability Set even though the HostedService contains one (not in as-a: vm2)",
			fire: func(inv *inventory.Inventory) {
				vm1(inv).AvailabilitySet = "as-a"
				addVMWithDisk(inv, &inv.CloudServices[0], "vm2", "10.0.1.5")
			},
			calm: func(inv *inventory.Inventory) {
				vm1(inv).AvailabilitySet = "as-a"
				addVMWithDisk(inv, &inv.CloudServices[0], "vm2", "10.0.1.5").AvailabilitySet = "as-a"
			}},
		{name: "security center extension", rule: RuleSecurityCenterExtension, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg:  "VM vm1 in HostedService cs1 contains Extension Monitoring from publisher Microsoft.Azure.Security.Monitoring",
			fire: ext("Microsoft.Azure.Security.Monitoring", "Monitoring", "json"),
			calm: ext("Microsoft.Azure.Security", "IaaSAntimalware", "json")},
		{name: "backup extension", rule: RuleBackupExtension, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg:  "VM vm1 in HostedService cs1 contains Extension VMSnapshotLinux, which is currently not supported for Migration",
			fire: ext("Microsoft.Azure.RecoveryServices", "VMSnapshotLinux", "json"),
			calm: ext("Microsoft.Azure.RecoveryServices", "VMSnapshotHelper", "json")},
		{name: "site recovery extension", rule: RuleSiteRecoveryExtension, severity: SeverityWarning, resource: vmRes, unit: vnetUnit,
			msg:  "contains Extension Mobility from publisher microsoft.azure.recoveryservices.siterecovery.windows (Site Recovery)",
			fire: ext("microsoft.azure.recoveryservices.siterecovery.windows", "Mobility", "json"),
			calm: ext("Microsoft.Azure.RecoveryServices", "Mobility", "json")},
		{name: "xml extension", rule: RuleXMLExtension, severity: SeverityWarning, resource: vmRes, unit: vnetUnit,
			msg:  "VM vm1 in HostedService cs1 contains Extension BGInfo which isn't supported in Azure Resource Manager.",
			fire: ext("Microsoft.Compute", "BGInfo", "xml"),
			calm: ext("Microsoft.Compute", "BGInfo", "json")},
		{name: "alert rules", rule: RuleAlertsAutoscale, severity: SeverityWarning, resource: vmRes, unit: vnetUnit,
			msg:  "has 2 alert rules, which aren't migrated",
			fire: func(inv *inventory.Inventory) { vm1(inv).AlertRules = 2 },
			calm: nop},
		{name: "autoscale", rule: RuleAlertsAutoscale, severity: SeverityWarning, resource: vmRes, unit: vnetUnit,
			msg:  "has autoscale settings, which aren't migrated",
			fire: func(inv *inventory.Inventory) { vm1(inv).Autoscale = true },
			calm: func(inv *inventory.Inventory) { vm1(inv).Autoscale = false }},
		{name: "classic expressroute circuit", rule: RuleClassicExpressRouteCircuit, severity: SeverityError, resource: "gateway/vnet1/ExpressRoute", unit: vnetUnit,
			msg:  "uses circuit hq, which is in the classic deployment model",
			fire: circuit("Classic", "", false),
			calm: circuit("ResourceManager", "", false)},
		{name: "expressroute other subscription", rule: RuleExpressRouteOtherSubscription, severity: SeverityError, resource: "gateway/vnet1/ExpressRoute", unit: vnetUnit,
			msg:  "uses circuit hq in subscription 00000000-0000-0000-0000-00000000beef",
			fire: circuit("ResourceManager", "00000000-0000-0000-0000-00000000beef", false),
			calm: circuit("ResourceManager", strings.ToUpper(testSub), false)},
		{name: "expressroute and vpn", rule: RuleExpressRouteAndVPN, severity: SeverityError, resource: vnetUnit, unit: vnetUnit,
			msg:  "Virtual Network vnet1 has both an ExpressRoute gateway and a VPN gateway",
			fire: circuit("ResourceManager", "", true),
			calm: circuit("ResourceManager", "", false)},
		{name: "transitional state", rule: RuleVMTransitionalState, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg:  "Migration isn't allowed for HostedService cs1 because it has VM vm1 in State: RoleStateUnknown.",
			fire: func(inv *inventory.Inventory) { vm1(inv).State = "RoleStateUnknown" },
			calm: func(inv *inventory.Inventory) { vm1(inv).State = "StoppedDeallocated" }},
		{name: "provisioning state", rule: RuleVMTransitionalState, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg:  "in State: Provisioning.",
			fire: func(inv *inventory.Inventory) { vm1(inv).State = "Provisioning" },
			calm: func(inv *inventory.Inventory) { vm1(inv).State = "stopped" }},
		{name: "blob name slash, attached", rule: RuleBlobNameSlash, severity: SeverityError, resource: "disk/store1/vm1-os", unit: vnetUnit,
			msg: "VM vm1 in HostedService cs1 contains Disk with MediaLink https://store1.blob.core.windows.net/vhds/2019/vm1-os.vhd which has blob name 2019/vm1-os.vhd",
			fire: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].Disks[0].VHDURI = "https://store1.blob.core.windows.net/vhds/2019/vm1-os.vhd"
			},
			calm: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].Disks[0].VHDURI = "https://store1.blob.core.windows.net/vhds2019/vm1-os.vhd"
			}},
		{name: "blob name slash, unattached", rule: RuleBlobNameSlash, severity: SeverityError, resource: "disk/store1/old", unit: "storage/store1",
			msg: "Disk old in Storage account store1 has MediaLink https://store1.blob.core.windows.net/vhds/a/b/old.vhd with blob name a/b/old.vhd",
			fire: func(inv *inventory.Inventory) {
				d := testDisk("store1", "old", 10)
				d.VHDURI = "https://store1.blob.core.windows.net/vhds/a/b/old.vhd"
				inv.StorageAccounts[0].Disks = append(inv.StorageAccounts[0].Disks, d)
			},
			calm: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].Disks = append(inv.StorageAccounts[0].Disks, testDisk("store1", "old", 10))
			}},
		{name: "disk size mismatch", rule: RuleDiskSizeMismatch, severity: SeverityWarning, resource: "disk/store1/vm1-data", unit: vnetUnit,
			msg:  "contains a VM vm1 with Data Disk vm1-data whose physical blob size 137438953472 bytes doesn't match the VM Data Disk logical size 137438953472 bytes",
			fire: func(inv *inventory.Inventory) { inv.StorageAccounts[0].Disks[1].BlobSizeBytes = 128 << 30 },
			// An OS disk is not a data disk, and an absent blob size is not checked.
			calm: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].Disks[0].BlobSizeBytes = 1
				inv.StorageAccounts[0].Disks[1].BlobSizeBytes = 0
			}},
		{name: "private ip conflict", rule: RulePrivateIPConflict, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "VM vm1 in HostedService cs1 has private IP 10.0.1.4 in Virtual Network vnet1, which VM vm2 in HostedService cs2 also has (deallocated: vm2",
			fire: func(inv *inventory.Inventory) {
				addVMWithDisk(inv, addCloudService(inv, "cs2", "VNET1"), "vm2", "10.0.1.4").State = "StoppedDeallocated"
			},
			calm: func(inv *inventory.Inventory) {
				addVMWithDisk(inv, addCloudService(inv, "cs2", ""), "vm2", "10.0.1.4").State = "StoppedDeallocated"
			}},
		{name: "unassociated disk", rule: RuleUnassociatedDisk, severity: SeverityWarning, resource: "disk/store1/old", unit: "storage/store1",
			msg: "Disk old in Storage account store1 isn't attached to any VM",
			fire: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].Disks = append(inv.StorageAccounts[0].Disks, testDisk("store1", "old", 10))
			},
			calm: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].Disks = append(inv.StorageAccounts[0].Disks, testDisk("store1", "old", 10))
				vm1(inv).DataDisks = append(vm1(inv).DataDisks, inventory.DataDisk{Disk: "OLD", LUN: 1})
			}},
		{name: "classic image", rule: RuleClassicImage, severity: SeverityWarning, resource: "image/store1/golden", unit: "storage/store1",
			msg: "VM image golden in Storage account store1 is a classic image",
			fire: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].Images = []inventory.Image{{Name: "golden", VHDURI: "https://store1.blob.core.windows.net/images/g.vhd", Generalized: true}}
			},
			calm: nop},
		{name: "rbac on storage", rule: RuleRBACClassic, severity: SeverityWarning, resource: "storage/store1", unit: "storage/store1",
			msg: "Storage account store1 has 1 role assignments (Classic Storage Account Contributor for ops)",
			fire: func(inv *inventory.Inventory) {
				inv.StorageAccounts[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "ops", Role: "Classic Storage Account Contributor"}}
			},
			calm: func(inv *inventory.Inventory) { inv.StorageAccounts[0].RoleAssignments = []inventory.RoleAssignment{} }},
		{name: "rbac on vnet", rule: RuleRBACClassic, severity: SeverityWarning, resource: vnetUnit, unit: vnetUnit,
			msg: "Virtual Network vnet1 has 1 role assignments",
			fire: func(inv *inventory.Inventory) {
				inv.VirtualNetworks[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "net", Role: "Classic Network Contributor"}}
			},
			calm: nop},
		{name: "rbac on cloud service", rule: RuleRBACClassic, severity: SeverityWarning, resource: "cloudservice/cs1", unit: vnetUnit,
			msg: "HostedService cs1 has 1 role assignments",
			fire: func(inv *inventory.Inventory) {
				inv.CloudServices[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "app", Role: "Classic Virtual Machine Contributor"}}
			},
			calm: nop},
		{name: "provisioning timeout", rule: RuleVMProvisioningTimeout, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg:  "because it has VM vm1 in State: ProvisioningTimeout.",
			fire: func(inv *inventory.Inventory) { vm1(inv).State = "ProvisioningTimeout" },
			calm: func(inv *inventory.Inventory) { vm1(inv).State = "Provisioning" }},
		{name: "agent not ready", rule: RuleVMAgentNotReady, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "VM Agent for VM vm1 in HostedService cs1 is reporting the overall agent status as Not Ready",
			fire: func(inv *inventory.Inventory) {
				vm1(inv).AgentStatus = inventory.AgentNotReady
				ext("Microsoft.Azure.Diagnostics", "IaaSDiagnostics", "json")(inv)
			},
			// Deallocated, the agent's status does not matter.
			calm: func(inv *inventory.Inventory) {
				vm1(inv).AgentStatus = inventory.AgentNotReady
				vm1(inv).State = "StoppedDeallocated"
				ext("Microsoft.Azure.Diagnostics", "IaaSDiagnostics", "json")(inv)
			}},
		{name: "agent not ready without extensions", rule: RuleVMAgentNotReady, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "(it has BGInfo)",
			fire: func(inv *inventory.Inventory) {
				vm1(inv).AgentStatus = inventory.AgentNotReady
				ext("Microsoft.Compute", "BGInfo", "json")(inv)
			},
			// Only an XML extension, which the platform skips: nothing to report.
			calm: func(inv *inventory.Inventory) {
				vm1(inv).AgentStatus = inventory.AgentNotReady
				ext("Microsoft.Compute", "BGInfo", "xml")(inv)
			}},
		{name: "extension not reported", rule: RuleExtensionStatus, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "contains Extension IaaSDiagnostics whose Status isn't being reported from the VM",
			fire: func(inv *inventory.Inventory) {
				vm1(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics", Format: "json", Status: inventory.ExtensionNotReported}}
			},
			calm: func(inv *inventory.Inventory) {
				vm1(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics", Format: "json", Status: "Ready"}}
			}},
		{name: "extension handler status", rule: RuleExtensionStatus, severity: SeverityError, resource: vmRes, unit: vnetUnit,
			msg: "contains Extension IaaSDiagnostics reporting Handler Status: Unresponsive.",
			fire: func(inv *inventory.Inventory) {
				vm1(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics", Format: "json", Status: "Unresponsive"}}
			},
			calm: func(inv *inventory.Inventory) {
				vm1(inv).State = "Stopped"
				vm1(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics", Format: "json", Status: "Unresponsive"}}
			}},
		{name: "not regional scope", rule: RuleNotRegionalScope, severity: SeverityError, resource: "cloudservice/cs1", unit: vnetUnit,
			msg:  "Migration isn't allowed for Deployment cs1-prod in HostedService cs1 as it isn't in the regional scope (the cloud service is in affinity group ag-west)",
			fire: func(inv *inventory.Inventory) { inv.CloudServices[0].AffinityGroup = "ag-west" },
			calm: nop},
		{name: "gateway connection", rule: RuleGatewayConnection, severity: SeverityError, resource: "gateway/vnet1/Vpn", unit: vnetUnit,
			msg:  "Virtual Network vnet1 has a Vpn gateway connection to local network site hq in state NotConnected",
			fire: vpnSite("NotConnected", "192.168.0.0/16"),
			calm: vpnSite(inventory.ConnectionConnected, "192.168.0.0/16")},
		{name: "local site address space", rule: RuleLocalSiteAddressSpace, severity: SeverityError, resource: "gateway/vnet1/Vpn", unit: vnetUnit,
			msg:  `Local network site hq (connected to Virtual Network vnet1) has address prefix "192.168.1.0/16", which Resource Manager refuses: it has host bits set (the prefix is 192.168.0.0/16).`,
			fire: vpnSite(inventory.ConnectionConnected, "192.168.1.0/16"),
			calm: vpnSite(inventory.ConnectionConnected, "192.168.0.0/16")},
		{name: "local site address space not cidr", rule: RuleLocalSiteAddressSpace, severity: SeverityError, resource: "gateway/vnet1/Vpn", unit: vnetUnit,
			msg:  "it is not an IPv4 prefix in CIDR notation",
			fire: vpnSite(inventory.ConnectionConnected, "192.168.0.0-192.168.255.255"),
			calm: vpnSite("", "10.10.0.0/16")},
		{name: "destination in another region", rule: RuleDestinationVNet, severity: SeverityError, resource: "cloudservice/lone", unit: "cloudservice/lone",
			msg:  "HostedService lone is in East US but its destination virtual network vnet1 is in West US",
			fire: destination("East US", "vnet1-Migrated", "vnet1", 1),
			calm: destination(testRegion, "vnet1-Migrated", "vnet1", 1)},
		{name: "destination subnet full", rule: RuleDestinationVNet, severity: SeverityError, resource: "cloudservice/lone", unit: "cloudservice/lone",
			// web is a /24: 251 usable, vm1 uses one.
			msg:  "Subnet web (10.0.1.0/24) of virtual network vnet1 has 251 usable addresses, 1 used by its VMs, but 251 VMs move into it (HostedService lone).",
			fire: destination(testRegion, "vnet1-Migrated", "vnet1", 251),
			calm: destination(testRegion, "vnet1-Migrated", "vnet1", 250)},
		{name: "destination outside the inventory", rule: RuleDestinationVNet, severity: SeverityWarning, resource: "cloudservice/lone", unit: "cloudservice/lone",
			msg:  "moves into virtual network hub in resource group network-rg, which isn't a classic virtual network of this inventory",
			fire: destination(testRegion, "network-rg", "hub", 1),
			calm: destination(testRegion, "vnet1-Migrated", "vnet1", 1)},
		{name: "vip released", rule: RuleVIPDNSLost, severity: SeverityWarning, resource: "cloudservice/cs1", unit: "cloudservice/cs1",
			msg: "HostedService cs1 isn't in a virtual network and its VIP isn't reserved: Prepare deallocates its VMs, so the VIP is released",
			fire: func(inv *inventory.Inventory) {
				inv.CloudServices[0].Deployment.VirtualNetwork = ""
				vm1(inv).Subnets = nil
			},
			calm: func(inv *inventory.Inventory) {
				inv.CloudServices[0].Deployment.VirtualNetwork = ""
				vm1(inv).Subnets = nil
				inv.ReservedIPs = []inventory.ReservedIP{{Name: "cs1-ip", Location: testRegion}}
				inv.CloudServices[0].ReservedIP = "cs1-ip"
			}},
		{name: "vip and dns name not migrated", rule: RuleVIPDNSLost, severity: SeverityInfo, resource: "cloudservice/cs1", unit: vnetUnit,
			msg:  "HostedService cs1 has no input endpoint, so its VIP and its DNS name cs1.cloudapp.net are not migrated",
			fire: func(inv *inventory.Inventory) { vm1(inv).Endpoints = nil },
			calm: nop},
		{name: "quotas unchecked", rule: RuleQuotasUnchecked, severity: SeverityWarning, resource: "", unit: "",
			msg:  "target.quotas is not given, so the Resource Manager quotas that Prepare needs for 1 VMs",
			fire: func(inv *inventory.Inventory) { inv.Target.Quotas = nil },
			calm: nop},
		{name: "vm restart", rule: RuleVMRestart, severity: SeverityInfo, resource: vmRes, unit: "cloudservice/cs1",
			msg: "VM vm1 in HostedService cs1 isn't in a virtual network: Prepare stops, deallocates and restarts it",
			fire: func(inv *inventory.Inventory) {
				inv.CloudServices[0].Deployment.VirtualNetwork = ""
				vm1(inv).Subnets = nil
			},
			calm: nop},
		{name: "arm write throttle", rule: RuleARMWriteThrottle, severity: SeverityWarning, resource: vnetUnit, unit: vnetUnit,
			msg:  "Unit vnet/vnet1 moves 401 VMs (more than 400)",
			fire: manyVMs(401),
			calm: manyVMs(400)},
		{name: "arm quota cores", rule: RuleARMQuota, severity: SeverityError, resource: vnetUnit, unit: vnetUnit,
			msg:  "Unit vnet/vnet1 needs 1 cores in region west us; with the units before it in plan order that makes 1, but only 0 are free.",
			fire: quota(0),
			calm: quota(1)},
		{name: "arm quota unknown size", rule: RuleARMQuota, severity: SeverityWarning, resource: vmRes, unit: vnetUnit,
			msg: `VM vm1 in HostedService cs1 has size "Standard_Z9" whose core count is unknown`,
			fire: func(inv *inventory.Inventory) {
				quota(10)(inv)
				vm1(inv).Size = "Standard_Z9"
			},
			calm: func(inv *inventory.Inventory) {
				inv.Target.Quotas = map[string]inventory.Quota{testRegion: {NetworkInterfaces: intp(10)}}
				vm1(inv).Size = "Standard_Z9"
			}},
		{name: "stack disk too large", rule: RuleStackDiskTooLarge, severity: SeverityError, resource: "disk/store1/vm1-data", unit: "storage/store1",
			msg:  "Disk vm1-data in Storage account store1 is 2048 GiB; Azure Stack Hub managed disks are at most 1024 GiB (M30)",
			fire: stack(inventory.CloudAzureStackHub, bigDisk),
			calm: stack(inventory.CloudAzurePublic, bigDisk)},
		{name: "stack premium", rule: RuleStackPremiumNoGuarantee, severity: SeverityWarning, resource: "disk/store1/vm1-os", unit: "storage/store1",
			msg:  "Disk vm1-os in Storage account store1 (Premium_LRS) becomes a Premium managed disk on Azure Stack Hub",
			fire: stack(inventory.CloudAzureStackHub, premium),
			calm: stack(inventory.CloudAzurePublic, premium)},
		{name: "stack disaster recovery", rule: RuleStackNoDisasterRecovery, severity: SeverityWarning, resource: vmRes, unit: vnetUnit,
			msg:  "VM vm1 in HostedService cs1 contains Extension VMSnapshot (Backup); Azure Stack Hub offers no Backup",
			fire: stack(inventory.CloudAzureStackHub, ext("Microsoft.Azure.RecoveryServices", "VMSnapshot", "json")),
			calm: stack(inventory.CloudAzurePublic, ext("Microsoft.Azure.RecoveryServices", "VMSnapshot", "json"))},
	}
	for _, ps := range []struct{ rule, service, what string }{
		{RuleAppServiceEnvironment, inventory.PlatformAppServiceEnvironment, "an App Service Environment"},
		{RuleHDInsight, inventory.PlatformHDInsight, "an HDInsight cluster"},
		{RuleDynamicsLCS, inventory.PlatformDynamicsLifecycle, "Dynamics Lifecycle Services"},
		{RuleAPIManagement, inventory.PlatformApiManagement, "an API Management deployment"},
		{RuleAADDomainServices, inventory.PlatformAzureADDomainServices, "Azure AD Domain Services"},
	} {
		others := []string{}
		for _, s := range []string{inventory.PlatformAppServiceEnvironment, inventory.PlatformHDInsight, inventory.PlatformDynamicsLifecycle,
			inventory.PlatformApiManagement, inventory.PlatformAzureADDomainServices} {
			if s != ps.service {
				others = append(others, s)
			}
		}
		cases = append(cases, ruleCase{name: ps.rule, rule: ps.rule, severity: SeverityError, resource: vnetUnit, unit: vnetUnit,
			msg: fmt.Sprintf("Migration isn't supported for Virtual Network vnet1 because it has %s (%s) deployed into it.", ps.what, ps.service),
			fire: func(inv *inventory.Inventory) {
				inv.VirtualNetworks[0].PlatformServices = []string{strings.ToLower(ps.service)}
			},
			calm: func(inv *inventory.Inventory) { inv.VirtualNetworks[0].PlatformServices = others }})
	}
	return cases
}

func TestRules(t *testing.T) {
	for _, tc := range ruleCases() {
		t.Run(tc.name, func(t *testing.T) {
			inv := baseInventory()
			tc.fire(inv)
			got := ofRule(mustCheck(t, inv), tc.rule)
			found := false
			for _, f := range got {
				if f.Resource == tc.resource && strings.Contains(f.Message, tc.msg) {
					found = true
					if f.Severity != tc.severity || f.Unit != tc.unit {
						t.Errorf("fire: %s on %s: severity %s unit %q, want %s %q", tc.rule, f.Resource, f.Severity, f.Unit, tc.severity, tc.unit)
					}
					if f.Recommendation == "" {
						t.Errorf("fire: %s on %s has no recommendation", tc.rule, f.Resource)
					}
				}
			}
			if !found {
				t.Errorf("fire: no %s finding on %s with message containing %q; got %+v", tc.rule, tc.resource, tc.msg, got)
			}

			inv = baseInventory()
			tc.calm(inv)
			if got := ofRule(mustCheck(t, inv), tc.rule); len(got) > 0 {
				t.Errorf("calm: %s fired: %+v", tc.rule, got)
			}
		})
	}
}

// TestBaseInventoryIsClean guards the rule tests: the base estate must raise
// nothing, so each fire case shows one rule's doing.
func TestBaseInventoryIsClean(t *testing.T) {
	if fs := mustCheck(t, baseInventory()); len(fs) != 0 {
		t.Fatalf("findings on the base inventory: %+v", fs)
	}
}

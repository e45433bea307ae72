package sim

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Profiles: which platform the simulated cloud is.
//
// The inventory's target.cloud, when the cloud is first built, chooses it
// and the estate document keeps it, so later Opens (and other processes)
// see the same platform whatever inventory they pass; a cloud built before
// profiles existed is AzurePublic.
//
//   - AzurePublic and the sovereign clouds (AzureUSGovernment, AzureChina):
//     the classic side (Migrator, Discoverer) and, once a unit is
//     Committed, its Resource Manager VMs on unmanaged disks; the platform's
//     own conversion (cloud.PlatformConversion) and blob snapshots
//     (cloud.VHDSnapshots).
//   - AzureStackHub: no classic deployment model at all (Azure Stack Hub
//     has no Service Management endpoint): every Migrator call is refused
//     with a *cloud.OperationError and Classic reports no classic resource.
//     The inventory's VMs exist from the start as Resource Manager VMs on
//     unmanaged disks (the VHD page blobs of Resource Manager storage
//     accounts) in resource group <cloud service name>, with the role's
//     name, size, availability set (SKU Classic) and NIC <vm>-PrimaryNic.
//     No platform conversion (Azure Stack Hub's managed disks document:
//     "Migration ... Not yet supported"); managed disks refuse
//     StandardSSD_LRS, sizes over 1,023 GiB and, below disk API
//     2019-03-01 (Options.DiskAPIVersion), createOption Upload.

// hubNoClassic is the code and message every classic call answers on
// Azure Stack Hub.
const (
	hubNoClassicCode    = "NotSupported"
	hubNoClassicMessage = "Azure Stack Hub has no classic deployment model: it has no Service Management endpoint and no migration provider; its VMs are Resource Manager VMs already"
)

// Profile names the platform the cloud simulates: the inventory's
// target.cloud when the cloud was built (inventory.CloudAzurePublic for a
// cloud built before profiles).
func (s *Sim) Profile() string { return s.profile }

// hub reports whether the cloud is Azure Stack Hub.
func (s *Sim) hub() bool { return s.profile == inventory.CloudAzureStackHub }

// Platform returns the platform's own conversion of VMs to managed disks:
// s on Azure (public and sovereign), nil on Azure Stack Hub, which has
// none. Callers test for nil; the methods refuse on Hub all the same.
func (s *Sim) Platform() cloud.PlatformConversion {
	if s.hub() {
		return nil
	}
	return s
}

// profileOf is the profile a new cloud built from inv takes.
func profileOf(inv *inventory.Inventory) string {
	if inv == nil || inv.Target.Cloud == "" {
		return inventory.CloudAzurePublic
	}
	return inv.Target.Cloud
}

// refuseOnHub answers a classic call on Azure Stack Hub.
func (s *Sim) refuseOnHub(op string, t cloud.Target) error {
	if !s.hub() {
		return nil
	}
	id := t.Unit
	if id == "" {
		id = t.Kind + "/" + t.Name
	}
	return fmt.Errorf("%s %s: %w", strings.ToLower(op), id,
		&cloud.OperationError{Op: op, Unit: id, Code: hubNoClassicCode, Message: hubNoClassicMessage})
}

// buildHub makes the Resource Manager VMs an Azure Stack Hub cloud starts
// with: every VM role of the inventory, in resource group <cloud service>,
// in the power state the inventory gives.
func (s *Sim) buildHub(p *persisted) {
	for i := range s.topo.estate.CloudServices {
		cs := &s.topo.estate.CloudServices[i]
		for _, r := range cs.Deployment.Roles {
			s.addARMVM(p, cs, r, cs.Name, r.State)
		}
	}
}

// hubClassic is Classic on Azure Stack Hub: the subscription with no
// classic resource in it.
func hubClassic(e *inventory.Inventory) *inventory.Inventory {
	return &inventory.Inventory{SchemaVersion: e.SchemaVersion, SubscriptionID: e.SubscriptionID,
		DefaultLocation: e.DefaultLocation, Target: e.Target,
		StorageAccounts: []inventory.StorageAccount{}, VirtualNetworks: []inventory.VirtualNetwork{},
		CloudServices: []inventory.CloudService{}, NetworkSecurityGroups: []inventory.NetworkSecurityGroup{},
		RouteTables: []inventory.RouteTable{}, ReservedIPs: []inventory.ReservedIP{},
		ExpressRouteCircuits: []inventory.ExpressRouteCircuit{}}
}

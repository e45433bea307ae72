package sim

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Message categories of the platform's Validate.
const (
	categoryError   = "Error"
	categoryWarning = "Warning"
	categoryInfo    = "Information"
)

// settledRoleState reports whether the platform migrates a VM in role
// state st; anything else is a VM in the middle of an update.
func settledRoleState(st string) bool {
	switch strings.ToLower(st) {
	case "", "running", "stopped", "stoppeddeallocated":
		return true
	}
	return false
}

// validate returns the messages the real platform's Validate gives for u:
// only the checks it makes (not ExpressRoute+VPN, private IP conflicts or
// quotas, which fail only at Prepare or not at all: preparefail.go). p is
// kept for the checks that read the cloud's state.
func (t *topology) validate(u *unit, p *persisted) []cloud.Message {
	var msgs []cloud.Message
	add := func(resType, resName, category, vm, format string, args ...any) {
		msgs = append(msgs, cloud.Message{ResourceType: resType, ResourceName: resName,
			Category: category, Message: fmt.Sprintf(format, args...), VirtualMachine: vm})
	}
	if u.kind == kindVNet {
		v := t.ix.VNets[inventory.Key(u.name)]
		for _, pe := range v.Peerings {
			add("VirtualNetwork", v.Name, categoryError, "",
				"Virtual Network %s has Peering %s which isn't supported in Azure Resource Manager migration. Remove the peering and retry.", v.Name, pe.Name)
		}
		for _, ag := range v.ApplicationGateways {
			add("VirtualNetwork", v.Name, categoryError, "",
				"Virtual Network %s has Application Gateway %s deployed in it which isn't supported for migration to Azure Resource Manager.", v.Name, ag.Name)
		}
		for _, ps := range v.PlatformServices {
			add("VirtualNetwork", v.Name, categoryError, "",
				"Virtual Network %s has %s deployed in it which isn't supported for migration to Azure Resource Manager.", v.Name, ps)
		}
		hasVM, hasPaaS := false, false
		for _, cs := range u.services {
			for _, r := range cs.Deployment.Roles {
				if r.Kind == inventory.RoleWebRole || r.Kind == inventory.RoleWorkerRole {
					hasPaaS = true
				} else {
					hasVM = true
				}
			}
		}
		if hasVM && hasPaaS {
			add("VirtualNetwork", v.Name, categoryError, "",
				"Virtual Network %s contains both Virtual Machine deployments and Web/Worker role deployments, which isn't supported for migration.", v.Name)
		}
	}
	for _, cs := range u.services {
		t.validateService(cs, u, add)
	}
	// A storage account's Validate does not look at the VMs using its
	// disks, as the platform's does not (preparefail.go).
	return msgs
}

// validateService checks one cloud service's deployment and roles.
func (t *topology) validateService(cs *inventory.CloudService, u *unit, add func(resType, resName, category, vm, format string, args ...any)) {
	sets := map[string]bool{}
	inSet, notInSet := 0, 0
	for _, r := range cs.Deployment.Roles {
		if r.Kind == inventory.RoleWebRole || r.Kind == inventory.RoleWorkerRole {
			add("HostedService", cs.Name, categoryError, "",
				"Deployment %s in HostedService %s contains Role %s of type %s which isn't supported in Azure Resource Manager. Only Virtual Machine roles can be migrated.",
				cs.Deployment.Name, cs.Name, r.Name, r.Kind)
			continue
		}
		if r.AvailabilitySet != "" {
			sets[inventory.Key(r.AvailabilitySet)] = true
			inSet++
		} else {
			notInSet++
		}
		if !settledRoleState(r.State) {
			add("VirtualMachine", r.Name, categoryError, r.Name,
				"VM %s in HostedService %s is in an intermediate state %s. Wait for the operation to finish and retry.", r.Name, cs.Name, r.State)
		}
		if len(r.Subnets) > 1 {
			add("VirtualMachine", r.Name, categoryError, r.Name,
				"VM %s in HostedService %s has more than one subnet (multiple network interfaces in different subnets), which isn't supported in Azure Resource Manager migration.", r.Name, cs.Name)
		}
		if !u.notInVNet && len(r.Subnets) == 0 {
			add("VirtualMachine", r.Name, categoryError, r.Name,
				"VM %s in HostedService %s is in Virtual Network %s but not in any of its subnets.", r.Name, cs.Name, cs.Deployment.VirtualNetwork)
		}
		for _, ep := range r.Endpoints {
			if len(ep.ACL) > 0 {
				add("VirtualMachine", r.Name, categoryError, r.Name,
					"VM %s in HostedService %s has Endpoint %s with an ACL which isn't supported in Azure Resource Manager. Remove the endpoint ACL and retry.", r.Name, cs.Name, ep.Name)
			}
		}
		for _, ext := range r.Extensions {
			switch {
			case strings.EqualFold(ext.Publisher, "Microsoft.Azure.Security.Monitoring"):
				add("VirtualMachine", r.Name, categoryError, r.Name,
					"VM %s in HostedService %s contains Extension %s installed by Azure Security Center which isn't supported in Azure Resource Manager. Disable the Security Center policy to remove it and retry.", r.Name, cs.Name, ext.Name)
			case strings.EqualFold(ext.Name, "VMSnapshot") || strings.EqualFold(ext.Name, "VMSnapshotLinux"):
				add("VirtualMachine", r.Name, categoryError, r.Name,
					"VM %s in HostedService %s contains Extension %s installed by Azure Backup which isn't supported in Azure Resource Manager. Remove the extension and retry.", r.Name, cs.Name, ext.Name)
			case strings.EqualFold(ext.Format, "xml"):
				add("VirtualMachine", r.Name, categoryWarning, r.Name,
					"VM %s in HostedService %s contains Extension %s which isn't supported in Azure Resource Manager.", r.Name, cs.Name, ext.Name)
			}
		}
		if bd := r.BootDiagnostics; bd != nil && bd.Enabled {
			if sa, ok := t.ix.Storage[inventory.Key(bd.StorageAccount)]; ok && strings.EqualFold(sa.AccountType, "Premium_LRS") {
				add("VirtualMachine", r.Name, categoryError, r.Name,
					"VM %s in HostedService %s has boot diagnostics enabled into Premium storage account %s, which isn't supported in Azure Resource Manager migration.", r.Name, cs.Name, sa.Name)
			}
		}
	}
	if len(sets) > 1 {
		add("HostedService", cs.Name, categoryError, "",
			"HostedService %s contains VMs in more than one availability set, which isn't supported in Azure Resource Manager migration.", cs.Name)
	}
	if inSet > 0 && notInSet > 0 {
		add("HostedService", cs.Name, categoryError, "",
			"HostedService %s contains VMs in an availability set and VMs not in one, which isn't supported in Azure Resource Manager migration.", cs.Name)
	}
	if u.notInVNet {
		add("HostedService", cs.Name, categoryInfo, "",
			"The VMs of HostedService %s are not in a virtual network: Prepare stops and deallocates them.", cs.Name)
	}
}

// hasError reports whether msgs holds a message of category Error.
func hasError(msgs []cloud.Message) bool {
	for _, m := range msgs {
		if m.Category == categoryError {
			return true
		}
	}
	return false
}

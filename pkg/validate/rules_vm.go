package validate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Rules about single VM roles and the cloud services holding them.

// vmName names a VM the way the platform's messages do.
func vmName(cs *inventory.CloudService, r *inventory.Role) string {
	return fmt.Sprintf("VM %s in HostedService %s", r.Name, cs.Name)
}

func vmID(cs *inventory.CloudService, r *inventory.Role) string {
	return inventory.VMID(cs.Name, r.Name)
}

func checkEndpointACL(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		for _, ep := range r.Endpoints {
			if len(ep.ACL) > 0 {
				c.add(vmID(cs, r), fmt.Sprintf("%s has Endpoint %s with an access control list (%d rules), which isn't supported in Azure Resource Manager.",
					vmName(cs, r), ep.Name, len(ep.ACL)))
			}
		}
	})
}

// checkMultipleSubnets fires on a VM whose NICs are in more than one
// subnet: a VM with several NICs in one subnet migrates, each NIC becoming a
// network interface resource (technical deep dive, "Multiple network
// interfaces on a VM"). Subnet names compare case-insensitively.
func checkMultipleSubnets(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		var distinct []string
		seen := map[string]bool{}
		for _, s := range r.Subnets {
			if k := inventory.Key(s); !seen[k] {
				seen[k] = true
				distinct = append(distinct, s)
			}
		}
		if len(distinct) > 1 {
			c.add(vmID(cs, r), fmt.Sprintf("%s has network interfaces in %d subnets (%s); migration supports the network interfaces of a VM in one subnet only.",
				vmName(cs, r), len(distinct), strings.Join(distinct, ", ")))
		}
	})
}

func checkVMWithoutSubnet(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		if cs.Deployment.VirtualNetwork != "" && len(r.Subnets) == 0 {
			c.add(vmID(cs, r), fmt.Sprintf("%s is in Virtual Network %s but in none of its subnets.",
				vmName(cs, r), cs.Deployment.VirtualNetwork))
		}
	})
}

func checkBootDiagnosticsPremium(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		bd := r.BootDiagnostics
		if bd == nil || !bd.Enabled {
			return
		}
		sa := c.ix.Storage[inventory.Key(bd.StorageAccount)]
		if sa != nil && strings.EqualFold(sa.AccountType, "Premium_LRS") {
			c.add(vmID(cs, r), fmt.Sprintf("%s has boot diagnostics enabled into Premium storage account %s, which isn't supported for migration.",
				vmName(cs, r), sa.Name))
		}
	})
}

func checkWebWorkerRoles(c *checker) {
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		var roles []string
		for j := range cs.Deployment.Roles {
			if r := &cs.Deployment.Roles[j]; isWebWorker(r) {
				roles = append(roles, r.Kind+" "+r.Name)
			}
		}
		if len(roles) > 0 {
			c.add(inventory.CloudServiceID(cs.Name), fmt.Sprintf("Migration isn't supported for Deployment %s in HostedService %s because it's a PaaS deployment (Web/Worker): %s.",
				cs.Deployment.Name, cs.Name, strings.Join(roles, ", ")))
		}
	}
}

// availabilitySets returns the distinct availability sets (as first written,
// sorted case-insensitively) of a cloud service's VMs and the VMs in none.
func availabilitySets(cs *inventory.CloudService) (sets, outside []string) {
	seen := map[string]bool{}
	for j := range cs.Deployment.Roles {
		r := &cs.Deployment.Roles[j]
		if !isVM(r) {
			continue
		}
		if r.AvailabilitySet == "" {
			outside = append(outside, r.Name)
			continue
		}
		if k := inventory.Key(r.AvailabilitySet); !seen[k] {
			seen[k] = true
			sets = append(sets, r.AvailabilitySet)
		}
	}
	sort.Slice(sets, func(i, j int) bool { return inventory.Key(sets[i]) < inventory.Key(sets[j]) })
	return sets, outside
}

func checkMultipleAvailabilitySets(c *checker) {
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		if sets, _ := availabilitySets(cs); len(sets) > 1 {
			c.add(inventory.CloudServiceID(cs.Name), fmt.Sprintf("Migration isn't supported for Deployment %s in HostedService %s because it has multiple Availability Sets (%s).",
				cs.Deployment.Name, cs.Name, strings.Join(sets, ", ")))
		}
	}
}

// checkMixedAvailabilitySet names the availability set when there is one
// (the most specific resource), else the cloud service (multiple sets: that
// rule fires as well).
func checkMixedAvailabilitySet(c *checker) {
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		sets, outside := availabilitySets(cs)
		if len(sets) == 0 || len(outside) == 0 {
			continue
		}
		resource := inventory.CloudServiceID(cs.Name)
		if len(sets) == 1 {
			resource = inventory.AvailabilitySetID(cs.Name, sets[0])
		}
		c.add(resource, fmt.Sprintf("Migration isn't supported for Deployment %s in HostedService %s because it has VMs that are not part of the Availability Set even though the HostedService contains one (not in %s: %s).",
			cs.Deployment.Name, cs.Name, strings.Join(sets, ", "), strings.Join(outside, ", ")))
	}
}

// The extension kinds the rules look for.
const (
	publisherSecurityCenter = "Microsoft.Azure.Security.Monitoring"
	publisherSiteRecovery   = "Microsoft.Azure.RecoveryServices.SiteRecovery"
)

func isBackupExtension(e inventory.Extension) bool {
	return strings.EqualFold(e.Name, "VMSnapshot") || strings.EqualFold(e.Name, "VMSnapshotLinux")
}

func isSiteRecoveryExtension(e inventory.Extension) bool {
	return len(e.Publisher) >= len(publisherSiteRecovery) &&
		strings.EqualFold(e.Publisher[:len(publisherSiteRecovery)], publisherSiteRecovery)
}

// eachExtension calls fn for every extension of every VM.
func (c *checker) eachExtension(fn func(cs *inventory.CloudService, r *inventory.Role, e inventory.Extension)) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		for _, e := range r.Extensions {
			fn(cs, r, e)
		}
	})
}

func checkSecurityCenterExtension(c *checker) {
	c.eachExtension(func(cs *inventory.CloudService, r *inventory.Role, e inventory.Extension) {
		if strings.EqualFold(e.Publisher, publisherSecurityCenter) {
			c.add(vmID(cs, r), fmt.Sprintf("%s contains Extension %s from publisher %s (Security Center), which is currently not supported for Migration.",
				vmName(cs, r), e.Name, e.Publisher))
		}
	})
}

func checkBackupExtension(c *checker) {
	c.eachExtension(func(cs *inventory.CloudService, r *inventory.Role, e inventory.Extension) {
		if isBackupExtension(e) {
			c.add(vmID(cs, r), fmt.Sprintf("%s contains Extension %s, which is currently not supported for Migration. Uninstall it from the VM and add it back using Azure Resource Manager after the Migration is Complete.",
				vmName(cs, r), e.Name))
		}
	})
}

func checkSiteRecoveryExtension(c *checker) {
	c.eachExtension(func(cs *inventory.CloudService, r *inventory.Role, e inventory.Extension) {
		if isSiteRecoveryExtension(e) {
			c.add(vmID(cs, r), fmt.Sprintf("%s contains Extension %s from publisher %s (Site Recovery); replication is affected by the migration.",
				vmName(cs, r), e.Name, e.Publisher))
		}
	})
}

func checkXMLExtension(c *checker) {
	c.eachExtension(func(cs *inventory.CloudService, r *inventory.Role, e inventory.Extension) {
		if strings.EqualFold(e.Format, "xml") {
			c.add(vmID(cs, r), fmt.Sprintf("%s contains Extension %s which isn't supported in Azure Resource Manager.",
				vmName(cs, r), e.Name))
		}
	})
}

func checkAlertsAutoscale(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		var what []string
		if r.AlertRules > 0 {
			what = append(what, fmt.Sprintf("%d alert rules", r.AlertRules))
		}
		if r.Autoscale {
			what = append(what, "autoscale settings")
		}
		if len(what) > 0 {
			c.add(vmID(cs, r), fmt.Sprintf("%s has %s, which aren't migrated to Azure Resource Manager.",
				vmName(cs, r), strings.Join(what, " and ")))
		}
	})
}

// isStableState reports whether the platform migrates a VM in this state:
// Running, Stopped or StoppedDeallocated, any case; "" is Load's default,
// Running. Anything else fires: states in transition (RoleStateUnknown,
// Provisioning, Starting, Stopping) and raw instance statuses (ReadyRole,
// StoppedVM) that the inventory should have spelt as a power state.
func isStableState(state string) bool {
	switch strings.ToLower(state) {
	case "", "running", "stopped", "stoppeddeallocated":
		return true
	}
	return false
}

func checkVMTransitionalState(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		if !isStableState(r.State) && !isProvisioningTimeout(r.State) {
			c.add(vmID(cs, r), fmt.Sprintf("Migration isn't allowed for HostedService %s because it has VM %s in State: %s. Migration is allowed only when the VM is in one of the following states - Running, Stopped, Stopped Deallocated.",
				cs.Name, r.Name, r.State))
		}
	})
}

func isDeallocated(r *inventory.Role) bool { return strings.EqualFold(r.State, "StoppedDeallocated") }

// checkPrivateIPConflict groups the VMs of each VNet by private address in
// one map (O(n)) and reports every VM of a group of two or more.
func checkPrivateIPConflict(c *checker) {
	type slot struct{ vnet, ip string }
	type vm struct {
		cs *inventory.CloudService
		r  *inventory.Role
	}
	groups := map[slot][]vm{}
	var order []slot
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		if cs.Deployment.VirtualNetwork == "" || r.PrivateIP == "" {
			return
		}
		k := slot{inventory.Key(cs.Deployment.VirtualNetwork), r.PrivateIP}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], vm{cs, r})
	})
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		for i, v := range g {
			var others, deallocated []string
			for j, o := range g {
				if j != i {
					others = append(others, vmName(o.cs, o.r))
				}
				if isDeallocated(o.r) {
					deallocated = append(deallocated, o.r.Name)
				}
			}
			msg := fmt.Sprintf("%s has private IP %s in Virtual Network %s, which %s also has",
				vmName(v.cs, v.r), v.r.PrivateIP, v.cs.Deployment.VirtualNetwork, strings.Join(others, ", "))
			if len(deallocated) > 0 {
				msg += fmt.Sprintf(" (deallocated: %s; Prepare fails when it restores the address)", strings.Join(deallocated, ", "))
			}
			c.add(vmID(v.cs, v.r), msg+".")
		}
	}
}

func checkVMRestart(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		if cs.Deployment.VirtualNetwork == "" {
			c.add(vmID(cs, r), fmt.Sprintf("%s isn't in a virtual network: Prepare stops, deallocates and restarts it in a Resource Manager virtual network.",
				vmName(cs, r)))
		}
	})
}

package sim

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// What the platform's Prepare refuses and its Validate lets through.
//
// The technical deep dive says Validate "only analyzes the state of the
// resources in the classic deployment model" and lists the checks it does
// not make ("Checks not done in the validate operation": a virtual network
// gateway connection in a disconnected state, the Resource Manager quotas,
// ...); "common migration errors" gives the strings the platform answers
// for a VM agent or an extension not reporting and for a deployment not in
// the regional scope (MicrosoftDocs/azure-docs,
// articles/virtual-machines/migration-classic-resource-manager-deep-dive.md
// and migration-classic-resource-manager-errors.md). So the simulator's
// Validate says nothing of them and its Prepare fails on them, the unit left
// PrepareFailed, as it fails on quotas (quotaFailure).

// codeBadRequest is the code of a Prepare the platform refuses for the
// configuration: Service Management answers what a request cannot do with
// 400 BadRequest (Service Management "Status and Error Codes"); the
// documented messages carry the reason.
const codeBadRequest = "BadRequest"

// prepareAdvice follows every Prepare failure's message: what the FAQ says
// to do after one ("What happens if I run into a quota error while
// preparing ...? We recommend that you abort your migration and then ...
// start executing the migration steps again", migration-classic-resource-
// manager-faq.yml), for every cause a Prepare failure can have.
const prepareAdvice = " The unit is left PrepareFailed: abort its migration, fix the cause, then prepare it again."

// prepareFailure is the failure of u's Prepare, or nil when it goes
// through: the configuration checks Validate skips first, then quotas.
func (s *Sim) prepareFailure(p *persisted, u *unit) *failure {
	f := s.topo.configFailure(p, u)
	if f == nil {
		f = s.quotaFailure(p, u)
	}
	if f != nil {
		f.Message += prepareAdvice
	}
	return f
}

// configFailure is the first configuration of u that the platform's
// Prepare refuses and its Validate does not see, in the order a VNet, its
// cloud services and their VMs, then a storage account's disks.
func (t *topology) configFailure(p *persisted, u *unit) *failure {
	if u.kind == kindVNet {
		if f := t.gatewayFailure(u); f != nil {
			return f
		}
	}
	for _, cs := range u.services {
		if f := serviceFailure(p, cs); f != nil {
			return f
		}
	}
	if u.kind == kindStorage {
		return t.attachedDiskFailure(p, u)
	}
	return nil
}

// gatewayFailure: "A virtual network gateway connection in a disconnected
// state" is among the deep dive's checks not done in the validate
// operation. The documents give no string for it; this one says what the
// deep dive says. A connection whose state was not collected passes, as
// the gateway-connection rule lets it.
func (t *topology) gatewayFailure(u *unit) *failure {
	v, ok := t.ix.VNets[inventory.Key(u.name)]
	if !ok {
		return nil
	}
	for _, g := range v.Gateways {
		for _, c := range g.Connections {
			if c.State == "" || c.State == inventory.ConnectionConnected {
				continue
			}
			return &failure{Code: codeBadRequest, Message: fmt.Sprintf(
				"Migration isn't allowed for Virtual Network %s because its %s gateway connection to local network site %s is in state %s: a virtual network gateway connection in a disconnected state can't be migrated. Connect it (or remove it) and retry migration.",
				v.Name, g.Kind, c.LocalNetworkSite, c.State)}
		}
	}
	return nil
}

// serviceFailure checks one cloud service: its regional scope, then each
// running VM's agent and extensions. The agent and the extensions matter
// only while the VM runs ("plan for migration": "If the VMs are stopped
// deallocated, VM Extensions do not need to be removed"), and the agent
// only with an extension the platform migrates (every one but XML ones:
// deep dive, "VM extensions").
func serviceFailure(p *persisted, cs *inventory.CloudService) *failure {
	hasVM := false
	for _, r := range cs.Deployment.Roles {
		if r.Kind == inventory.RoleVirtualMachine || r.Kind == "" {
			hasVM = true
		}
	}
	if cs.AffinityGroup != "" && hasVM {
		return &failure{Code: codeBadRequest, Message: fmt.Sprintf(
			"Migration isn't allowed for Deployment %s in HostedService %s as it isn't in the regional scope. Refer to https://aka.ms/regionalscope for moving this deployment to regional scope.",
			cs.Deployment.Name, cs.Name)}
	}
	for _, r := range cs.Deployment.Roles {
		if (r.Kind != inventory.RoleVirtualMachine && r.Kind != "") || !running(p, cs, r) {
			continue
		}
		migratable := false
		for _, x := range r.Extensions {
			if strings.EqualFold(x.Format, "xml") {
				continue
			}
			migratable = true
			switch {
			case x.Status == "" || strings.EqualFold(x.Status, "Ready"):
			case strings.EqualFold(x.Status, inventory.ExtensionNotReported):
				return &failure{Code: codeBadRequest, Message: fmt.Sprintf(
					"VM %s in HostedService %s contains Extension %s whose Status isn't being reported from the VM. Hence, this VM can't be migrated. Ensure that the Extension status is being reported or uninstall the extension from the VM and retry migration.",
					r.Name, cs.Name, x.Name)}
			default:
				return &failure{Code: codeBadRequest, Message: fmt.Sprintf(
					"VM %s in HostedService %s contains Extension %s reporting Handler Status: %s. Hence, the VM can't be migrated. Ensure that the Extension handler status being reported is Ready or uninstall it from the VM and retry migration.",
					r.Name, cs.Name, x.Name, x.Status)}
			}
		}
		if migratable && r.AgentStatus == inventory.AgentNotReady {
			return &failure{Code: codeBadRequest, Message: fmt.Sprintf(
				"VM Agent for VM %s in HostedService %s is reporting the overall agent status as Not Ready. Hence, the VM may not be migrated, if it has a migratable extension. Ensure that the VM Agent is reporting overall agent status as Ready. Refer to https://aka.ms/classiciaasmigrationfaqs.",
				r.Name, cs.Name)}
		}
	}
	return nil
}

// running reports whether role r of cs runs now: the power state an
// operation left it in, else the estate's ("" is Running).
func running(p *persisted, cs *inventory.CloudService, r inventory.Role) bool {
	st := r.State
	if v := p.VMs[inventory.Key(inventory.VMID(cs.Name, r.Name))]; v != nil && v.PowerState != "" {
		st = v.PowerState
	}
	return st == "" || strings.EqualFold(st, roleRunning)
}

// attachedDiskFailure: the platform's Validate of a storage account does
// not look at the VMs using its disks; migrating those VMs first is the
// operator's prerequisite ("Migrate virtual machines whose disks are stored
// in the storage account ... ensure that virtual machines to which these
// disks are attached are migrated before you migrate the storage account":
// migration-classic-resource-manager-ps.md, "Migrate a storage account").
// What the platform's Prepare then does is not documented; the simulator
// fails it, so a run that breaks the order is caught instead of leaving
// classic VMs on Resource Manager storage. The string is the simulator's.
func (t *topology) attachedDiskFailure(p *persisted, u *unit) *failure {
	for _, d := range u.account.Disks {
		owner, ok := t.ix.DiskOwner[inventory.Key(d.Name)]
		if !ok {
			continue
		}
		vmID := inventory.Key(inventory.VMID(owner.CloudService.Name, owner.Role.Name))
		if st := p.Units[t.vmUnit[vmID]]; st == nil || st.State != cloud.StateCommitted {
			return &failure{Code: codeBadRequest, Message: fmt.Sprintf(
				"Storage account %s has Disk %s attached to VM %s in HostedService %s which has not been migrated yet. Migrate the VM first; storage accounts go last.",
				u.name, d.Name, owner.Role.Name, owner.CloudService.Name)}
		}
	}
	return nil
}

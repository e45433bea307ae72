package validate

import (
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// platformRecommendation is the one recommendation for platform findings:
// the platform's message says what is wrong, this tool cannot know more.
const platformRecommendation = "fix what the platform reports, then validate again"

// FromPlatform turns the messages of the platform's Validate for one unit
// into findings of rule "platform", sorted as Check sorts. The severity is
// the message's category (Error: error, Warning: warning, anything else:
// info); the resource is the message's resource named as cli.md names
// resources, or the unit itself when the message's resource type is not one
// this tool knows or names a VM whose cloud service it cannot tell.
func FromPlatform(unit string, msgs []cloud.Message) []Finding {
	out := make([]Finding, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, Finding{
			Rule:           RulePlatform,
			Severity:       platformSeverity(m.Category),
			Resource:       platformResource(unit, m),
			Unit:           unit,
			Message:        m.Message,
			Recommendation: platformRecommendation,
		})
	}
	Sort(out)
	return out
}

func platformSeverity(category string) Severity {
	switch strings.ToLower(category) {
	case "error":
		return SeverityError
	case "warning":
		return SeverityWarning
	}
	return SeverityInfo
}

// platformResource names a message's resource. A VM is only named when its
// cloud service is known: from a HostedService message, or from the unit
// when the unit is a cloud service (a VNet unit's VM messages fall back to
// the unit).
func platformResource(unit string, m cloud.Message) string {
	kind, unitName, _ := strings.Cut(unit, "/")
	service := ""
	if strings.EqualFold(kind, "cloudservice") {
		service = unitName
	}
	name := m.ResourceName
	switch strings.ToLower(m.ResourceType) {
	case "hostedservice", "cloudservice":
		if name != "" {
			service = name
		}
		if m.VirtualMachine != "" && service != "" {
			return inventory.VMID(service, m.VirtualMachine)
		}
		if service != "" {
			return inventory.CloudServiceID(service)
		}
	case "deployment":
		// A deployment is named by its own name, not its cloud service's.
		if m.VirtualMachine != "" && service != "" {
			return inventory.VMID(service, m.VirtualMachine)
		}
		if service != "" {
			return inventory.CloudServiceID(service)
		}
	case "virtualmachine", "vm", "role", "persistentvmrole", "roleinstance":
		vm := name
		if vm == "" {
			vm = m.VirtualMachine
		}
		if vm != "" && service != "" {
			return inventory.VMID(service, vm)
		}
	case "virtualnetwork", "virtualnetworksite", "vnet":
		if name != "" {
			return inventory.VNetID(name)
		}
	case "storageaccount", "storageservice", "storage":
		if name != "" {
			return inventory.StorageID(name)
		}
	case "networksecuritygroup", "nsg":
		if name != "" {
			return inventory.NSGID(name)
		}
	case "routetable":
		if name != "" {
			return inventory.RouteTableID(name)
		}
	case "reservedip", "reservedipaddress":
		if name != "" {
			return inventory.ReservedIPID(name)
		}
	}
	return unit
}

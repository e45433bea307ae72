package validate

import (
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

func TestFromPlatform(t *testing.T) {
	tests := []struct {
		name     string
		unit     string
		msg      cloud.Message
		severity Severity
		resource string
	}{
		{"vm in a cloud-service unit", "cloudservice/legacy",
			cloud.Message{ResourceType: "VirtualMachine", ResourceName: "vm1", Category: "Error", Message: "boom"},
			SeverityError, "cloudservice/legacy/vm1"},
		{"vm named by VirtualMachine", "cloudservice/legacy",
			cloud.Message{ResourceType: "Deployment", ResourceName: "legacy-prod", Category: "Warning", VirtualMachine: "vm2"},
			SeverityWarning, "cloudservice/legacy/vm2"},
		{"deployment of a cloud-service unit", "cloudservice/legacy",
			cloud.Message{ResourceType: "Deployment", ResourceName: "legacy-prod", Category: "Information"},
			SeverityInfo, "cloudservice/legacy"},
		{"hosted service in a vnet unit", "vnet/v",
			cloud.Message{ResourceType: "HostedService", ResourceName: "web", Category: "error"},
			SeverityError, "cloudservice/web"},
		{"vm of a hosted service in a vnet unit", "vnet/v",
			cloud.Message{ResourceType: "HostedService", ResourceName: "web", VirtualMachine: "web1", Category: "Error"},
			SeverityError, "cloudservice/web/web1"},
		{"vm whose cloud service is unknown", "vnet/v",
			cloud.Message{ResourceType: "VirtualMachine", ResourceName: "web1", Category: "Error"},
			SeverityError, "vnet/v"},
		{"virtual network", "vnet/Group rg v",
			cloud.Message{ResourceType: "VirtualNetwork", ResourceName: "Group rg v", Category: "Warning"},
			SeverityWarning, "vnet/Group rg v"},
		{"storage account", "storage/s",
			cloud.Message{ResourceType: "StorageAccount", ResourceName: "s", Category: "Error"},
			SeverityError, "storage/s"},
		{"nsg", "vnet/v",
			cloud.Message{ResourceType: "NetworkSecurityGroup", ResourceName: "n", Category: "Error"},
			SeverityError, "nsg/n"},
		{"route table", "routetable/r",
			cloud.Message{ResourceType: "RouteTable", ResourceName: "r", Category: "Information"},
			SeverityInfo, "routetable/r"},
		{"reserved ip", "reservedip/ip",
			cloud.Message{ResourceType: "ReservedIP", ResourceName: "ip", Category: "Error"},
			SeverityError, "reservedip/ip"},
		{"unknown type falls back to the unit", "vnet/v",
			cloud.Message{ResourceType: "Gadget", ResourceName: "g", Category: "Bogus"},
			SeverityInfo, "vnet/v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := FromPlatform(tt.unit, []cloud.Message{tt.msg})
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1", len(fs))
			}
			f := fs[0]
			if f.Rule != RulePlatform || f.Severity != tt.severity || f.Resource != tt.resource || f.Unit != tt.unit ||
				f.Message != tt.msg.Message || f.Recommendation == "" {
				t.Errorf("got %+v, want rule platform, severity %s, resource %s, unit %s", f, tt.severity, tt.resource, tt.unit)
			}
		})
	}
}

func TestFromPlatformSortsAndBlocks(t *testing.T) {
	fs := FromPlatform("vnet/v", []cloud.Message{
		{ResourceType: "VirtualNetwork", ResourceName: "v", Category: "Information", Message: "i"},
		{ResourceType: "VirtualNetwork", ResourceName: "v", Category: "Error", Message: "e"},
	})
	if fs[0].Severity != SeverityError || !Blocked(fs)["vnet/v"] {
		t.Errorf("platform errors first and blocking: %+v", fs)
	}
	if got := FromPlatform("vnet/v", nil); len(got) != 0 {
		t.Errorf("no messages gave %+v", got)
	}
}

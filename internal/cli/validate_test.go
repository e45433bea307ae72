package cli

import (
	"testing"

	"github.com/migrate-tool/migrate/pkg/validate"
)

func TestMergeFindings(t *testing.T) {
	u := "vnet/trouble-vnet"
	off := func(rule, msg string) validate.Finding {
		return validate.Finding{Rule: rule, Severity: validate.SeverityError, Unit: u, Resource: u, Message: msg}
	}
	plat := func(msg string) validate.Finding {
		return validate.Finding{Rule: validate.RulePlatform, Severity: validate.SeverityError, Unit: u, Resource: u, Message: msg}
	}
	in := []validate.Finding{
		off("platform-service", "Migration isn't supported for Virtual Network trouble-vnet because it has an HDInsight cluster."),
		off("endpoint-acl", "VM web1 in HostedService trouble-web has Endpoint http with an access control list (2 rules)."),
		off("endpoint-acl", "VM web1 in HostedService trouble-web has Endpoint http with an access control list (2 rules)."), // repeat
		plat("Virtual Network trouble-vnet has HDInsight deployed in it which isn't supported for migration."),
		plat("VM web1 in HostedService trouble-web has Endpoint http with an ACL which isn't supported in Azure Resource Manager. Remove the endpoint ACL."),
		// Named nowhere offline: kept.
		plat("Virtual Network trouble-vnet has ApiManagement deployed in it which isn't supported for migration."),
		plat("VM web9 in HostedService trouble-web is in an intermediate state Provisioning."),
	}
	got := mergeFindings(in)
	var platform, offline int
	for _, f := range got {
		if f.Rule == validate.RulePlatform {
			platform++
		} else {
			offline++
		}
	}
	if offline != 2 || platform != 2 {
		t.Errorf("got %d offline and %d platform findings, want 2 and 2: %+v", offline, platform, got)
	}
}

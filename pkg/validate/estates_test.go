package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// specRuleIDs is the id column of shared/spec/rules.md, copied by hand so a
// rule dropped from (or added to) the catalogue without the spec shows here.
var specRuleIDs = []string{
	"endpoint-acl", "application-gateway", "vnet-peering", "multiple-subnets-per-vm",
	"vm-without-subnet", "boot-diagnostics-premium", "web-worker-roles", "vnet-web-worker-roles",
	"multiple-availability-sets", "mixed-availability-set", "security-center-extension",
	"backup-extension", "site-recovery-extension", "xml-extension", "alerts-autoscale",
	"classic-expressroute-circuit", "expressroute-other-subscription", "expressroute-and-vpn",
	"app-service-environment", "hdinsight", "dynamics-lcs", "api-management", "aad-domain-services",
	"vm-transitional-state", "blob-name-slash", "disk-size-mismatch", "private-ip-conflict",
	"unassociated-disk", "classic-image", "rbac-classic", "vm-restart",
	"vm-provisioning-timeout", "vm-agent-not-ready", "extension-status", "not-regional-scope",
	"gateway-connection", "local-site-address-space", "destination-vnet", "vip-dns-lost", "quotas-unchecked",
	"arm-write-throttle",
	"arm-quota", "stack-disk-too-large", "stack-premium-no-guarantee", "stack-no-disaster-recovery",
}

const estatesDir = "../../testdata/estates"

// loadEstate loads an estate of testdata/estates with the strict loader,
// which also checks that every reference resolves and fills the defaults.
func loadEstate(t testing.TB, name string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(filepath.Join(estatesDir, name))
	if err != nil {
		t.Fatalf("load estate: %v", err)
	}
	return inv
}

// addBulkUnit adds a VNet holding one cloud service of n small VMs, each
// with its OS disk in a storage account of their own: the part of
// every-rule.json that would be unwieldy as JSON (arm-write-throttle needs
// more than 400 VMs in a unit).
func addBulkUnit(inv *inventory.Inventory, n int) {
	inv.VirtualNetworks = append(inv.VirtualNetworks, inventory.VirtualNetwork{
		Name: "bulk-vnet", Location: inv.DefaultLocation, AddressSpace: []string{"10.9.0.0/16"},
		Subnets: []inventory.Subnet{{Name: "web", AddressPrefix: "10.9.0.0/16"}},
	})
	sa := inventory.StorageAccount{Name: "bulkvhds", Location: inv.DefaultLocation, AccountType: "Standard_LRS"}
	cs := inventory.CloudService{Name: "bulk-cs", Location: inv.DefaultLocation,
		Deployment: inventory.Deployment{Name: "bulk-prod", Slot: "Production", VirtualNetwork: "bulk-vnet"}}
	for i := 0; i < n; i++ {
		vm := fmt.Sprintf("bulk%03d", i)
		sa.Disks = append(sa.Disks, testDisk("bulkvhds", vm+"-os", 30))
		cs.Deployment.Roles = append(cs.Deployment.Roles, inventory.Role{
			Name: vm, Kind: inventory.RoleVirtualMachine, Size: "Standard_A0", State: "Running",
			PrivateIP: fmt.Sprintf("10.9.%d.%d", i/200, 4+i%200), Subnets: []string{"web"}, OSDisk: vm + "-os",
		})
	}
	inv.StorageAccounts = append(inv.StorageAccounts, sa)
	inv.CloudServices = append(inv.CloudServices, cs)
}

func TestRulesCoverSpec(t *testing.T) {
	rules := Rules()
	got := map[string]bool{}
	for _, r := range rules {
		if got[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		got[r.ID] = true
		if r.Recommendation == "" || r.Doc == "" {
			t.Errorf("rule %s lacks a recommendation or doc", r.ID)
		}
		switch r.Severity {
		case SeverityError, SeverityWarning, SeverityInfo:
		default:
			t.Errorf("rule %s: severity %q", r.ID, r.Severity)
		}
	}
	for _, id := range specRuleIDs {
		if !got[id] {
			t.Errorf("rules.md rule %s is not in Rules()", id)
		}
	}
	if len(rules) != len(specRuleIDs) {
		t.Errorf("Rules() has %d rules, rules.md %d", len(rules), len(specRuleIDs))
	}
	chs := checks()
	if len(chs) != len(rules) {
		t.Fatalf("%d checks for %d rules", len(chs), len(rules))
	}
	for i, ch := range chs {
		if ch.rule != rules[i].ID || ch.fn == nil {
			t.Errorf("check %d is %q, catalogue says %q", i, ch.rule, rules[i].ID)
		}
	}
}

func TestEveryRuleFires(t *testing.T) {
	inv := loadEstate(t, "every-rule.json")
	addBulkUnit(inv, 401)
	fs := mustCheck(t, inv)
	fired := map[string]int{}
	for _, f := range fs {
		fired[f.Rule]++
		if f.Unit == "" {
			t.Errorf("finding without a unit: %+v", f)
		}
	}
	// quotas-unchecked fires only without target.quotas, which arm-quota
	// needs: it is checked on the same estate without them.
	inv.Target.Quotas = nil
	for _, f := range mustCheck(t, inv) {
		if f.Rule == RuleQuotasUnchecked {
			fired[f.Rule]++
		}
	}
	for _, r := range Rules() {
		if fired[r.ID] == 0 {
			t.Errorf("rule %s did not fire on every-rule.json", r.ID)
		}
	}
	if t.Failed() {
		for _, f := range fs {
			t.Logf("%s %s %s %s", f.Unit, f.Severity, f.Rule, f.Resource)
		}
	}
}

// TestContosoIsClean: the sample estate must migrate without errors or
// warnings (info is fine: it informs).
func TestContosoIsClean(t *testing.T) {
	if _, err := os.Stat(filepath.Join(estatesDir, "contoso.json")); errors.Is(err, fs.ErrNotExist) {
		t.Skip("testdata/estates/contoso.json does not exist yet")
	}
	inv := loadEstate(t, "contoso.json")
	for _, f := range mustCheck(t, inv) {
		if f.Severity != SeverityInfo {
			t.Errorf("contoso.json: %s %s on %s (unit %s): %s", f.Severity, f.Rule, f.Resource, f.Unit, f.Message)
		}
	}
}

package validate

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestSortOrder(t *testing.T) {
	fs := []Finding{
		{Unit: "vnet/b", Severity: SeverityError, Rule: "a", Resource: "x"},
		{Unit: "vnet/a", Severity: SeverityInfo, Rule: "a", Resource: "x"},
		{Unit: "vnet/a", Severity: SeverityWarning, Rule: "b", Resource: "x"},
		{Unit: "vnet/a", Severity: SeverityError, Rule: "z", Resource: "y", Message: "2"},
		{Unit: "vnet/a", Severity: SeverityError, Rule: "z", Resource: "y", Message: "1"},
		{Unit: "vnet/a", Severity: SeverityError, Rule: "z", Resource: "a"},
		{Unit: "vnet/a", Severity: SeverityError, Rule: "c", Resource: "z"},
	}
	Sort(fs)
	var got []string
	for _, f := range fs {
		got = append(got, strings.Join([]string{f.Unit, string(f.Severity), f.Rule, f.Resource, f.Message}, " "))
	}
	want := []string{
		"vnet/a error c z ",
		"vnet/a error z a ",
		"vnet/a error z y 1",
		"vnet/a error z y 2",
		"vnet/a warning b x ",
		"vnet/a info a x ",
		"vnet/b error a x ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBlocked(t *testing.T) {
	tests := []struct {
		name string
		in   []Finding
		want map[string]bool
	}{
		{"none", nil, map[string]bool{}},
		{"warnings and info block nothing", []Finding{
			{Unit: "vnet/a", Severity: SeverityWarning}, {Unit: "vnet/a", Severity: SeverityInfo},
		}, map[string]bool{}},
		{"errors block their unit", []Finding{
			{Unit: "vnet/a", Severity: SeverityError}, {Unit: "vnet/a", Severity: SeverityError},
			{Unit: "storage/s", Severity: SeverityWarning}, {Unit: "cloudservice/c", Severity: SeverityError},
		}, map[string]bool{"vnet/a": true, "cloudservice/c": true}},
		{"an error without a unit blocks nothing", []Finding{{Severity: SeverityError}}, map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Blocked(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Blocked = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckWithoutPlan(t *testing.T) {
	inv := baseInventory()
	vm1(inv).State = "Starting"
	inv.Target.Quotas = map[string]inventory.Quota{testRegion: {Cores: intp(0)}}
	fs := Check(inv, nil)
	if len(fs) != 1 || fs[0].Rule != RuleVMTransitionalState || fs[0].Unit != "" {
		t.Errorf("Check without a plan = %+v, want one vm-transitional-state finding without a unit", fs)
	}
}

// TestQuotaWalksPlanOrder: units accumulate per region in plan order, only
// the units pushing a counter over its free count fire, and each region
// counts against its own quota.
func TestQuotaWalksPlanOrder(t *testing.T) {
	inv := baseInventory()
	vm1(inv).Endpoints = nil // no public IP for vnet1: the counts below are the new units'
	// Three more units: two cloud services not in a VNet in West US (a VM of
	// 2 cores each, one public IP and load balancer each), one in East US.
	for _, name := range []string{"csa", "csb"} {
		r := addVMWithDisk(inv, addCloudService(inv, name, ""), name+"vm", "")
		r.Size, r.Subnets = "Standard_D2_v2", nil
	}
	east := addCloudService(inv, "cse", "")
	east.Location = "East US"
	r := addVMWithDisk(inv, east, "csevm", "")
	r.Size, r.Subnets = "Standard_D2_v2", nil
	inv.Target.Quotas = map[string]inventory.Quota{
		"West US": {Cores: intp(3), PublicIPAddresses: intp(1), NetworkInterfaces: intp(100)},
		"East US": {Cores: intp(2)},
	}
	fs := ofRule(mustCheck(t, inv), RuleARMQuota)
	var got []string
	for _, f := range fs {
		got = append(got, f.Unit+": "+f.Message)
	}
	// Plan order is wave then id: cloudservice/csa, csb, cse, then vnet/vnet1
	// (all wave 0), then storage/store1. West US: csa 2 cores (2 <= 3), csb
	// 2 more (4 > 3), vnet1 1 more (5 > 3); public IPs: csa 1, csb 2 > 1;
	// East US: cse 2 cores of 2 free. Within a unit, messages sort by text.
	want := []string{
		"cloudservice/csb: Unit cloudservice/csb needs 1 publicIPAddresses in region West US; with the units before it in plan order that makes 2, but only 1 are free.",
		"cloudservice/csb: Unit cloudservice/csb needs 2 cores in region West US; with the units before it in plan order that makes 4, but only 3 are free.",
		"vnet/vnet1: Unit vnet/vnet1 needs 1 cores in region West US; with the units before it in plan order that makes 5, but only 3 are free.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("arm-quota findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestQuotaCounts checks what one unit is charged for each counter.
func TestQuotaCounts(t *testing.T) {
	inv := baseInventory()
	inv.VirtualNetworks[0].Subnets = append(inv.VirtualNetworks[0].Subnets, inventory.Subnet{Name: "app", AddressPrefix: "10.0.2.0/24", NetworkSecurityGroup: "app-nsg", RouteTable: "app-rt"})
	inv.NetworkSecurityGroups = []inventory.NetworkSecurityGroup{{Name: "app-nsg", Location: testRegion}, {Name: "lone-nsg", Location: testRegion}}
	inv.RouteTables = []inventory.RouteTable{{Name: "app-rt", Location: testRegion}}
	inv.ReservedIPs = []inventory.ReservedIP{{Name: "cs1-ip", Location: testRegion}, {Name: "lone-ip", Location: testRegion}}
	inv.CloudServices[0].ReservedIP = "cs1-ip"
	vm1(inv).Subnets = []string{"web", "app"} // two NICs
	vm1(inv).Size = "ExtraLarge"              // 8 cores
	zero := intp(0)
	inv.Target.Quotas = map[string]inventory.Quota{testRegion: {
		Cores: zero, NetworkInterfaces: zero, PublicIPAddresses: zero, LoadBalancers: zero, NetworkSecurityGroups: zero, RouteTables: zero,
	}}
	got := map[string]bool{}
	for _, f := range ofRule(mustCheck(t, inv), RuleARMQuota) {
		got[f.Unit+": "+f.Message[:strings.Index(f.Message, " in region")]] = true
	}
	for _, w := range []string{
		"vnet/vnet1: Unit vnet/vnet1 needs 8 cores",
		"vnet/vnet1: Unit vnet/vnet1 needs 2 networkInterfaces",
		"vnet/vnet1: Unit vnet/vnet1 needs 1 publicIPAddresses",
		"vnet/vnet1: Unit vnet/vnet1 needs 1 loadBalancers",
		"vnet/vnet1: Unit vnet/vnet1 needs 1 networkSecurityGroups",
		"vnet/vnet1: Unit vnet/vnet1 needs 1 routeTables",
		"nsg/lone-nsg: Unit nsg/lone-nsg needs 1 networkSecurityGroups",
		"reservedip/lone-ip: Unit reservedip/lone-ip needs 1 publicIPAddresses",
	} {
		if !got[w] {
			t.Errorf("missing arm-quota finding %q; got %v", w, got)
		}
	}
	if len(got) != 8 {
		t.Errorf("got %d arm-quota findings, want 8: %v", len(got), got)
	}
}

// TestEveryRuleGolden pins the rendered findings of every-rule.json
// (messages, resources, units, order); go test -update rewrites it.
func TestEveryRuleGolden(t *testing.T) {
	inv := loadEstate(t, "every-rule.json")
	out, err := json.MarshalIndent(mustCheck(t, inv), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	golden := filepath.Join("testdata", "every-rule.findings.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if string(out) != string(want) {
		t.Errorf("findings differ from %s (go test -update rewrites it); got:\n%s", golden, out)
	}
}

func TestCheckIsDeterministic(t *testing.T) {
	inv := loadEstate(t, "every-rule.json")
	a, b := mustCheck(t, inv), mustCheck(t, inv)
	if !reflect.DeepEqual(a, b) {
		t.Error("two Check runs on one estate differ")
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/validate"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixture is a fixed estate with names that need escaping (spaces, quotes,
// a pipe), a blocked unit with a dependent, and findings of every severity.
func fixture(t *testing.T) Report {
	t.Helper()
	legacy := `Group rg "legacy" vnet`
	inv := &inventory.Inventory{
		SchemaVersion: 1,
		Target:        inventory.Target{ResourceGroupSuffix: "-Migrated"},
		StorageAccounts: []inventory.StorageAccount{
			{Name: "contosovhds", Disks: []inventory.Disk{{Name: "web1-os", SizeGiB: 30}, {Name: "app1-os", SizeGiB: 127}}},
			{Name: "logs|blobs", BlobsOnly: true},
		},
		VirtualNetworks: []inventory.VirtualNetwork{
			{Name: "contoso-vnet", Subnets: []inventory.Subnet{{Name: "web", NetworkSecurityGroup: "web-nsg"}}},
			{Name: legacy},
		},
		CloudServices: []inventory.CloudService{
			{Name: "contoso-web", Deployment: inventory.Deployment{VirtualNetwork: "contoso-vnet",
				Roles: []inventory.Role{{Name: "web1", Kind: inventory.RoleVirtualMachine, OSDisk: "web1-os"}}}},
			{Name: "app svc", Deployment: inventory.Deployment{
				Destination: &inventory.Destination{ResourceGroup: legacy + "-Migrated", VirtualNetwork: legacy},
				Roles:       []inventory.Role{{Name: "app1", Kind: inventory.RoleVirtualMachine, OSDisk: "app1-os"}}}},
		},
		NetworkSecurityGroups: []inventory.NetworkSecurityGroup{{Name: "web-nsg"}, {Name: "spare-nsg"}},
	}
	p, err := plan.Build(inv)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	findings := []validate.Finding{
		{Rule: "vnet-gateway", Severity: validate.SeverityWarning, Resource: "vnet/contoso-vnet", Unit: "vnet/contoso-vnet",
			Message: "The VPN gateway is\nrecreated.", Recommendation: "Plan a connectivity window."},
		{Rule: "platform-service", Severity: validate.SeverityError, Resource: "vnet/" + legacy, Unit: "vnet/" + legacy,
			Message: "HDInsight is deployed | into the VNet.", Recommendation: "Remove the service first."},
		{Rule: "unassociated-disk", Severity: validate.SeverityInfo, Resource: "disk/contosovhds/old", Unit: "storage/contosovhds",
			Message: "The disk is not attached.", Recommendation: ""},
		{Rule: "quota", Severity: validate.SeverityWarning, Resource: "", Unit: "",
			Message: "No quota given for West US.", Recommendation: "Add target.quotas."},
	}
	m := plan.DefaultModel()
	m.Override(plan.OpValidate, time.Minute)
	m.Override(plan.OpPrepare, 20*time.Minute)
	m.Override(plan.OpCommit, 10*time.Minute)
	meta := &Meta{Subscription: "6c1b0b6f-0000-4000-8000-000000000001", Cloud: "AzurePublic", InventoryFile: "estate|1.json",
		InventorySHA256: "0123abcd", Date: "2026-12-06T00:00:00Z", ToolVersion: "test", Graph: "plan.svg"}
	return Report{Plan: p, Findings: findings, Forecast: m.Window(p, 2, nil), Meta: meta}
}

// conversionFixture adds the disk step's plan: an Azure Stack Hub estate
// with a premium disk (capped), a data disk, and a disk over the ceiling.
func conversionFixture(t *testing.T) Report {
	t.Helper()
	inv := &inventory.Inventory{
		SchemaVersion: 1, SubscriptionID: "6c1b0b6f-0000-4000-8000-000000000009",
		Target: inventory.Target{Cloud: inventory.CloudAzureStackHub, ResourceGroupSuffix: "-Migrated"},
		StorageAccounts: []inventory.StorageAccount{
			{Name: "premvhds", AccountType: "Premium_LRS", Disks: []inventory.Disk{
				{Name: "db1-os", VHDURI: "https://premvhds.blob.core.windows.net/vhds/db1-os.vhd", SizeGiB: 127, OS: "Windows"},
				{Name: "db1-data", VHDURI: "https://premvhds.blob.core.windows.net/vhds/db1-data.vhd", SizeGiB: 512}}},
			{Name: "stdvhds", AccountType: "Standard_LRS", Disks: []inventory.Disk{
				{Name: "big-os", VHDURI: "https://stdvhds.blob.core.windows.net/vhds/big-os.vhd", SizeGiB: 30, OS: "Linux"},
				{Name: "big-data", VHDURI: "https://stdvhds.blob.core.windows.net/vhds/big-data.vhd", SizeGiB: 2048}}},
		},
		VirtualNetworks: []inventory.VirtualNetwork{{Name: "hub", Subnets: []inventory.Subnet{{Name: "db"}}}},
		CloudServices: []inventory.CloudService{
			{Name: "db", Deployment: inventory.Deployment{VirtualNetwork: "hub", Roles: []inventory.Role{
				{Name: "db1", Kind: inventory.RoleVirtualMachine, Size: "Standard_DS2", Subnets: []string{"db"}, OSDisk: "db1-os",
					DataDisks: []inventory.DataDisk{{Disk: "db1-data", LUN: 0}}}}}},
			{Name: "big", Deployment: inventory.Deployment{VirtualNetwork: "hub", Roles: []inventory.Role{
				{Name: "big1", Kind: inventory.RoleVirtualMachine, Size: "Standard_D2", Subnets: []string{"db"}, OSDisk: "big-os",
					DataDisks: []inventory.DataDisk{{Disk: "big-data", LUN: 3}}}}}},
		},
	}
	p, err := plan.Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := convert.Build(inv, convert.PlanOptions{})
	var pe *convert.PlanError
	if err != nil && !errors.As(err, &pe) {
		t.Fatal(err)
	}
	return Report{Plan: p, Conversion: cp}
}

// diskStepFixture is the disk step of Azure Stack Hub VMs read from
// Resource Manager on a profile that pre-copies: two VMs of one
// availability set (never in one batch), a VM whose recreate drops
// protected settings and secrets, two at most down together, with the
// change window's forecast of its batches.
func diskStepFixture(t *testing.T) Report {
	t.Helper()
	vhd := func(name string, lun int, gib int64) cloud.VMDisk {
		return cloud.VMDisk{Name: name, LUN: lun, VHDURI: "https://hubvhds.blob.local.azurestack.external/vhds/" + name + ".vhd", SizeBytes: gib << 30}
	}
	vms := []cloud.VM{
		{ResourceGroup: "web", Name: "web1", AvailabilitySet: "web-as", OSType: "Linux", OSDisk: vhd("web1-os", 0, 30)},
		{ResourceGroup: "web", Name: "web2", AvailabilitySet: "web-as", OSType: "Linux", OSDisk: vhd("web2-os", 0, 30)},
		{ResourceGroup: "db", Name: "db1", OSType: "Windows", OSDisk: vhd("db1-os", 0, 127), DataDisks: []cloud.VMDisk{vhd("db1-data", 1, 1023)},
			Extensions: []cloud.Extension{{Name: "SqlIaaS|Agent", HasProtectedSettings: true}}, Secrets: 1},
	}
	cp, err := convert.BuildFromVMs(inventory.CloudAzureStackHub, vms, convert.PlanOptions{DiskAPIVersion: convert.HubPrecopyDiskAPIVersion,
		Parallel: 2, AccountTypes: map[string]string{"hubvhds": convert.AccountPremium}})
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{}
	return Report{Plan: p, Conversion: cp, Forecast: plan.DefaultModel().Window(p, 2, DiskJobs(cp))}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden (go test -update if intended); got:\n%s", name, got)
	}
}

func render(t *testing.T, r Report, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, r, format); err != nil {
		t.Fatalf("Render %s: %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	full := fixture(t)
	noForecast := full
	noForecast.Forecast = nil
	tests := []struct {
		name string
		r    Report
	}{
		{"full", full},
		{"plain", Report{Plan: full.Plan}},
		{"empty", Report{}},
		{"conversion", conversionFixture(t)},
		{"diskstep", diskStepFixture(t)},
	}
	ext := map[string]string{FormatTable: "txt", FormatJSON: "json", FormatYAML: "yaml", FormatTSV: "tsv", FormatMarkdown: "md", FormatDOT: "dot"}
	for _, tt := range tests {
		for _, f := range Formats() {
			t.Run(tt.name+"/"+f, func(t *testing.T) {
				if f == FormatNone {
					if got := render(t, tt.r, f); len(got) != 0 {
						t.Errorf("-o none wrote %q", got)
					}
					return
				}
				golden(t, tt.name+"."+ext[f], render(t, tt.r, f))
			})
		}
	}
}

// TestJSONShape checks the cli.md contract directly rather than through the
// golden file: the keys, and [] rather than null for empty lists.
func TestJSONShape(t *testing.T) {
	for _, r := range []Report{fixture(t), {}} {
		var doc map[string]any
		if err := json.Unmarshal(render(t, r, FormatJSON), &doc); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"units", "findings", "summary"} {
			if _, ok := doc[k]; !ok {
				t.Errorf("missing key %q", k)
			}
		}
		if _, ok := doc["units"].([]any); !ok {
			t.Errorf("units is %T, want a list", doc["units"])
		}
		if _, ok := doc["findings"].([]any); !ok {
			t.Errorf("findings is %T, want a list", doc["findings"])
		}
		sum := doc["summary"].(map[string]any)
		for _, k := range []string{"units", "errors", "warnings", "waves"} {
			if _, ok := sum[k].(float64); !ok {
				t.Errorf("summary.%s is %T, want a number", k, sum[k])
			}
		}
		for _, u := range doc["units"].([]any) {
			m := u.(map[string]any)
			for _, k := range []string{"id", "scope", "resources", "dependsOn", "wave", "downtime"} {
				if _, ok := m[k]; !ok {
					t.Errorf("unit missing %q", k)
				}
			}
			if _, ok := m["dependsOn"].([]any); !ok {
				t.Errorf("unit %v dependsOn is %T, want a list", m["id"], m["dependsOn"])
			}
		}
		for _, f := range doc["findings"].([]any) {
			m := f.(map[string]any)
			for _, k := range []string{"rule", "severity", "resource", "unit", "message", "recommendation"} {
				if _, ok := m[k]; !ok {
					t.Errorf("finding missing %q", k)
				}
			}
		}
	}
	var empty map[string]any
	if err := json.Unmarshal(render(t, Report{}, FormatJSON), &empty); err != nil {
		t.Fatal(err)
	}
	if s := empty["summary"].(map[string]any); s["units"] != 0.0 || s["waves"] != 0.0 {
		t.Errorf("empty summary %v", s)
	}
}

// TestYAMLMatchesJSON decodes both renderings and expects the same tree.
func TestYAMLMatchesJSON(t *testing.T) {
	r := fixture(t)
	var fromJSON, fromYAML any
	if err := json.Unmarshal(render(t, r, FormatJSON), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(render(t, r, FormatYAML), &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Round-trip the YAML tree through JSON so numbers compare alike.
	b, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var normalised any
	if err := json.Unmarshal(b, &normalised); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, normalised) {
		t.Errorf("YAML and JSON renderings differ:\n%v\n%v", fromJSON, normalised)
	}
}

func TestSummaryCounts(t *testing.T) {
	var doc struct {
		Summary struct {
			Units, Errors, Warnings, Infos, Waves, VMs int
			DiskBytes                                  int64
			Blocked                                    []string
		}
	}
	if err := json.Unmarshal(render(t, fixture(t), FormatJSON), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Summary
	if s.Units != 6 || s.Errors != 1 || s.Warnings != 2 || s.Infos != 1 || s.Waves != 3 || s.VMs != 2 {
		t.Errorf("summary %+v", s)
	}
	// web1-os (30 GiB) and app1-os (127 GiB), each once: their VMs' units
	// and their storage account's unit both list them.
	if s.DiskBytes != 157<<30 {
		t.Errorf("summary disk volume %d GiB, want 157 GiB", s.DiskBytes>>30)
	}
	if want := []string{`vnet/Group rg "legacy" vnet`}; !reflect.DeepEqual(s.Blocked, want) {
		t.Errorf("blocked %q, want %q", s.Blocked, want)
	}
}

func TestValidateFormat(t *testing.T) {
	tests := []struct {
		format  string
		allowed []string
		ok      bool
	}{
		{"table", nil, true},
		{"dot", nil, true},
		{"markdown", nil, true},
		{"xml", nil, false},
		{"", nil, false},
		{"JSON", nil, false},
		{"dot", []string{FormatTable, FormatJSON, FormatYAML}, false},
		{"yaml", []string{FormatTable, FormatJSON, FormatYAML}, true},
		// tsv and none are read from the JSON document: offered with it.
		{"tsv", []string{FormatTable, FormatJSON, FormatYAML}, true},
		{"none", []string{FormatTable, FormatJSON}, true},
		{"tsv", []string{FormatTable, FormatMarkdown}, false},
	}
	for _, tt := range tests {
		err := Validate(tt.format, tt.allowed...)
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%q, %q) = %v, want ok=%v", tt.format, tt.allowed, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Validate(%q) error %v is not ErrUnknownFormat", tt.format, err)
		}
	}
	err := Validate("xml", FormatTable, FormatJSON)
	if got, want := err.Error(), `unknown output format "xml": want one of table, json, tsv, none`; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	var buf bytes.Buffer
	if err := Render(&buf, Report{}, "xml"); !errors.Is(err, ErrUnknownFormat) || buf.Len() != 0 {
		t.Errorf("Render xml: %v, wrote %d bytes", err, buf.Len())
	}
}

func TestDotID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"vnet/a", `"vnet/a"`},
		{`vnet/Group rg "x" y`, `"vnet/Group rg \"x\" y"`},
		{`a\`, `"a\\"`},
		{"two\nlines", `"two\nlines"`},
	}
	for _, tt := range tests {
		if got := dotID(tt.in); got != tt.want {
			t.Errorf("dotID(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"vnet/a b", "`vnet/a b`"},
		{"vnet/a`b", "`` vnet/a`b ``"},
	}
	for _, tt := range tests {
		if got := code(tt.in); got != tt.want {
			t.Errorf("code(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestDotWithGraphviz feeds the dot rendering to Graphviz. Without dot on
// PATH it skips, except in CI (CI=true) where Graphviz must be installed.
func TestDotWithGraphviz(t *testing.T) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Graphviz dot is not on PATH; CI must install it (apt-get install graphviz)")
		}
		t.Skip("Graphviz dot is not on PATH")
	}
	for name, r := range map[string]Report{"full": fixture(t), "empty": {}} {
		cmd := exec.Command(bin, "-Tsvg")
		cmd.Stdin = bytes.NewReader(render(t, r, FormatDOT))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Errorf("%s: dot -Tsvg: %v\n%s", name, err, stderr.String())
		}
		if !strings.Contains(string(out), "<svg") {
			t.Errorf("%s: dot produced no SVG", name)
		}
	}
}

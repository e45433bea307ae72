package inventory_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

// base is the smallest inventory that exercises every kind of reference.
// Cases below change one piece of it.
const base = `{
  "schemaVersion": 1,
  "subscriptionId": "6c1b0b6f-0000-4000-8000-000000000001",
  "defaultLocation": "West US",
  "storageAccounts": [{"name": "sa1", "accountType": "Standard_LRS", "disks": [
    {"name": "vm1-os", "vhdUri": "https://sa1.blob.core.windows.net/vhds/vm1-os.vhd", "sizeGiB": 30},
    {"name": "vm1-data", "vhdUri": "https://sa1.blob.core.windows.net/vhds/vm1-data.vhd", "sizeGiB": 128}]}],
  "virtualNetworks": [{"name": "vnet1", "addressSpace": ["10.0.0.0/16"],
    "subnets": [{"name": "web", "addressPrefix": "10.0.1.0/24", "networkSecurityGroup": "nsg1"}]}],
  "cloudServices": [{"name": "cs1", "reservedIP": "ip1", "deployment": {"name": "d1", "virtualNetwork": "vnet1", "roles": [
    {"name": "vm1", "kind": "VirtualMachine", "size": "Standard_D1", "subnets": ["web"], "osDisk": "vm1-os", "dataDisks": [{"disk": "vm1-data", "lun": 0}]}]}}],
  "networkSecurityGroups": [{"name": "nsg1"}],
  "reservedIPs": [{"name": "ip1"}]
}`

// edit applies old->new replacements to base, failing if one does not apply.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("test bug: %q not in base", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func loadErr(t *testing.T, doc string) *inventory.LoadError {
	t.Helper()
	_, err := inventory.Parse("inv.json", []byte(doc))
	var le *inventory.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want *LoadError, got %v", err)
	}
	return le
}

func TestBaseLoads(t *testing.T) {
	if _, err := inventory.Parse("inv.json", []byte(base)); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	const role = "cloudServices[0].deployment.roles[0]"
	tests := []struct {
		name  string
		edits []string
		path  string
		msg   string
	}{
		{"unknown field", []string{`"sizeGiB": 30}`, `"sizeGiB": 30, "colour": "red"}`}, "storageAccounts[0].disks[0].colour", `unknown field "colour"`},
		{"unknown top-level field", []string{`"schemaVersion": 1,`, `"schemaVersion": 1, "extra": {},`}, "extra", "unknown field"},
		{"wrong type", []string{`"sizeGiB": 30`, `"sizeGiB": "30"`}, "storageAccounts[0].disks[0].sizeGiB", "expected an integer, got a string"},
		{"fraction for integer", []string{`"sizeGiB": 30`, `"sizeGiB": 30.5`}, "storageAccounts[0].disks[0].sizeGiB", "expected an integer"},
		{"object for list", []string{`"roles": [`, `"roles": {}, "x": [`}, "cloudServices[0].deployment.roles", "expected an array, got an object"},
		{"bad cloud", []string{`"defaultLocation": "West US",`, `"defaultLocation": "West US", "target": {"cloud": "Mars"},`}, "target.cloud", `expected one of AzurePublic, AzureUSGovernment, AzureChina, AzureStackHub, got "Mars"`},
		{"bad account type", []string{`"Standard_LRS"`, `"Standard_XYZ"`}, "storageAccounts[0].accountType", "expected one of Standard_LRS"},
		{"bad gateway kind", []string{`"subnets": [{"name": "web"`, `"gateways": [{"kind": "Vpnn"}], "subnets": [{"name": "web"`}, "virtualNetworks[0].gateways[0].kind", `expected one of Vpn, ExpressRoute, got "Vpnn"`},
		{"bad role kind", []string{`"kind": "VirtualMachine"`, `"kind": "VM"`}, role + ".kind", `expected one of VirtualMachine, WebRole, WorkerRole, got "VM"`},
		{"garbage state", []string{`"kind": "VirtualMachine"`, `"kind": "VirtualMachine", "state": "run ning!"`}, role + ".state", "expected an instance state"},
		{"bad platform service", []string{`"addressSpace"`, `"platformServices": ["SQL"], "addressSpace"`}, "virtualNetworks[0].platformServices[0]", "expected one of AppServiceEnvironment"},
		{"missing size", []string{`"size": "Standard_D1", `, ``}, role + ".size", "required for a VirtualMachine role"},
		{"missing osDisk", []string{`"osDisk": "vm1-os", `, ``}, role + ".osDisk", "required for a VirtualMachine role"},
		{"missing subscription", []string{`"subscriptionId": "6c1b0b6f-0000-4000-8000-000000000001",`, ``}, "subscriptionId", "required field is missing"},
		{"missing disk size", []string{`, "sizeGiB": 30}`, `}`}, "storageAccounts[0].disks[0].sizeGiB", "required field is missing"},
		{"missing deployment name", []string{`"name": "d1", `, ``}, "cloudServices[0].deployment.name", "required field is missing"},
		{"missing address space", []string{`"addressSpace": ["10.0.0.0/16"],`, ``}, "virtualNetworks[0].addressSpace", "required field is missing"},
		{"bad subscription id", []string{`"6c1b0b6f-0000-4000-8000-000000000001"`, `"not-a-guid"`}, "subscriptionId", "expected a subscription id"},
		{"duplicate key", []string{`"name": "sa1",`, `"name": "sa1", "name": "sa2",`}, "storageAccounts[0].name", `duplicate key "name"`},
		{"dangling subnet", []string{`"subnets": ["web"]`, `"subnets": ["db"]`}, role + ".subnets[0]", `subnet "db" not found in virtual network "vnet1"`},
		{"subnet without vnet", []string{`"virtualNetwork": "vnet1"`, `"virtualNetwork": ""`}, role + ".subnets[0]", "not in a virtual network"},
		{"dangling subnet nsg", []string{`"networkSecurityGroup": "nsg1"`, `"networkSecurityGroup": "nsg2"`}, "virtualNetworks[0].subnets[0].networkSecurityGroup", `network security group "nsg2" not found in networkSecurityGroups`},
		{"dangling role nsg", []string{`"osDisk"`, `"networkSecurityGroup": "nsg9", "osDisk"`}, role + ".networkSecurityGroup", `network security group "nsg9" not found`},
		{"dangling route table", []string{`"networkSecurityGroup": "nsg1"`, `"networkSecurityGroup": "nsg1", "routeTable": "rt9"`}, "virtualNetworks[0].subnets[0].routeTable", `route table "rt9" not found in routeTables`},
		{"dangling reserved IP", []string{`"reservedIP": "ip1"`, `"reservedIP": "ip9"`}, "cloudServices[0].reservedIP", `reserved IP "ip9" not found in reservedIPs`},
		{"dangling os disk", []string{`"osDisk": "vm1-os"`, `"osDisk": "vm9-os"`}, role + ".osDisk", `disk "vm9-os" not found`},
		{"dangling data disk", []string{`"disk": "vm1-data"`, `"disk": "nope"`}, role + ".dataDisks[0].disk", `disk "nope" not found`},
		{"dangling boot diagnostics account", []string{`"osDisk"`, `"bootDiagnostics": {"enabled": true, "storageAccount": "nosa"}, "osDisk"`}, role + ".bootDiagnostics.storageAccount", `storage account "nosa" not found`},
		{"boot diagnostics without account", []string{`"osDisk"`, `"bootDiagnostics": {"enabled": true}, "osDisk"`}, role + ".bootDiagnostics.storageAccount", "must name a storage account"},
		{"dangling circuit", []string{`"subnets": [{"name": "web"`, `"gateways": [{"kind": "ExpressRoute", "circuit": "c9"}], "subnets": [{"name": "web"`}, "virtualNetworks[0].gateways[0].circuit", `ExpressRoute circuit "c9" not found`},
		{"ExpressRoute without circuit", []string{`"subnets": [{"name": "web"`, `"gateways": [{"kind": "ExpressRoute"}], "subnets": [{"name": "web"`}, "virtualNetworks[0].gateways[0].circuit", "must name its circuit"},
		{"dangling vnet", []string{`"virtualNetwork": "vnet1"`, `"virtualNetwork": "vnet9"`}, "cloudServices[0].deployment.virtualNetwork", `virtual network "vnet9" not found`},
		{"dangling peering (string)", []string{`"addressSpace"`, `"peerings": ["vnet9"], "addressSpace"`}, "virtualNetworks[0].peerings[0]", `"vnet9" not found in virtualNetworks`},
		{"dangling peering (object)", []string{`"addressSpace"`, `"peerings": [{"name": "p", "remoteVirtualNetwork": "vnet9"}], "addressSpace"`}, "virtualNetworks[0].peerings[0]", `"vnet9" not found`},
		{"peering bad shape", []string{`"addressSpace"`, `"peerings": [3], "addressSpace"`}, "virtualNetworks[0].peerings[0]", "expected an object, got a number"},
		{"destination in a vnet", []string{`"virtualNetwork": "vnet1",`, `"virtualNetwork": "vnet1", "destination": {"resourceGroup": "rg", "virtualNetwork": "v", "subnet": "s"},`}, "cloudServices[0].deployment.destination", `only a cloud service not in a virtual network`},
		{"destination to a migrated vnet without the subnet", []string{`"virtualNetwork": "vnet1", "roles": [`, `"virtualNetwork": "", "destination": {"resourceGroup": "vnet1-Migrated", "virtualNetwork": "vnet1", "subnet": "db"}, "roles": [`, `"subnets": ["web"], `, ``}, "cloudServices[0].deployment.destination.subnet", `subnet "db" not found in virtual network "vnet1"`},
		{"destination missing field", []string{`"virtualNetwork": "vnet1", "roles": [`, `"virtualNetwork": "", "destination": {"resourceGroup": "rg", "virtualNetwork": "v"}, "roles": [`, `"subnets": ["web"], `, ``}, "cloudServices[0].deployment.destination.subnet", "required field is missing"},
		{"duplicate name across case", []string{`[{"name": "nsg1"}]`, `[{"name": "nsg1"}, {"name": "NSG1"}]`}, "networkSecurityGroups[1].name", `duplicate network security group name "NSG1" (names are case-insensitive): already used at networkSecurityGroups[0]`},
		{"duplicate disk across accounts", []string{`"networkSecurityGroups"`, `"x": 1, "networkSecurityGroups"`, `"accountType": "Standard_LRS", "disks": [`, `"accountType": "Standard_LRS", "disks": [{"name": "VM1-OS", "vhdUri": "https://sa1.blob.core.windows.net/vhds/x.vhd", "sizeGiB": 1},`}, "storageAccounts[0].disks[1].name", `duplicate disk name "vm1-os"`},
		{"duplicate role name", []string{`"dataDisks": [{"disk": "vm1-data", "lun": 0}]}`, `"dataDisks": [{"disk": "vm1-data", "lun": 0}]}, {"name": "VM1", "kind": "WebRole"}`}, "cloudServices[0].deployment.roles[1].name", `duplicate role name "VM1"`},
		{"duplicate subnet name", []string{`"networkSecurityGroup": "nsg1"}`, `"networkSecurityGroup": "nsg1"}, {"name": "WEB", "addressPrefix": "10.0.2.0/24"}`}, "virtualNetworks[0].subnets[1].name", `duplicate subnet name "WEB"`},
		{"name with slash", []string{`"name": "cs1"`, `"name": "cs/1"`}, "cloudServices[0].name", `must not contain '/'`},
		{"name with backslash", []string{`"name": "cs1"`, `"name": "cs\\1"`}, "cloudServices[0].name", `must not contain '\\'`},
		{"name with question mark", []string{`"name": "cs1"`, `"name": "cs?1"`}, "cloudServices[0].name", `must not contain '?'`},
		{"name with hash", []string{`"name": "cs1"`, `"name": "cs#1"`}, "cloudServices[0].name", `must not contain '#'`},
		{"name with control char", []string{`"name": "cs1"`, `"name": "cs\u0001"`}, "cloudServices[0].name", "control or non-printable"},
		{"empty name", []string{`"name": "cs1"`, `"name": ""`}, "cloudServices[0].name", "must not be empty"},
		{"long name", []string{`"name": "cs1"`, `"name": "` + strings.Repeat("a", 81) + `"`}, "cloudServices[0].name", "81 characters long, expected at most 80"},
		{"disk attached twice", []string{`"disk": "vm1-data"`, `"disk": "VM1-OS"`}, role + ".dataDisks[0].disk", `already attached at ` + role + ".osDisk"},
		{"duplicate LUN", []string{`{"disk": "vm1-data", "lun": 0}`, `{"disk": "vm1-data", "lun": 0}, {"disk": "vm1-os", "lun": 0}`}, role + ".dataDisks[1].lun", "LUN 0 is already used"},
		{"LUN out of range", []string{`"lun": 0`, `"lun": 64`}, role + ".dataDisks[0].lun", "expected an integer from 0 to 63"},
		{"schema version", []string{`"schemaVersion": 1`, `"schemaVersion": 2`}, "schemaVersion", "unsupported schema version 2, expected 1"},
		{"VM field on web role", []string{`"kind": "VirtualMachine", "size": "Standard_D1", "subnets": ["web"], "osDisk": "vm1-os", "dataDisks": [{"disk": "vm1-data", "lun": 0}]`, `"kind": "WebRole", "subnets": ["web"], "osDisk": "vm1-os"`}, role + ".osDisk", `only VirtualMachine roles carry "osDisk"; this role is a WebRole`},
		{"bad CIDR", []string{`"10.0.1.0/24"`, `"10.0.1.0/33"`}, "virtualNetworks[0].subnets[0].addressPrefix", "expected an IPv4 prefix in CIDR notation"},
		{"CIDR host bits", []string{`["10.0.0.0/16"]`, `["10.0.0.1/16"]`}, "virtualNetworks[0].addressSpace[0]", "host bits set, expected 10.0.0.0/16"},
		{"bad private IP", []string{`"osDisk"`, `"privateIP": "10.0.1.300", "osDisk"`}, role + ".privateIP", "expected an IPv4 address"},
		{"bad reserved IP address", []string{`[{"name": "ip1"}]`, `[{"name": "ip1", "address": "::1"}]`}, "reservedIPs[0].address", "expected an IPv4 address"},
		{"bad ACL subnet", []string{`"osDisk"`, `"endpoints": [{"name": "http", "acl": [{"order": 1, "action": "permit", "remoteSubnet": "everyone"}]}], "osDisk"`}, role + ".endpoints[0].acl[0].remoteSubnet", "CIDR"},
		{"bad vhd uri", []string{`"https://sa1.blob.core.windows.net/vhds/vm1-os.vhd"`, `"ftp://x/y"`}, "storageAccounts[0].disks[0].vhdUri", "expected a blob URL"},
		{"reserved IP used twice", []string{`"cloudServices": [`, `"cloudServices": [{"name": "cs0", "reservedIP": "IP1", "deployment": {"name": "d0", "roles": []}}, `}, "cloudServices[1].reservedIP", `reserved IP "ip1" is already used by cloudServices[0]`},
		{"top level not an object", []string{base, `[]`}, "", "expected an object, got an array"},
		{"syntax error", []string{`"sizeGiB": 128}]}],`, `"sizeGiB": 128},]}],`}, "storageAccounts[0].disks[2]", "line 7, column 107: invalid character ']' looking for the beginning of a value"},
		{"trailing data", []string{base, base + ` {}`}, "", "after the top-level value"},
		{"unterminated", []string{base, `{"schemaVersion": 1, "subscriptionId": "6c1b`}, "subscriptionId", "unterminated string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			le := loadErr(t, edit(t, tc.edits...))
			for _, p := range le.Problems {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("want a problem at %q containing %q, got:\n%v", tc.path, tc.msg, le)
		})
	}
}

func TestInstanceStatesAreNotEnumErrors(t *testing.T) {
	for _, st := range []string{"Running", "Stopped", "StoppedDeallocated", "RoleStateUnknown", "Provisioning",
		"StoppedVM", "Starting", "Stopping", "Deleting", "CreatingVM", "StartingVM", "Unknown", "BusyRole", "ReadyRole"} {
		doc := edit(t, `"kind": "VirtualMachine"`, `"kind": "VirtualMachine", "state": "`+st+`"`)
		inv, err := inventory.Parse("inv.json", []byte(doc))
		if err != nil {
			t.Fatalf("state %s: %v", st, err)
		}
		if got := inv.CloudServices[0].Deployment.Roles[0].State; got != st {
			t.Errorf("state = %q, want %q", got, st)
		}
	}
}

func TestAllProblemsReportedTogether(t *testing.T) {
	doc := edit(t,
		`"sizeGiB": 30}`, `"sizeGiB": 30, "colour": "red"}`,
		`"Standard_LRS"`, `"Standard_XYZ"`,
		`"subnets": ["web"]`, `"subnets": ["db"]`,
	)
	le := loadErr(t, doc)
	want := strings.Join([]string{
		`inv.json: storageAccounts[0].accountType: expected one of Standard_LRS, Standard_GRS, Standard_RAGRS, Standard_ZRS, Premium_LRS, got "Standard_XYZ"`,
		`inv.json: storageAccounts[0].disks[0].colour: unknown field "colour"`,
		`inv.json: cloudServices[0].deployment.roles[0].subnets[0]: subnet "db" not found in virtual network "vnet1" (virtualNetworks[0].subnets)`,
	}, "\n")
	if got := le.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestDefaults(t *testing.T) {
	inv, err := inventory.Parse("inv.json", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if inv.Target.Cloud != inventory.CloudAzurePublic || inv.Target.ResourceGroupSuffix != "-Migrated" {
		t.Errorf("target = %+v", inv.Target)
	}
	cs := inv.CloudServices[0]
	for what, loc := range map[string]string{
		"storage": inv.StorageAccounts[0].Location, "vnet": inv.VirtualNetworks[0].Location,
		"cloud service": cs.Location, "nsg": inv.NetworkSecurityGroups[0].Location, "reserved ip": inv.ReservedIPs[0].Location,
	} {
		if loc != "West US" {
			t.Errorf("%s location = %q, want defaultLocation", what, loc)
		}
	}
	if cs.Deployment.Slot != "Production" || cs.Deployment.Roles[0].State != "Running" {
		t.Errorf("slot %q state %q", cs.Deployment.Slot, cs.Deployment.Roles[0].State)
	}
	if inv.RouteTables == nil || inv.ExpressRouteCircuits == nil || inv.StorageAccounts[0].Images == nil ||
		inv.VirtualNetworks[0].Peerings == nil || cs.Deployment.Roles[0].Endpoints == nil {
		t.Error("absent lists should be empty, not nil")
	}
}

func TestFlexibleShapes(t *testing.T) {
	doc := edit(t, `"addressSpace"`, `"peerings": ["vnet2", {"name": "p2", "remoteVirtualNetwork": "/subscriptions/x/vnet"}],
		"applicationGateways": ["ag1", {"name": "ag2"}], "addressSpace"`,
		`"reservedIPs"`, `"routeTables": [{"name": "rt", "routes": [{"name": "r", "addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}]}], "reservedIPs"`,
		`"virtualNetworks": [`, `"virtualNetworks": [{"name": "vnet2", "addressSpace": ["10.1.0.0/16"]}, `,
		`[{"name": "nsg1"}]`, `[{"name": "nsg1", "rules": [{"name": "allow", "priority": 100, "direction": "Inbound", "access": "Allow"}]}]`)
	inv, err := inventory.Parse("inv.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	vn := inv.VirtualNetworks[1]
	wantP := []inventory.Peering{{Name: "vnet2", RemoteVirtualNetwork: "vnet2"}, {Name: "p2", RemoteVirtualNetwork: "/subscriptions/x/vnet"}}
	if !reflect.DeepEqual(vn.Peerings, wantP) {
		t.Errorf("peerings = %+v", vn.Peerings)
	}
	if !reflect.DeepEqual(vn.ApplicationGateways, []inventory.ApplicationGateway{{Name: "ag1"}, {Name: "ag2"}}) {
		t.Errorf("application gateways = %+v", vn.ApplicationGateways)
	}
	if inv.RouteTables[0].Routes[0].NextHopType != "Internet" || inv.NetworkSecurityGroups[0].Rules[0].Priority != 100 {
		t.Errorf("routes %+v rules %+v", inv.RouteTables, inv.NetworkSecurityGroups)
	}
}

func TestLimits(t *testing.T) {
	deep := `{"schemaVersion": 1, "x": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`
	le := loadErr(t, deep)
	if !strings.Contains(le.Error(), "nesting deeper than 64 levels") {
		t.Errorf("deep nesting: %v", le)
	}
	_, err := inventory.Parse("inv.json", []byte(base), inventory.WithMaxBytes(100))
	if !inventory.IsLoadError(err) || !strings.Contains(err.Error(), "larger than the limit of 100 bytes") {
		t.Errorf("size limit: %v", err)
	}
	f := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(f, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.Load(f, inventory.WithMaxBytes(100)); !inventory.IsLoadError(err) {
		t.Errorf("Load size limit: %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := inventory.Load(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, os.ErrNotExist) || inventory.IsLoadError(err) {
		t.Errorf("want a wrapped not-exist error, got %v", err)
	}
}

func TestFormatSniffing(t *testing.T) {
	dir := t.TempDir()
	y := "schemaVersion: 1\nsubscriptionId: 6c1b0b6f-0000-4000-8000-000000000001\n"
	for name, data := range map[string]string{"a.json": base, "a.yaml": y, "a.yml": y, "a.inv": base, "b.inv": y, "c.txt": "\n  " + base} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := inventory.Load(p); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestYAMLEqualsJSON(t *testing.T) {
	for _, name := range []string{"contoso", "trouble", "small"} {
		want, err := inventory.Load("../../testdata/estates/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var y bytes.Buffer
		if err := inventory.Write(&y, want, "yaml"); err != nil {
			t.Fatal(err)
		}
		got, err := inventory.Parse(name+".yaml", y.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: YAML and JSON decode differently", name)
		}
	}
}

func TestYAMLErrorsHavePaths(t *testing.T) {
	doc := "schemaVersion: 1\nsubscriptionId: 6c1b0b6f-0000-4000-8000-000000000001\n" +
		"virtualNetworks:\n  - name: v\n    addressSpace: [10.0.0.0/16]\n    peerings: [v9]\n    colour: red\n"
	_, err := inventory.Parse("inv.yaml", []byte(doc))
	want := "inv.yaml: virtualNetworks[0].colour: unknown field \"colour\"\n" +
		"inv.yaml: virtualNetworks[0].peerings[0]: remote virtual network of peering \"v9\" \"v9\" not found in virtualNetworks"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	for _, bad := range []string{"a: [", "&a [*a, *a]", "? [a]\n: b"} {
		if _, err := inventory.Parse("bad.yaml", []byte(bad)); !inventory.IsLoadError(err) {
			t.Errorf("%q: want LoadError, got %v", bad, err)
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	for _, name := range []string{"contoso", "trouble", "small"} {
		file := "../../testdata/estates/" + name + ".json"
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := inventory.Parse(file, data)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := inventory.Write(&out, inv, "json"); err != nil {
			t.Fatal(err)
		}
		again, err := inventory.Parse("out.json", out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, inv) {
			t.Errorf("%s: Write then Parse changed the inventory", name)
		}
		var out2 bytes.Buffer
		if err := inventory.Write(&out2, again, "json"); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Errorf("%s: Write is not deterministic", name)
		}
	}
	if err := inventory.Write(&bytes.Buffer{}, &inventory.Inventory{}, "xml"); !errors.Is(err, inventory.ErrFormat) {
		t.Errorf("unknown format: %v", err)
	}
}

// TestWriteGolden pins the JSON rendering (the format discover writes).
func TestWriteGolden(t *testing.T) {
	inv, err := inventory.Parse("inv.json", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "yaml"} {
		var out bytes.Buffer
		if err := inventory.Write(&out, inv, format); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "base."+format)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s rendering differs from %s:\n%s", format, golden, out.String())
		}
	}
}

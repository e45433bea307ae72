package smapi

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

func TestParseDeploymentMigration(t *testing.T) {
	tests := []struct {
		name, body string
		want       *DeploymentMigration
		err        string
	}{
		{"new, as the Node client sends it", `<?xml version="1.0" encoding="utf-8"?><DeploymentNetworkResource xmlns="` + Namespace + `"><ResourceGroupName></ResourceGroupName><VirtualNetworkName></VirtualNetworkName><SubNetName></SubNetName><DestinationVirtualNetwork>New</DestinationVirtualNetwork></DeploymentNetworkResource>`,
			&DeploymentMigration{DestinationVirtualNetwork: DestinationNew}, ""},
		{"existing", `<DeploymentNetworkResource xmlns="` + Namespace + `"><ResourceGroupName>rg</ResourceGroupName><VirtualNetworkName>hub</VirtualNetworkName><SubNetName>apps</SubNetName><DestinationVirtualNetwork>Existing</DestinationVirtualNetwork></DeploymentNetworkResource>`,
			&DeploymentMigration{DestinationVirtualNetwork: DestinationExisting, ResourceGroupName: "rg", VirtualNetworkName: "hub", SubNetName: "apps"}, ""},
		{"empty body", "", nil, "decode"},
		{"existing without subnet", `<DeploymentNetworkResource xmlns="` + Namespace + `"><ResourceGroupName>rg</ResourceGroupName><DestinationVirtualNetwork>Existing</DestinationVirtualNetwork></DeploymentNetworkResource>`, nil, "needs ResourceGroupName"},
		{"bad kind", `<DeploymentNetworkResource xmlns="` + Namespace + `"><DestinationVirtualNetwork>Maybe</DestinationVirtualNetwork></DeploymentNetworkResource>`, nil, "want New or Existing"},
		{"no destination", `<DeploymentNetworkResource xmlns="` + Namespace + `"></DeploymentNetworkResource>`, nil, "want New or Existing"},
		{"old private root", `<PrepareDeploymentMigration xmlns="` + Namespace + `"><DestinationVirtualNetwork>New</DestinationVirtualNetwork></PrepareDeploymentMigration>`, nil, "decode"},
		{"no namespace", `<DeploymentNetworkResource><DestinationVirtualNetwork>New</DestinationVirtualNetwork></DeploymentNetworkResource>`, nil, "decode"},
		{"wrong root", `<Operation/>`, nil, "decode"},
		{"not xml", `{"a":1}`, nil, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDeploymentMigration([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.XMLName = tt.want.XMLName
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseOperation(t *testing.T) {
	tests := []struct {
		name, body string
		status     string
		code       string
		err        bool
	}{
		{"in progress", `<Operation xmlns="` + Namespace + `"><ID>1</ID><Status>InProgress</Status></Operation>`, StatusInProgress, "", false},
		{"failed", `<?xml version="1.0"?><Operation xmlns="` + Namespace + `"><ID>2</ID><Status>Failed</Status><HttpStatusCode>400</HttpStatusCode><Error><Code>QuotaExceeded</Code><Message>no</Message></Error></Operation>`, StatusFailed, "QuotaExceeded", false},
		{"unknown status", `<Operation xmlns="` + Namespace + `"><ID>3</ID><Status>Sleeping</Status></Operation>`, "", "", true},
		{"wrong namespace", `<Operation xmlns="urn:other"><ID>3</ID><Status>Succeeded</Status></Operation>`, "", "", true},
		{"truncated", `<Operation xmlns="` + Namespace + `"><ID>`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, err := ParseOperation([]byte(tt.body))
			if tt.err {
				if err == nil {
					t.Fatalf("no error for %s", tt.body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if op.Status != tt.status || (tt.code != "" && (op.Error == nil || op.Error.Code != tt.code)) {
				t.Errorf("got %+v", op)
			}
		})
	}
}

func TestMigrationPathRoundTrip(t *testing.T) {
	for _, r := range []Resource{
		{Kind: KindCloudService, Name: "web", Deployment: "web-prod"},
		{Kind: KindVNet, Name: "Group rg my vnet"},
		{Kind: KindStorage, Name: "acct"},
		{Kind: KindNSG, Name: "n"},
		{Kind: KindRouteTable, Name: "r"},
		{Kind: KindReservedIP, Name: "ip"},
	} {
		p, err := MigrationPath("sub", r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p, " ") {
			t.Errorf("path %q not escaped", p)
		}
		unescaped := strings.ReplaceAll(p, "%20", " ")
		sub, got, ok := ParseMigrationPath(unescaped)
		if !ok || sub != "sub" || got != r {
			t.Errorf("ParseMigrationPath(%q) = %q %+v %v, want %+v", unescaped, sub, got, ok, r)
		}
	}
	if _, err := MigrationPath("sub", Resource{Kind: "disk", Name: "x"}); err == nil {
		t.Error("unknown kind accepted")
	}
}

func FuzzParseDeploymentMigration(f *testing.F) {
	f.Add([]byte(`<DeploymentNetworkResource xmlns="` + Namespace + `"><ResourceGroupName>rg</ResourceGroupName><VirtualNetworkName>hub</VirtualNetworkName><SubNetName>apps</SubNetName><DestinationVirtualNetwork>Existing</DestinationVirtualNetwork></DeploymentNetworkResource>`))
	f.Add([]byte(``))
	f.Add([]byte(`<DeploymentNetworkResource xmlns="` + Namespace + `"/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseDeploymentMigration(b)
		if err != nil {
			return
		}
		// Whatever parses is complete enough to act on.
		if m.DestinationVirtualNetwork != DestinationNew && m.DestinationVirtualNetwork != DestinationExisting {
			t.Fatalf("parsed destination %q", m.DestinationVirtualNetwork)
		}
		if m.DestinationVirtualNetwork == DestinationExisting && m.SubNetName == "" {
			t.Fatalf("Existing without a subnet parsed: %+v", m)
		}
	})
}

func FuzzParseOperation(f *testing.F) {
	f.Add([]byte(`<Operation xmlns="` + Namespace + `"><ID>1</ID><Status>Failed</Status><HttpStatusCode>409</HttpStatusCode><Error><Code>BadRequest</Code><Message>m</Message></Error></Operation>`))
	f.Add([]byte(`<Operation xmlns="` + Namespace + `"><ID>1</ID><Status>InProgress</Status></Operation>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := ParseOperation(b)
		if err != nil {
			return
		}
		switch op.Status {
		case StatusInProgress, StatusSucceeded, StatusFailed:
		default:
			t.Fatalf("status %q accepted", op.Status)
		}
		// What parses must survive a round trip unchanged.
		enc, err := Encode(op)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseOperation(enc)
		if err != nil {
			t.Fatalf("re-parse %s: %v", enc, err)
		}
		op.XMLName, again.XMLName = again.XMLName, op.XMLName
		if !reflect.DeepEqual(op, again) {
			t.Fatalf("round trip changed %+v into %+v", op, again)
		}
	})
}

// FuzzDecodeDocuments feeds arbitrary bytes to every discovery decoder and
// the error parser: none may panic.
func FuzzDecodeDocuments(f *testing.F) {
	f.Add([]byte(`<Deployment xmlns="` + Namespace + `"><Name>d</Name><RoleList><Role><RoleName>r</RoleName><ConfigurationSets><ConfigurationSet><ConfigurationSetType>NetworkConfiguration</ConfigurationSetType><InputEndpoints><InputEndpoint><Name>e</Name><Port>1</Port></InputEndpoint></InputEndpoints></ConfigurationSet></ConfigurationSets></Role></RoleList></Deployment>`))
	f.Add([]byte(`<Error xmlns="` + Namespace + `"><Code>ResourceNotFound</Code><Message>x</Message></Error>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := func() *bytes.Reader { return bytes.NewReader(b) }
		_, _ = Decode[Deployment](r())
		_, _ = Decode[HostedService](r())
		_, _ = Decode[VirtualNetworkSites](r())
		_, _ = Decode[Disks](r())
		_, _ = Decode[ValidationMessages](r())
		_, _ = ParseError(b)
	})
}

func TestExtensionFormat(t *testing.T) {
	yes, no := true, false
	v := func(version string, isJSON *bool) ResourceExtension {
		return ResourceExtension{Publisher: "Microsoft.Compute", Name: "BGInfo", Version: version, IsJSONExtension: isJSON}
	}
	for _, tc := range []struct {
		name     string
		ref      string
		versions []ResourceExtension
		want     string
	}{
		{"a major version selects its minors, one XML", "1.*", []ResourceExtension{v("1.0", &yes), v("1.2", &no), v("2.1", &yes)}, "xml"},
		{"another major version is JSON", "2.*", []ResourceExtension{v("1.2", &no), v("2.1", &yes)}, "json"},
		{"an exact version", "1.0", []ResourceExtension{v("1.0", &yes), v("1.2", &no)}, "json"},
		{"no version selects every one", "", []ResourceExtension{v("1.0", &yes), v("2.0", &no)}, "xml"},
		{"a star selects every one", "*", []ResourceExtension{v("1.0", &yes)}, "json"},
		{"1.* does not select 10.0", "1.*", []ResourceExtension{v("10.0", &no)}, ""},
		{"nothing listed", "1.*", nil, ""},
		{"the answer does not say", "1.*", []ResourceExtension{v("1.0", nil)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExtensionFormat(tc.ref, tc.versions); got != tc.want {
				t.Errorf("ExtensionFormat(%q) = %q, want %q", tc.ref, got, tc.want)
			}
		})
	}
}

// TestRoleKinds renders an estate's VM, web and worker roles as Azure
// answers them (RoleType PersistentVMRole for the VM, none for a PaaS
// role) and reads them back: the VM stays a VM, both PaaS roles come back
// as worker roles, which the rules treat alike, since nothing Service
// Management serves tells web from worker.
func TestRoleKinds(t *testing.T) {
	inv := &inventory.Inventory{SubscriptionID: "00000000-0000-0000-0000-000000000001", DefaultLocation: "West US",
		StorageAccounts: []inventory.StorageAccount{{Name: "acct", Disks: []inventory.Disk{
			{Name: "vm1-os", VHDURI: "https://acct.blob.core.windows.net/vhds/vm1-os.vhd", SizeGiB: 30, OS: "Linux"}}}},
		CloudServices: []inventory.CloudService{
			{Name: "iaas", Deployment: inventory.Deployment{Name: "iaas", Roles: []inventory.Role{
				{Name: "vm1", Kind: inventory.RoleVirtualMachine, Size: "Small", OSDisk: "vm1-os"}}}},
			{Name: "paas", Deployment: inventory.Deployment{Name: "paas", Roles: []inventory.Role{
				{Name: "front", Kind: inventory.RoleWebRole, Size: "Small"},
				{Name: "back", Kind: inventory.RoleWorkerRole, Size: "Small"}}}},
		}}
	e := FromInventory(inv)
	for _, hs := range e.Services {
		for _, d := range hs.Deployments {
			for _, r := range d.Roles {
				if want := map[string]string{"vm1": RoleTypeVM}[r.RoleName]; r.RoleType != want {
					t.Errorf("role %s served with RoleType %q, want %q", r.RoleName, r.RoleType, want)
				}
			}
		}
	}
	got, err := e.Inventory(inv.SubscriptionID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, cs := range got.CloudServices {
		for _, r := range cs.Deployment.Roles {
			kinds[r.Name] = r.Kind
		}
	}
	want := map[string]string{"vm1": inventory.RoleVirtualMachine, "front": inventory.RoleWorkerRole, "back": inventory.RoleWorkerRole}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
}

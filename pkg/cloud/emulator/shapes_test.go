package emulator_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// smClient sends Service Management requests with a valid token.
type smClient struct {
	t      *testing.T
	c      *http.Client
	base   string // the subscription's Service Management root
	root   string // the server's URL
	sub    string
	bearer string
}

func newSMClient(t *testing.T) *smClient {
	srv, c := start(t)
	_, tok := token(t, srv, c, "s3cret-for-tests")
	return &smClient{t: t, c: c, base: srv.URL() + cloudtest.Inventory().SubscriptionID, bearer: "Bearer " + tok["access_token"].(string)}
}

func (s *smClient) do(method, path, body string) (int, []byte, http.Header) {
	s.t.Helper()
	req, _ := http.NewRequestWithContext(s.t.Context(), method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", s.bearer)
	req.Header.Set(smapi.HeaderVersion, smapi.Version)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// run starts a migration call and polls its operation to the end.
func (s *smClient) run(path, comp, body string) {
	s.t.Helper()
	status, b, h := s.do("POST", path+"/migration?comp="+comp, body)
	if status != http.StatusAccepted {
		s.t.Fatalf("%s %s: %d %s", comp, path, status, b)
	}
	id := h.Get(smapi.HeaderRequestID)
	for {
		_, b, _ := s.do("GET", "/operations/"+id, "")
		op, err := smapi.ParseOperation(b)
		if err != nil {
			s.t.Fatal(err)
		}
		if op.Status == smapi.StatusSucceeded {
			return
		}
		if op.Status == smapi.StatusFailed {
			s.t.Fatalf("%s %s failed: %+v", comp, path, op.Error)
		}
	}
}

// rawDeployment has the element the real API does not send (a
// deployment-level MigrationState), to prove it is absent.
type rawDeployment struct {
	MigrationState string   `xml:"MigrationState"`
	Roles          []string `xml:"RoleList>Role>MigrationState"`
}

type rawStorage struct {
	MigrationState     string `xml:"MigrationState"`
	PropertiesHasState string `xml:"StorageServiceProperties>MigrationState"`
}

const newBody = `<DeploymentNetworkResource xmlns="http://schemas.microsoft.com/windowsazure"><ResourceGroupName></ResourceGroupName><VirtualNetworkName></VirtualNetworkName><SubNetName></SubNetName><DestinationVirtualNetwork>New</DestinationVirtualNetwork></DeploymentNetworkResource>`

// TestMigrationStateWhereAzureReportsIt checks each state is served where
// Azure's own clients read it: per role of a deployment, beside a storage
// account's properties, in each site of the VNet list; and that a committed
// resource answers 404 and leaves the lists.
func TestMigrationStateWhereAzureReportsIt(t *testing.T) {
	s := newSMClient(t)
	dep := "/services/hostedservices/" + cloudtest.ServiceLegacy + "/deployments/" + cloudtest.ServiceLegacy + "-prod"
	deployment := func() rawDeployment {
		t.Helper()
		status, b, _ := s.do("GET", dep, "")
		if status != http.StatusOK {
			t.Fatalf("GET deployment: %d %s", status, b)
		}
		var d rawDeployment
		if err := xml.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if d.MigrationState != "" {
			t.Errorf("Deployment/MigrationState = %q: Azure reports it per role only", d.MigrationState)
		}
		return d
	}
	if d := deployment(); len(d.Roles) == 0 || d.Roles[0] != "None" {
		t.Fatalf("roles' MigrationState before Prepare = %v, want None", d.Roles)
	}
	s.run(dep, "prepare", newBody)
	if d := deployment(); len(d.Roles) == 0 || d.Roles[0] != "Prepared" {
		t.Fatalf("roles' MigrationState after Prepare = %v, want Prepared", d.Roles)
	}
	s.run(dep, "commit", "")
	if status, b, _ := s.do("GET", dep, ""); status != http.StatusNotFound {
		t.Fatalf("GET deployment after Commit: %d %s, want 404", status, b)
	}
	if _, b, _ := s.do("GET", "/services/hostedservices", ""); bytes.Contains(b, []byte(cloudtest.ServiceLegacy)) {
		t.Errorf("hosted service list after Commit still has %s", cloudtest.ServiceLegacy)
	}

	// The VNet: no single-site GET; its state is in the list.
	if status, _, _ := s.do("GET", "/services/networking/virtualnetwork/"+cloudtest.VNet, ""); status != http.StatusNotFound {
		t.Errorf("single VNet site GET: %d, want 404 (the real API has none)", status)
	}
	vnetState := func() string {
		t.Helper()
		_, b, _ := s.do("GET", "/services/networking/virtualnetwork", "")
		v, err := smapi.Decode[smapi.VirtualNetworkSites](bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range v.Sites {
			if strings.EqualFold(x.Name, cloudtest.VNet) {
				return x.MigrationState
			}
		}
		return "gone"
	}
	if st := vnetState(); st != "None" {
		t.Fatalf("VNet site MigrationState = %q, want None", st)
	}
	vnet := "/services/networking/virtualnetwork/" + cloudtest.VNet
	s.run(vnet, "prepare", "")
	if st := vnetState(); st != "Prepared" {
		t.Fatalf("VNet site MigrationState after Prepare = %q", st)
	}
	s.run(vnet, "commit", "")
	if st := vnetState(); st != "gone" {
		t.Fatalf("VNet after Commit still listed (%s)", st)
	}

	// The storage account: StorageService/MigrationState, in get and list.
	acct := "/services/storageservices/" + cloudtest.Storage
	status, b, _ := s.do("GET", acct, "")
	var st rawStorage
	if err := xml.Unmarshal(b, &st); status != http.StatusOK || err != nil {
		t.Fatalf("GET storage: %d %v %s", status, err, b)
	}
	if st.MigrationState != "None" || st.PropertiesHasState != "" {
		t.Errorf("storage state %+v, want StorageService/MigrationState None and none in the properties", st)
	}
	_, b, _ = s.do("GET", "/services/storageservices", "")
	if !bytes.Contains(b, []byte("</StorageServiceProperties><MigrationState>None</MigrationState>")) {
		t.Errorf("storage list without StorageService/MigrationState: %s", b)
	}
	s.run(acct, "prepare", "")
	s.run(acct, "commit", "")
	if status, _, _ := s.do("GET", acct, ""); status != http.StatusNotFound {
		t.Errorf("GET storage after Commit: %d, want 404", status)
	}
}

// TestDeploymentBody checks the emulator takes the body azure-asm-compute
// sends and refuses anything else with the platform's 400.
func TestDeploymentBody(t *testing.T) {
	s := newSMClient(t)
	dep := "/services/hostedservices/" + cloudtest.ServiceLegacy + "/deployments/" + cloudtest.ServiceLegacy + "-prod/migration?comp=validate"
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"node client's", newBody, http.StatusOK},
		{"empty", "", http.StatusBadRequest},
		{"private root", `<PrepareDeploymentMigration xmlns="http://schemas.microsoft.com/windowsazure"><DestinationVirtualNetwork>New</DestinationVirtualNetwork></PrepareDeploymentMigration>`, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, b, _ := s.do("POST", dep, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, b)
			}
			if status == http.StatusBadRequest {
				if e, ok := smapi.ParseError(b); !ok || e.Code != "InvalidXmlRequest" {
					t.Errorf("error %s, want InvalidXmlRequest", b)
				}
			}
		})
	}
}

// startWithCompute serves the suite's estate with the simulator behind the
// Resource Manager calls too.
func startWithCompute(t *testing.T) *smClient {
	t.Helper()
	return startClient(t, cloudtest.Inventory(), func(o *emulator.Options, s *sim.Sim) { o.Compute, o.DiskData = s, s })
}

// startClient serves inv behind an emulator whose options set edits, and
// returns a client holding a token from its authority.
func startClient(t *testing.T, inv *inventory.Inventory, set func(*emulator.Options, *sim.Sim)) *smClient {
	t.Helper()
	srv, c := startEstate(t, inv, set)
	_, tok := token(t, srv, c, "s3cret-for-tests")
	return &smClient{t: t, c: c, base: srv.URL() + inv.SubscriptionID, root: srv.URL(), sub: inv.SubscriptionID, bearer: "Bearer " + tok["access_token"].(string)}
}

// getJSON GETs u (absolute) with the client's token and decodes the JSON
// answer into v; it returns the status.
func (s *smClient) getJSON(u string, v any) int {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", s.bearer)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatalf("GET %s: %d, body not JSON: %v", u, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// arm sends a Resource Manager GET and decodes its JSON answer.
func (s *smClient) arm(path string, v any) int {
	s.t.Helper()
	return s.getJSON(s.root+"subscriptions/"+s.sub+path+"?api-version=2024-03-02", v)
}

// TestSmallerShapes checks issue 9 item 4's shapes: a base64 Label, role
// disks with MediaLink, Resource Manager's ResourceNotFound JSON, the
// resource-group-scoped VM list with canonical locations, and a storage
// account list holding only migrated accounts, with location and sku.
func TestSmallerShapes(t *testing.T) {
	s := startWithCompute(t)
	_, b, _ := s.do("GET", "/services/hostedservices/"+cloudtest.ServiceLegacy+"?embed-detail=true", "")
	hs, err := smapi.Decode[smapi.HostedService](bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if l, err := base64.StdEncoding.DecodeString(hs.Properties.Label); err != nil || string(l) != cloudtest.ServiceLegacy {
		t.Errorf("Label %q: want base64 of %s (%v)", hs.Properties.Label, cloudtest.ServiceLegacy, err)
	}
	if len(hs.Deployments) != 1 || len(hs.Deployments[0].Roles) == 0 {
		t.Fatalf("embedded deployment: %+v", hs.Deployments)
	}
	if od := hs.Deployments[0].Roles[0].OSVirtualHardDisk; od == nil || !strings.HasPrefix(od.MediaLink, "https://") {
		t.Errorf("OSVirtualHardDisk %+v, want a MediaLink", od)
	}

	var notFound struct {
		Error struct{ Code, Message string }
	}
	if st := s.arm("/resourceGroups/nope/providers/Microsoft.Compute/virtualMachines/nope", &notFound); st != http.StatusNotFound || notFound.Error.Code != "ResourceNotFound" {
		t.Errorf("missing VM: %d %+v, want 404 ResourceNotFound", st, notFound)
	}

	type account struct {
		Name, Location string
		Sku            struct{ Name string }
	}
	var accts struct{ Value []account }
	s.arm("/providers/Microsoft.Storage/storageAccounts", &accts)
	if len(accts.Value) != 0 {
		t.Errorf("storage accounts before migration: %+v, want none (still classic)", accts.Value)
	}
	for _, p := range []string{"/services/networking/virtualnetwork/" + cloudtest.VNet, "/services/hostedservices/" + cloudtest.ServiceLegacy + "/deployments/" + cloudtest.ServiceLegacy + "-prod", "/services/storageservices/" + cloudtest.Storage} {
		body := ""
		if strings.Contains(p, "hostedservices") {
			body = newBody
		}
		s.run(p, "prepare", body)
		s.run(p, "commit", "")
	}
	s.arm("/providers/Microsoft.Storage/storageAccounts", &accts)
	if len(accts.Value) != 1 || accts.Value[0].Name != cloudtest.Storage || accts.Value[0].Location != "westus" || accts.Value[0].Sku.Name == "" {
		t.Errorf("storage accounts after migration: %+v, want %s in westus with a sku", accts.Value, cloudtest.Storage)
	}

	var vms struct {
		Value []struct{ Name, Location string }
	}
	s.arm("/resourceGroups/"+cloudtest.ServiceLegacy+"-Migrated/providers/Microsoft.Compute/virtualMachines", &vms)
	if len(vms.Value) != 1 || vms.Value[0].Location != "westus" {
		t.Errorf("VMs of %s-Migrated: %+v, want one in westus", cloudtest.ServiceLegacy, vms.Value)
	}
}

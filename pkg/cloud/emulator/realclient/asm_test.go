package realclient_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"crypto/tls"
	"crypto/x509"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// RouteTable is an unattached route table the scenarios add to the suite's
// estate, so route-table calls are exercised too.
const RouteTable = "suite-routes"

// nodeEnv finds node and the pinned packages: missing, the test is skipped,
// or fails in CI.
func nodeEnv(t *testing.T) (node, modules string) {
	t.Helper()
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	modules = filepath.Join(root, "node_modules")
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: run scripts/deps.sh (npm ci)", what)
		}
		t.Skipf("%s is missing (scripts/deps.sh installs it)", what)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		missing("node")
	}
	for _, p := range []string{"azure-common", "azure-asm-compute", "azure-asm-network", "azure-asm-storage"} {
		if _, err := os.Stat(filepath.Join(modules, p, "package.json")); err != nil {
			missing("npm package " + p)
		}
	}
	return node, modules
}

// asmEnv is `migrate sim serve` over a fresh simulator, and what a script
// needs to reach it.
type asmEnv struct {
	t    *testing.T
	node string
	env  []string
	sub  string
}

func inventoryWithRouteTable() *inventory.Inventory {
	inv := cloudtest.Inventory()
	inv.RouteTables = append(inv.RouteTables, inventory.RouteTable{Name: RouteTable, Location: inv.DefaultLocation,
		Routes: []inventory.Route{{Name: "to-onprem", AddressPrefix: "192.168.0.0/16", NextHopType: "VPNGateway"}}})
	return inv
}

// everyRuleEstate is testdata/estates/every-rule.json, the estate that
// fires every rule, with its classic side in Azure (its Stack Hub target,
// for the stack-* rules, is the operator's choice of destination).
func everyRuleEstate(t *testing.T) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(filepath.Join("..", "..", "..", "..", "testdata", "estates", "every-rule.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv.Target.Cloud = inventory.CloudAzurePublic
	return inv
}

func newASMEnv(t *testing.T) *asmEnv {
	t.Helper()
	return newASMEnvWith(t, inventoryWithRouteTable())
}

// newASMEnvWith is newASMEnv over the estate inv, served by `migrate sim
// serve`.
func newASMEnvWith(t *testing.T, inv *inventory.Inventory) *asmEnv {
	t.Helper()
	e, _ := newASMEnvServed(t, inv, serveOptions{})
	return e
}

// newASMEnvServed is newASMEnvWith with the server shaped by o; it returns
// the server too.
func newASMEnvServed(t *testing.T, inv *inventory.Inventory, o serveOptions) (*asmEnv, *served) {
	t.Helper()
	node, modules := nodeEnv(t)
	sv := serve(t, inv, o)
	return &asmEnv{t: t, node: node, sub: inv.SubscriptionID, env: append(os.Environ(),
		"BASE_URI="+sv.url,
		"SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, sv, emulator.ServiceManagementAudience+"/.default"),
		"NODE_EXTRA_CA_CERTS="+sv.caFile,
		"NODE_PATH="+modules,
	)}, sv
}

// token obtains a token for scope (an audience's "/.default") from the
// served authority (tenant "emulator") with the client-credential grant.
func token(t *testing.T, sv *served, scope string) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(sv.certPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret},
		"scope": {scope}}
	resp, err := c.PostForm(sv.url+"emulator/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return v.AccessToken
}

// run runs testdata/<script>.js with args and decodes its JSON output.
func (e *asmEnv) run(script string, out any, args ...string) {
	e.t.Helper()
	if err := json.Unmarshal(e.runRaw(script, args...), out); err != nil {
		e.t.Fatalf("node %s: %v", script, err)
	}
}

// runRaw runs testdata/<script>.js with args and returns its output.
func (e *asmEnv) runRaw(script string, args ...string) []byte {
	e.t.Helper()
	cmd := exec.CommandContext(e.t.Context(), e.node, append([]string{filepath.Join("testdata", script+".js")}, args...)...)
	cmd.Env = e.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("node %s %v: %v\n%s", script, args, err, stderr.String())
	}
	if !json.Valid(stdout.Bytes()) {
		e.t.Fatalf("node %s %v: output %q is not JSON\n%s", script, args, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// TestDiscoveryReads reads the whole estate with the libraries' list and
// get calls (every read the azure driver and `inventory discover` make) and
// compares what they parsed with a golden file (-update rewrites it); the
// facts the migration depends on are checked by name as well.
func TestDiscoveryReads(t *testing.T) {
	e := newASMEnv(t)
	var out struct {
		Detailed map[string]struct {
			Label       string `json:"label"`
			Deployments []struct {
				Roles []struct {
					MigrationState string   `json:"migrationState"`
					OSMediaLink    string   `json:"osMediaLink"`
					DataMediaLinks []string `json:"dataMediaLinks"`
				} `json:"roles"`
			} `json:"deployments"`
		} `json:"detailed"`
		VNets []struct {
			MigrationState string `json:"migrationState"`
		} `json:"vnets"`
		Storage []struct {
			MigrationState string `json:"migrationState"`
		} `json:"storage"`
		StorageGet struct {
			MigrationState string `json:"migrationState"`
		} `json:"storageGet"`
	}
	raw := e.runRaw("discover")
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	for name, hs := range out.Detailed {
		if hs.Label != name {
			t.Errorf("%s: label %q as the library decodes it (base64), want %q", name, hs.Label, name)
		}
		for _, d := range hs.Deployments {
			for _, r := range d.Roles {
				if r.MigrationState != "None" || r.OSMediaLink == "" {
					t.Errorf("%s: role read as %+v, want MigrationState None and a MediaLink", name, r)
				}
				for _, l := range r.DataMediaLinks {
					if l == "" {
						t.Errorf("%s: data disk without MediaLink", name)
					}
				}
			}
		}
	}
	if len(out.VNets) == 0 || out.VNets[0].MigrationState != "None" || len(out.Storage) == 0 || out.Storage[0].MigrationState != "None" || out.StorageGet.MigrationState != "None" {
		t.Errorf("states as the library reads them: vnets %+v, storage %+v / %+v", out.VNets, out.Storage, out.StorageGet)
	}
	golden(t, "discover.golden.json", raw)
}

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got (JSON) with testdata/name, indented.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from what the library read (go test -update to accept):\n%s", name, buf.String())
	}
}

// step is one step of migrate.js.
type step struct {
	Op       string   `json:"op"`
	OK       bool     `json:"ok"`
	Status   int      `json:"status"`
	OpStatus string   `json:"opStatus"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Messages []string `json:"messages"`
	State    string   `json:"state"`
}

// want is what a step must give: whether the library reports success, and
// the state it then reads ("gone" once the classic resource is deleted;
// "exists" where the library reads no state).
type want struct {
	op    string
	ok    bool
	state string
}

// TestMigrationCalls drives every kind of unit through validateMigration,
// prepareMigration, abortMigration and commitMigration of Microsoft's
// clients, each asynchronous call polled by the library's own
// getOperationStatus, and reads the unit's state as the library reads it
// after each step: per role for a deployment, in the VNet list for a VNet,
// beside the properties for a storage account; 404 (gone) after Commit.
// Units run in the platform's order: the VNet and the cloud service outside
// it before the storage account holding their disks.
func TestMigrationCalls(t *testing.T) {
	e := newASMEnv(t)
	dep := cloudtest.ServiceLegacy + "-prod"
	units := []struct {
		kind, name, deployment string
		steps                  []want
	}{
		{"nsg", cloudtest.NSG, "", []want{
			{"commit", false, "exists"}, // before Prepare: the platform's 409
			{"validate", true, "exists"}, {"prepare", true, "exists"}, {"abort", true, "exists"},
			{"prepare", true, "exists"}, {"commit", true, "gone"},
		}},
		{"vnet", cloudtest.VNet, "", []want{
			{"state", true, "None"}, {"validate", true, "None"}, {"prepare", true, "Prepared"},
			{"abort", true, "None"}, {"prepare", true, "Prepared"}, {"commit", true, "gone"},
		}},
		{"cloudservice", cloudtest.ServiceLegacy, dep, []want{
			{"state", true, "None"}, {"validate", true, "None"}, {"prepare", true, "Prepared"},
			{"abort", true, "None"}, {"prepare", true, "Prepared"}, {"commit", true, "gone"},
		}},
		{"reservedip", cloudtest.ReservedIP, "", []want{
			{"validate", true, "exists"}, {"prepare", true, "exists"}, {"commit", true, "gone"},
		}},
		{"routetable", RouteTable, "", []want{
			{"validate", true, "exists"}, {"prepare", true, "exists"}, {"commit", true, "gone"},
		}},
		{"storage", cloudtest.Storage, "", []want{
			{"state", true, "None"}, {"validate", true, "None"}, {"prepare", true, "Prepared"},
			{"abort", true, "None"}, {"prepare", true, "Prepared"}, {"commit", true, "gone"},
		}},
	}
	for _, u := range units {
		t.Run(u.kind, func(t *testing.T) {
			args := []string{u.kind, u.name}
			if u.deployment != "" {
				args = append(args, u.deployment)
			}
			args = append(args, "--")
			for _, w := range u.steps {
				args = append(args, w.op)
			}
			var got []step
			e.run("migrate", &got, args...)
			if len(got) != len(u.steps) {
				t.Fatalf("%d steps, want %d: %+v", len(got), len(u.steps), got)
			}
			for i, w := range u.steps {
				g := got[i]
				if w.op != "state" && g.OK != w.ok {
					t.Errorf("step %d %s: ok %v (%d %s %s), want %v", i, w.op, g.OK, g.Status, g.Code, g.Message, w.ok)
				}
				if g.State != w.state {
					t.Errorf("step %d %s: state %q as the library reads it, want %q", i, w.op, g.State, w.state)
				}
				if !w.ok && !strings.Contains(g.Message, "ConflictError") {
					t.Errorf("step %d %s: refusal %q, want the platform's ConflictError and words", i, w.op, g.Message)
				}
				if w.op != "state" && w.ok && w.op != "validate" && g.OpStatus != "Succeeded" {
					t.Errorf("step %d %s: operation status %q as the library polled it, want Succeeded", i, w.op, g.OpStatus)
				}
			}
		})
	}
}

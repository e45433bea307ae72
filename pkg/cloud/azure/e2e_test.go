package azure_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Test credentials the emulator's authority accepts. The secret is checked
// for in every captured log.
const (
	testClientID     = "11111111-2222-3333-4444-555555555555"
	testClientSecret = "emulator-s3cret-Zq9!"
)

// logBuf collects log lines from concurrent calls.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuf) add(s string) { b.mu.Lock(); b.lines = append(b.lines, s); b.mu.Unlock() }

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

type env struct {
	sim *sim.Sim
	// simDir is the simulator's state directory (its test hooks' files
	// live under simDir/sim).
	simDir string
	// srvPlatform is what serves the emulator's platform calls, if any.
	srvPlatform cloud.PlatformConversion
	// azurite is the Azurite blob endpoint behind the emulator, if any.
	azurite string
	srv     *emulator.Server
	driver  *azure.Driver
	cfg     azure.Config
	log     *logBuf
}

type setup struct {
	emu   emulator.Options
	sim   sim.Options
	cloud string // overrides the written config's cloud
	// api overrides the written config's API versions (empty fields keep
	// the cloud's defaults).
	api azure.APIVersions
	// blobEndpoint serves the disk step: the sim's Compute and DiskData
	// behind the emulator, page data in Azurite there.
	blobEndpoint string
	tokens       azure.TokenStore
	// platform serves availability sets and the platform's conversion
	// from the simulator's own.
	platform bool
	// wrap, when set, stands between the emulator and the simulator's
	// migration calls (to make the platform answer what a test needs).
	wrap func(cloud.Migrator) cloud.Migrator
}

// newEnv runs inv in the simulator behind the emulator on loopback TLS and
// points a driver at it through the configuration the emulator writes, with
// a real azidentity ClientSecretCredential against the emulator's
// authority.
func newEnv(t *testing.T, inv *inventory.Inventory, s setup) *env {
	t.Helper()
	ctx := t.Context()
	simDir := t.TempDir()
	sm, err := sim.Open(simDir, inv, s.sim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sm.Close() })
	log := &logBuf{}
	eo := s.emu
	eo.SubscriptionID = inv.SubscriptionID
	eo.ClientID, eo.ClientSecret = testClientID, testClientSecret
	eo.Log = log.add
	if s.blobEndpoint != "" {
		// The disk step's cloud is the simulator's, availability sets and
		// the platform's conversion included, as sim serve wires it.
		eo.Compute, eo.DiskData, eo.BlobEndpoint, eo.Platform = sm, sm, s.blobEndpoint, sm
	}
	if s.platform {
		eo.Platform, eo.Compute = sm, sm
	}
	var m cloud.Migrator = sm
	if s.wrap != nil {
		m = s.wrap(sm)
	}
	srv := emulator.New(m, sm, eo)
	if _, err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	path := filepath.Join(t.TempDir(), "migrate.yaml")
	if err := srv.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := azure.ReadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.cloud != "" {
		cfg.Cloud = s.cloud
	}
	cfg.APIVersions = s.api
	vars := map[string]string{azure.EnvClientID: testClientID, azure.EnvClientSecret: testClientSecret}
	cfg.ApplyEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	d, err := azure.New(ctx, cfg, azure.Options{
		Log:             log.add,
		PollInterval:    time.Millisecond,
		MaxPollInterval: 10 * time.Millisecond,
		// Faults answer Retry-After: 1, which azcore honours, compressed
		// a thousandfold as the simulator's time is; the other faults
		// retry after a millisecond.
		Retry:     policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Second},
		TimeScale: 0.001,
		Tokens:    s.tokens,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sm, simDir: simDir, srvPlatform: eo.Platform, azurite: s.blobEndpoint, srv: srv, driver: d, cfg: cfg, log: log}
}

func TestConformance(t *testing.T) {
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		return newEnv(t, inv, setup{}).driver
	})
}

// TestConformanceWithFaults runs the suite with a fifth of the emulator's
// answers faulted (some after the call took effect) and a tenth of the
// simulator's calls faulted too: retried transient errors must not change
// any outcome.
func TestConformanceWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("waits on Retry-After: 1 answers")
	}
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		return newEnv(t, inv, setup{
			emu: emulator.Options{FaultRate: 0.2, Seed: 7},
			sim: sim.Options{FaultRate: 0.1, Seed: 3, TimeScale: 0.001},
		}).driver
	})
}

// richInventory exercises every field discovery reads.
func richInventory() *inventory.Inventory {
	inv := cloudtest.Inventory()
	inv.VirtualNetworks[0].Subnets[0].NetworkSecurityGroup = cloudtest.NSG
	inv.VirtualNetworks[0].Gateways = []inventory.Gateway{{Kind: inventory.GatewayVpn, SKU: "Basic"}}
	inv.VirtualNetworks[0].Peerings = []inventory.Peering{{Name: "to-hub",
		RemoteVirtualNetwork: armapi.ResourceID(inv.SubscriptionID, "hub-rg", armapi.TypeVirtualNetworks, "hub")}}
	inv.NetworkSecurityGroups[0].Rules = []inventory.NSGRule{{Name: "allow-http", Priority: 100, Direction: "Inbound", Access: "Allow",
		Protocol: "TCP", SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "80"}}
	inv.RouteTables = append(inv.RouteTables, inventory.RouteTable{Name: "suite-routes", Location: "West US",
		Routes: []inventory.Route{{Name: "to-fw", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.9.4"}}})
	sa := &inv.StorageAccounts[0]
	sa.Disks[0].OS = "Windows"
	sa.Images = []inventory.Image{
		{Name: "golden", VHDURI: "https://" + cloudtest.Storage + ".blob.core.windows.net/images/g.vhd", OS: "Linux", Generalized: true},
		{Name: "captured", VHDURI: "https://" + cloudtest.Storage + ".blob.core.windows.net/images/c.vhd", OS: "Windows"},
	}
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			r.PrivateIP = "10.0.1." + string(rune('4'+j))
			r.Endpoints = append(r.Endpoints, inventory.Endpoint{Name: "rdp", Protocol: "tcp", PublicPort: 3389, LocalPort: 3389,
				ACL: []inventory.ACL{{Order: 100, Action: "permit", RemoteSubnet: "10.1.0.0/16"}}})
		}
	}
	inv.CloudServices[0].Deployment.Roles[0].State = "StoppedDeallocated"
	// Role assignments, read from Resource Manager: built-in roles and a
	// custom one, listed out of discovery's order.
	sa.RoleAssignments = []inventory.RoleAssignment{{Principal: "storage-ops", Role: "Reader"},
		{Principal: "backup-svc", Role: "Classic Storage Account Key Operator Service Role"}, {Principal: "audit", Role: "Reader"}}
	inv.VirtualNetworks[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "net-team", Role: "Classic Network Contributor"}}
	inv.CloudServices[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "app-team", Role: "Legacy App Operator"},
		{Principal: "owners", Role: "Owner"}}
	return inv
}

// project zeroes what Service Management cannot report
// (smapi.Undiscoverable) and normalises what it cannot order, so a
// discovered inventory compares with the simulator's. A peering's remote
// becomes its last segment: discovery records the Resource Manager VNet's
// id where the inventory may give the peer's name.
func project(inv *inventory.Inventory) {
	inv.DefaultLocation = ""
	// Discovery reads all six counters of every region of the estate (a new
	// subscription's defaults where the seed gives none); the simulator's
	// estate holds only what its seed gives. TestDiscoverQuotas compares
	// them.
	inv.Target.Quotas = nil
	inv.ExpressRouteCircuits = nil // model and owner are not all reported
	for i := range inv.StorageAccounts {
		sa := &inv.StorageAccounts[i]
		sa.BlobsOnly = false
		sortRoleAssignments(sa.RoleAssignments)
		for j := range sa.Disks {
			sa.Disks[j].BlobSizeBytes = 0
		}
		sort.Slice(sa.Images, func(a, b int) bool { return sa.Images[a].Name < sa.Images[b].Name })
	}
	for i := range inv.VirtualNetworks {
		v := &inv.VirtualNetworks[i]
		// Discovery lists platform services in Resource Manager, sorted;
		// no Azure API says a VNet holds Dynamics Lifecycle Services.
		v.PlatformServices = slices.DeleteFunc(slices.Sorted(slices.Values(v.PlatformServices)),
			func(s string) bool { return s == inventory.PlatformDynamicsLifecycle })
		for j := range v.Peerings {
			v.Peerings[j].RemoteVirtualNetwork = armapi.NameOf(v.Peerings[j].RemoteVirtualNetwork)
		}
		sort.Slice(v.Peerings, func(a, b int) bool { return v.Peerings[a].Name < v.Peerings[b].Name })
		sortRoleAssignments(v.RoleAssignments)
	}
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		cs.Deployment.Destination = nil
		sortRoleAssignments(cs.RoleAssignments)
	}
	nilEmpty(reflect.ValueOf(inv).Elem())
}

// sortRoleAssignments orders ras as discovery does (role, then principal):
// Resource Manager lists assignments in an order of its own.
func sortRoleAssignments(ras []inventory.RoleAssignment) {
	sort.Slice(ras, func(a, b int) bool {
		if ras[a].Role != ras[b].Role {
			return ras[a].Role < ras[b].Role
		}
		return ras[a].Principal < ras[b].Principal
	})
}

// nilEmpty makes every empty slice nil, since "none" and "omitted" mean the
// same in an inventory.
func nilEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			nilEmpty(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			nilEmpty(v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := range v.Len() {
			nilEmpty(v.Index(i))
		}
	}
}

func TestDiscoverRoundTrip(t *testing.T) {
	e := newEnv(t, richInventory(), setup{})
	got, err := e.driver.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.sim.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.CloudServices) != 3 || len(got.StorageAccounts[0].Images) != 2 || len(got.RouteTables) != 1 ||
		len(got.CloudServices[0].Deployment.Roles[0].Endpoints) == 0 || len(got.VirtualNetworks[0].Peerings) != 1 {
		t.Fatalf("discovery lost resources: %+v", got)
	}
	project(got)
	project(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("discovered inventory differs from the served one\n got: %+v\nwant: %+v", got, want)
	}
	// Commit a unit: its classic resources disappear from discovery.
	ctx := t.Context()
	for _, op := range []func(context.Context, cloud.Target) error{e.driver.Prepare, e.driver.Commit} {
		if err := op(ctx, cloudtest.Target("routetable/suite-routes")); err != nil {
			t.Fatal(err)
		}
	}
	after, err := e.driver.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range after.RouteTables {
		if rt.Name == "suite-routes" {
			t.Errorf("committed route table %s still discovered", rt.Name)
		}
	}
}

func TestDestinationReachesPlatform(t *testing.T) {
	e := newEnv(t, cloudtest.Inventory(), setup{})
	tg := cloudtest.Target(cloudtest.UnitLegacy)
	tg.Destination = &cloud.Destination{ResourceGroup: "net-rg", VirtualNetwork: "hub", Subnet: "apps"}
	if _, err := e.driver.Validate(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	if err := e.driver.Prepare(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	if st, err := e.driver.State(t.Context(), tg); err != nil || st != cloud.StatePrepared {
		t.Fatalf("State = %s, %v; want Prepared", st, err)
	}
}

// TestLogRedacted captures the -v log of a whole flow (discovery,
// preflight, validate, prepare, commit, a refusal) on both ends and fails
// if the client secret, any issued token or a SAS signature shows.
func TestLogRedacted(t *testing.T) {
	e := newEnv(t, cloudtest.Inventory(), setup{emu: emulator.Options{FaultRate: 0.1, Seed: 11}})
	ctx := t.Context()
	tg := cloudtest.Target(cloudtest.UnitNSG)
	retry := func(fn func() error) error {
		for {
			err := fn()
			if after, ok := cloud.IsTransient(err); ok {
				time.Sleep(after)
				continue
			}
			return err
		}
	}
	steps := []func() error{
		func() error { _, err := e.driver.Discover(ctx); return err },
		func() error { return e.driver.Preflight(ctx) },
		func() error { _, err := e.driver.Validate(ctx, tg); return err },
		func() error { return e.driver.Prepare(ctx, tg) },
		func() error { return e.driver.Commit(ctx, tg) },
	}
	for _, s := range steps {
		if err := retry(s); err != nil {
			t.Fatal(err)
		}
	}
	// The committed NSG is gone (its state reads as not found), so the
	// refusal carries the platform's code and words, not a state read back.
	var se *cloud.StateError
	if err := retry(func() error { return e.driver.Abort(ctx, tg) }); !errors.As(err, &se) || se.Code != "ConflictError" || !strings.Contains(se.Message, "Committed") {
		t.Fatalf("Abort after Commit = %v, want *cloud.StateError with the platform's ConflictError", err)
	}
	log := e.log.String()
	if !strings.Contains(log, "azure: POST") || !strings.Contains(log, "emulator: GET") {
		t.Fatalf("log does not show the calls:\n%s", log)
	}
	tokens := e.srv.IssuedTokens()
	if len(tokens) == 0 {
		t.Fatal("no token issued: the flow did not authenticate")
	}
	for _, secret := range append(tokens, testClientSecret) {
		if strings.Contains(log, secret) {
			t.Errorf("log contains a secret %q", secret)
		}
	}
	for _, line := range strings.Split(log, "\n") {
		if i := strings.Index(strings.ToLower(line), "sig="); i >= 0 && !strings.HasPrefix(line[i+4:], "REDACTED") {
			t.Errorf("log line carries a SAS signature: %s", line)
		}
	}
}

func TestPreflight(t *testing.T) {
	tests := []struct {
		name      string
		cloud     string
		providers map[string]string
		want      []string // namespaces reported, in order
		symptom   string
	}{
		{"registered", "", nil, nil, ""},
		{"migrate not registered", "", map[string]string{azure.ProviderClassicMigrate: "NotRegistered"},
			[]string{azure.ProviderClassicMigrate}, "refuses every Validate"},
		{"compute ignored off Stack Hub", "", map[string]string{azure.ProviderCompute: "NotRegistered"}, nil, ""},
		{"stack hub compute", azure.CloudAzureStackHub, map[string]string{azure.ProviderCompute: "NotRegistered"},
			[]string{azure.ProviderCompute}, "Internal error in disk manager"},
		// Azure Stack Hub has no classic side, so no migration provider
		// to check (issue 10).
		{"stack hub both", azure.CloudAzureStackHub, map[string]string{azure.ProviderCompute: "Registering", azure.ProviderClassicMigrate: "NotRegistered"},
			[]string{azure.ProviderCompute}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, cloudtest.Inventory(), setup{emu: emulator.Options{Providers: tt.providers}, cloud: tt.cloud})
			err := e.driver.Preflight(t.Context())
			var got []string
			if err != nil {
				for _, x := range err.(interface{ Unwrap() []error }).Unwrap() {
					var pe *azure.ProviderError
					if !errors.As(x, &pe) {
						t.Fatalf("preflight error %v is not a *azure.ProviderError", x)
					}
					if !strings.Contains(pe.Error(), "az provider register --namespace "+pe.Namespace) {
						t.Errorf("message %q does not name the fix", pe.Error())
					}
					got = append(got, pe.Namespace)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Preflight reported %v, want %v (err %v)", got, tt.want, err)
			}
			if tt.symptom != "" && (err == nil || !strings.Contains(err.Error(), tt.symptom)) {
				t.Errorf("Preflight = %v, want it to say %q", err, tt.symptom)
			}
		})
	}
}

func TestWrongSecretIsNotTransient(t *testing.T) {
	e := newEnv(t, cloudtest.Inventory(), setup{})
	cfg := e.cfg
	cfg.ClientSecret = "wrong"
	d, err := azure.New(t.Context(), cfg, azure.Options{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.State(t.Context(), cloudtest.Target(cloudtest.UnitNSG))
	if err == nil {
		t.Fatal("State with a wrong secret succeeded")
	}
	if _, ok := cloud.IsTransient(err); ok {
		t.Fatalf("authentication failure reported as transient: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") && strings.Contains(err.Error(), "client_secret") {
		t.Fatalf("error leaks the secret: %v", err)
	}
}

package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// open opens a sim over a fresh state directory, closed with the test.
func open(t *testing.T, dir string, inv *inventory.Inventory, o sim.Options) *sim.Sim {
	t.Helper()
	s, err := sim.Open(dir, inv, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		return open(t, t.TempDir(), inv, sim.Options{Seed: 1})
	})
}

func TestConformanceWithLatency(t *testing.T) {
	t.Parallel()
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		// A "30 minute" operation over a 0.00001 time scale: 18ms.
		return open(t, t.TempDir(), inv, sim.Options{Seed: 1, Latency: 30 * time.Minute, TimeScale: 0.00001})
	})
}

func TestConformanceWithFaults(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		dirs []string
	)
	// Outlives the subtests, whose own temp dirs go when they end.
	base := t.TempDir()
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		dir, err := os.MkdirTemp(base, "")
		must(t, err)
		mu.Lock()
		dirs = append(dirs, dir)
		mu.Unlock()
		return open(t, dir, inv, sim.Options{Seed: 7, FaultRate: 0.2, Latency: time.Second, TimeScale: 0.001})
	})
	if t.Failed() {
		return
	}
	// The suite passed; make sure it passed through faults, lost responses
	// included, not around them.
	faults, lost := 0, 0
	for _, dir := range dirs {
		ops, err := open(t, dir, nil, sim.Options{}).History(t.Context())
		must(t, err)
		for _, op := range ops {
			switch op.Result {
			case sim.ResultSucceeded, sim.ResultFailed:
			default:
				faults++
			}
		}
		for i := 1; i < len(ops); i++ {
			prev, cur := ops[i-1], ops[i]
			if prev.Op == cur.Op && prev.Unit == cur.Unit && prev.Result != sim.ResultSucceeded &&
				prev.Result != sim.ResultFailed && prev.StateBefore != cur.StateBefore {
				lost++ // the faulted call had taken effect
			}
		}
	}
	if faults == 0 || lost == 0 {
		t.Fatalf("fault rate 0.2 gave %d faults, %d lost responses: the suite did not exercise them", faults, lost)
	}
	t.Logf("%d faults, %d lost responses", faults, lost)
}

// clock is a hand-moved clock for tests; safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func mustState(t *testing.T, s *sim.Sim, unit string) cloud.State {
	t.Helper()
	st, err := s.State(t.Context(), cloudtest.Target(unit))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// summary renders a history without times, for comparisons.
func summary(ops []sim.Operation) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = fmt.Sprintf("%d %s %s %s %s", op.Seq, op.Op, op.Unit, op.StateBefore, op.Result)
	}
	return out
}

func history(t *testing.T, s *sim.Sim) []string {
	t.Helper()
	ops, err := s.History(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return summary(ops)
}

func TestPersistsAcrossOpens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	a, err := sim.Open(dir, cloudtest.Inventory(), sim.Options{})
	must(t, err)
	must(t, a.Prepare(ctx, cloudtest.Target(cloudtest.UnitVNet)))
	must(t, a.Close())

	// A later "process", with a different inventory: the cloud is the truth.
	changed := cloudtest.Inventory()
	changed.VirtualNetworks = nil
	changed.CloudServices = changed.CloudServices[2:]
	b := open(t, dir, changed, sim.Options{})
	if st := mustState(t, b, cloudtest.UnitVNet); st != cloud.StatePrepared {
		t.Fatalf("second Open: State = %s, want Prepared", st)
	}
	must(t, b.Commit(ctx, cloudtest.Target(cloudtest.UnitVNet)))

	// And one without an inventory at all, as `migrate sim history` opens it.
	c := open(t, dir, nil, sim.Options{})
	want := []string{
		"1 Prepare vnet/suite-vnet None Succeeded",
		"2 Commit vnet/suite-vnet Prepared Succeeded",
	}
	if got := history(t, c); !slices.Equal(got, want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
}

func TestOpenWithoutStateNeedsInventory(t *testing.T) {
	t.Parallel()
	if _, err := sim.Open(t.TempDir(), nil, sim.Options{}); err == nil {
		t.Fatal("Open over an empty directory without an inventory succeeded")
	}
}

func TestStateFilePermissions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, cloudtest.Inventory(), sim.Options{})
	must(t, s.Prepare(t.Context(), cloudtest.Target(cloudtest.UnitNSG)))
	tests := []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Join(dir, "sim"), 0o700 | os.ModeDir},
		{filepath.Join(dir, "sim", "sim.db"), 0o600},
		{filepath.Join(dir, "sim", "lock"), 0o600},
	}
	for _, tc := range tests {
		fi, err := os.Stat(tc.path)
		must(t, err)
		if fi.Mode() != tc.mode {
			t.Errorf("%s: mode %v, want %v", tc.path, fi.Mode(), tc.mode)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "sim"))
	must(t, err)
	if len(entries) != len(tests)-1 {
		t.Errorf("sim directory holds %d entries, want the %d files above only (no temp files left)", len(entries), len(tests)-1)
	}
}

// Two Sims over one directory stand for two processes: the flock must
// serialize their read-modify-writes so no update is lost.
func TestTwoSimsOneDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := cloudtest.Inventory()
	a := open(t, dir, inv, sim.Options{Latency: time.Second, TimeScale: 0.001})
	b := open(t, dir, inv, sim.Options{Latency: time.Second, TimeScale: 0.001})
	units := []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitNSG, cloudtest.UnitReservedIP}
	var wg sync.WaitGroup
	errs := make([]error, len(units))
	for i, u := range units {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			ctx := t.Context()
			validate := func(ctx context.Context, tg cloud.Target) error { _, err := s.Validate(ctx, tg); return err }
			for _, step := range []func(context.Context, cloud.Target) error{validate, s.Prepare, s.Abort, s.Prepare, s.Commit} {
				if err := step(ctx, cloudtest.Target(u)); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	c := open(t, dir, nil, sim.Options{})
	ops, err := c.History(t.Context())
	must(t, err)
	if len(ops) != 5*len(units) {
		t.Fatalf("history holds %d operations, want %d: %q", len(ops), 5*len(units), summary(ops))
	}
	for i, op := range ops {
		if op.Seq != int64(i+1) {
			t.Fatalf("operation %d has seq %d: sequence numbers must be dense", i, op.Seq)
		}
	}
	for _, u := range units {
		if st := mustState(t, c, u); st != cloud.StateCommitted {
			t.Errorf("State(%s) = %s, want Committed", u, st)
		}
	}
}

// A client killed while Prepare's latency passes (a cancelled ctx here)
// leaves the operation running in the cloud; a later Open finds it
// Preparing before its due time and Prepared after.
func TestPendingOperationOutlivesClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := newClock()
	o := sim.Options{Latency: 30 * time.Minute, Now: clk.Now}
	a := open(t, dir, cloudtest.Inventory(), o)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Prepare(ctx, cloudtest.Target(cloudtest.UnitLegacy)) }()

	b := open(t, dir, nil, o)
	for mustState(t, b, cloudtest.UnitLegacy) != cloud.StatePreparing {
		time.Sleep(time.Millisecond) // until the call reached the cloud
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Prepare after its ctx was cancelled = %v, want context.Canceled", err)
	}

	clk.Add(29 * time.Minute)
	c := open(t, dir, nil, o)
	if st := mustState(t, c, cloudtest.UnitLegacy); st != cloud.StatePreparing {
		t.Fatalf("before due: State = %s, want Preparing", st)
	}
	clk.Add(2 * time.Minute)
	d := open(t, dir, nil, o)
	if st := mustState(t, d, cloudtest.UnitLegacy); st != cloud.StatePrepared {
		t.Fatalf("after due: State = %s, want Prepared", st)
	}
	res, err := d.Resources(t.Context())
	must(t, err)
	if !slices.ContainsFunc(res, func(r sim.ARMResource) bool {
		return r.Type == "Microsoft.Compute/virtualMachines" && r.Name == "legacy1" && r.ResourceGroup == "suite-legacy-Migrated" && !r.Committed
	}) {
		t.Fatalf("Resources after Prepare = %+v, want VM legacy1 in suite-legacy-Migrated", res)
	}
	// The resumed client sends Prepare again: idempotent, nothing new starts.
	must(t, d.Prepare(t.Context(), cloudtest.Target(cloudtest.UnitLegacy)))
	want := []string{
		"1 Prepare cloudservice/suite-legacy None Succeeded",
		"2 Prepare cloudservice/suite-legacy Prepared Succeeded",
	}
	if got := history(t, d); !slices.Equal(got, want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
}

// A second caller of an operation in flight joins it rather than starting
// another one, and both return when it resolves.
func TestJoinOperationInFlight(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := newClock()
	o := sim.Options{Latency: time.Minute, Now: clk.Now}
	a := open(t, dir, cloudtest.Inventory(), o)
	b := open(t, dir, nil, o)
	tg := cloudtest.Target(cloudtest.UnitNSG)
	first := make(chan error, 1)
	go func() { first <- a.Prepare(t.Context(), tg) }()
	for mustState(t, b, cloudtest.UnitNSG) != cloud.StatePreparing {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() { second <- b.Prepare(t.Context(), tg) }()
	for len(history(t, b)) < 2 {
		time.Sleep(time.Millisecond)
	}
	var se *cloud.StateError
	if err := b.Commit(t.Context(), tg); !errors.As(err, &se) || se.State != cloud.StatePreparing {
		t.Fatalf("Commit while Preparing = %v, want *cloud.StateError in Preparing", err)
	}
	clk.Add(time.Minute)
	must(t, <-first)
	must(t, <-second)
	want := []string{
		"1 Prepare nsg/suite-nsg None Succeeded",
		"2 Prepare nsg/suite-nsg Preparing Succeeded",
		"3 Commit nsg/suite-nsg Preparing Failed",
	}
	if got := history(t, b); !slices.Equal(got, want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), cloudtest.Inventory(), sim.Options{})
	ctx := t.Context()
	tg := cloudtest.Target(cloudtest.UnitVNet)
	_, err := s.Validate(ctx, tg)
	must(t, err)
	must(t, s.Prepare(ctx, tg))
	must(t, s.Prepare(ctx, tg))
	must(t, s.Commit(ctx, tg))
	must(t, s.Commit(ctx, tg))
	if err := s.Abort(ctx, tg); err == nil {
		t.Fatal("Abort after Commit succeeded")
	}
	mustState(t, s, cloudtest.UnitVNet) // reads are not recorded
	if _, err := s.State(ctx, cloudtest.Target("vnet/nope")); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("State of an unknown VNet = %v, want ErrNotFound", err)
	}
	want := []string{
		"1 Validate vnet/suite-vnet None Succeeded",
		"2 Prepare vnet/suite-vnet None Succeeded",
		"3 Prepare vnet/suite-vnet Prepared Succeeded",
		"4 Commit vnet/suite-vnet Prepared Succeeded",
		"5 Commit vnet/suite-vnet Committed Succeeded",
		"6 Abort vnet/suite-vnet Committed Failed",
	}
	ops, err := s.History(ctx)
	must(t, err)
	if got := summary(ops); !slices.Equal(got, want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
	// The shape `migrate sim history -o json` prints (cli.md).
	b, err := json.Marshal(sim.HistoryDocument{Operations: ops[1:2]})
	must(t, err)
	var doc map[string][]map[string]any
	must(t, json.Unmarshal(b, &doc))
	op := doc["operations"][0]
	for key, want := range map[string]any{"seq": 2.0, "op": "Prepare", "unit": "vnet/suite-vnet", "stateBefore": "None", "result": "Succeeded"} {
		if op[key] != want {
			t.Errorf("history JSON %s = %v, want %v (%s)", key, op[key], want, b)
		}
	}
}

// Faults are a function of (seed, sequence): the same calls against the
// same seed get the same answers, in one process or split across two.
func TestFaultsAreReproducible(t *testing.T) {
	t.Parallel()
	run := func(seed int64, split bool) []string {
		dir := t.TempDir()
		o := sim.Options{Seed: seed, FaultRate: 0.4}
		s, err := sim.Open(dir, cloudtest.Inventory(), o)
		must(t, err)
		for i, u := range cloudtest.Units() {
			if split && i == 2 {
				must(t, s.Close())
				s, err = sim.Open(dir, nil, o)
				must(t, err)
			}
			tg := cloudtest.Target(u)
			_, _ = s.Validate(t.Context(), tg)
			_ = s.Prepare(t.Context(), tg)
			_ = s.Abort(t.Context(), tg)
			_ = s.Prepare(t.Context(), tg)
		}
		h := history(t, s)
		must(t, s.Close())
		return h
	}
	one, again, split, other := run(42, false), run(42, false), run(42, true), run(43, false)
	if !slices.Equal(one, again) || !slices.Equal(one, split) {
		t.Fatalf("seed 42 gave different histories:\n%q\n%q\n%q", one, again, split)
	}
	if slices.Equal(one, other) {
		t.Fatalf("seeds 42 and 43 gave the same history %q", one)
	}
	faults := 0
	for _, line := range one {
		if !strings.HasSuffix(line, "Succeeded") && !strings.HasSuffix(line, "Failed") {
			faults++
		}
	}
	if faults == 0 {
		t.Fatalf("fault rate 0.4 gave no fault in %d calls: %q", len(one), one)
	}
}

func TestQuotaExceeded(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	cores := 3 // the VNet's three VMs fit; the legacy VM then does not
	inv.Target.Quotas = map[string]inventory.Quota{"west us": {Cores: &cores}}
	s := open(t, t.TempDir(), inv, sim.Options{})
	ctx := t.Context()
	must(t, s.Prepare(ctx, cloudtest.Target(cloudtest.UnitVNet)))
	err := s.Prepare(ctx, cloudtest.Target(cloudtest.UnitLegacy))
	var oe *cloud.OperationError
	if !errors.As(err, &oe) || oe.Code != "QuotaExceeded" {
		t.Fatalf("Prepare over quota = %v, want *cloud.OperationError QuotaExceeded", err)
	}
	if st := mustState(t, s, cloudtest.UnitLegacy); st != cloud.StatePrepareFailed {
		t.Fatalf("State after quota failure = %s, want PrepareFailed", st)
	}
	// Freeing the cores (Abort of the VNet) lets it through.
	must(t, s.Abort(ctx, cloudtest.Target(cloudtest.UnitVNet)))
	must(t, s.Prepare(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
	if st := mustState(t, s, cloudtest.UnitLegacy); st != cloud.StatePrepared {
		t.Fatalf("State after retry = %s, want Prepared", st)
	}
}

func TestValidateMessages(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	v := &inv.VirtualNetworks[0]
	v.Peerings = []inventory.Peering{{Name: "to-hub", RemoteVirtualNetwork: "hub"}}
	v.PlatformServices = []string{inventory.PlatformHDInsight}
	web := &inv.CloudServices[0].Deployment.Roles[0]
	web.Endpoints = []inventory.Endpoint{{Name: "rdp", Protocol: "tcp", PublicPort: 3389, LocalPort: 3389,
		ACL: []inventory.ACL{{Order: 100, Action: "permit", RemoteSubnet: "10.0.0.0/8"}}}}
	web.Extensions = append(web.Extensions, inventory.Extension{Publisher: "Microsoft.Azure.Security.Monitoring", Name: "MicrosoftMonitoringAgent"})
	app := &inv.CloudServices[1].Deployment.Roles[0]
	app.Subnets = []string{"web", "app"}
	app.Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.RecoveryServices", Name: "VMSnapshot"}}
	// Checks the platform does not make: ExpressRoute and VPN together,
	// duplicate private IPs, quotas. They must give no message.
	v.Gateways = []inventory.Gateway{{Kind: "Vpn"}, {Kind: "ExpressRoute", Circuit: "c"}}
	web.PrivateIP, app.PrivateIP = "10.0.1.4", "10.0.1.4"
	zero := 0
	inv.Target.Quotas = map[string]inventory.Quota{"West US": {Cores: &zero}}

	s := open(t, t.TempDir(), inv, sim.Options{})
	msgs, err := s.Validate(t.Context(), cloudtest.Target(cloudtest.UnitVNet))
	must(t, err)
	want := []struct{ category, vm, text string }{
		{"Error", "", "Peering to-hub"},
		{"Error", "", "HDInsight deployed"},
		{"Error", "web1", "Endpoint rdp with an ACL"},
		{"Error", "web1", "installed by Azure Security Center"},
		{"Warning", "web1", "VM web1 in HostedService suite-web contains Extension BGInfo which isn't supported in Azure Resource Manager."},
		{"Error", "app1", "more than one subnet"},
		{"Error", "app1", "Extension VMSnapshot installed by Azure Backup"},
	}
	for _, w := range want {
		if !slices.ContainsFunc(msgs, func(m cloud.Message) bool {
			return m.Category == w.category && m.VirtualMachine == w.vm && strings.Contains(m.Message, w.text)
		}) {
			t.Errorf("Validate: no %s message %q (VM %q) in %+v", w.category, w.text, w.vm, msgs)
		}
	}
	if len(msgs) != len(want) {
		t.Errorf("Validate gave %d messages, want %d: %+v", len(msgs), len(want), msgs)
	}
	var se *cloud.StateError
	if err := s.Prepare(t.Context(), cloudtest.Target(cloudtest.UnitVNet)); !errors.As(err, &se) {
		t.Fatalf("Prepare with Validate errors = %v, want *cloud.StateError", err)
	}
	if st := mustState(t, s, cloudtest.UnitVNet); st != cloud.StateNone {
		t.Fatalf("State after refused Prepare = %s, want None", st)
	}
}

// A cloud service in a VNet, or an NSG on a subnet, is a known target that
// migrates with its owner: its State is the owner's, its calls are refused.
func TestTargetsThatMoveWithTheirOwner(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	inv.NetworkSecurityGroups = append(inv.NetworkSecurityGroups, inventory.NetworkSecurityGroup{Name: "web-nsg"})
	inv.VirtualNetworks[0].Subnets[0].NetworkSecurityGroup = "web-nsg"
	s := open(t, t.TempDir(), inv, sim.Options{})
	ctx := t.Context()
	must(t, s.Prepare(ctx, cloudtest.Target(cloudtest.UnitVNet)))
	for _, unit := range []string{"cloudservice/" + cloudtest.ServiceWeb, "nsg/WEB-NSG"} {
		if st := mustState(t, s, unit); st != cloud.StatePrepared {
			t.Errorf("State(%s) = %s, want the VNet's Prepared", unit, st)
		}
		msgs, err := s.Validate(ctx, cloudtest.Target(unit))
		must(t, err)
		if len(msgs) != 1 || msgs[0].Category != "Error" || !strings.Contains(msgs[0].Message, "Virtual Network") {
			t.Errorf("Validate(%s) = %+v, want one Error naming the VNet", unit, msgs)
		}
		var se *cloud.StateError
		if err := s.Commit(ctx, cloudtest.Target(unit)); !errors.As(err, &se) {
			t.Errorf("Commit(%s) = %v, want *cloud.StateError", unit, err)
		}
	}
	must(t, s.Commit(ctx, cloudtest.Target(cloudtest.UnitVNet)))
	res, err := s.Resources(ctx)
	must(t, err)
	if !slices.ContainsFunc(res, func(r sim.ARMResource) bool {
		return r.Type == "Microsoft.Network/networkSecurityGroups" && r.Name == "web-nsg" && r.ResourceGroup == "suite-vnet-Migrated" && r.Committed
	}) {
		t.Errorf("Resources = %+v, want NSG web-nsg in suite-vnet-Migrated", res)
	}
}

func TestClassicAndResources(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir(), cloudtest.Inventory(), sim.Options{})
	ctx := t.Context()
	must(t, s.Prepare(ctx, cloudtest.Target(cloudtest.UnitVNet)))
	must(t, s.Commit(ctx, cloudtest.Target(cloudtest.UnitVNet)))
	must(t, s.Prepare(ctx, cloudtest.Target(cloudtest.UnitLegacy)))

	inv, err := s.Discover(ctx)
	must(t, err)
	if len(inv.VirtualNetworks) != 0 {
		t.Errorf("classic VNets after Commit: %+v", inv.VirtualNetworks)
	}
	if len(inv.CloudServices) != 1 || inv.CloudServices[0].Name != cloudtest.ServiceLegacy {
		t.Fatalf("classic cloud services = %+v, want only %s", inv.CloudServices, cloudtest.ServiceLegacy)
	}
	// Prepare restarted it (Stop, Deallocate, Start): it runs again.
	if st := inv.CloudServices[0].Deployment.Roles[0].State; st != "Running" {
		t.Errorf("legacy1 after Prepare: state %q, want Running", st)
	}
	if len(inv.StorageAccounts) != 1 || len(inv.NetworkSecurityGroups) != 1 || len(inv.ReservedIPs) != 1 {
		t.Errorf("untouched classic resources changed: %+v", inv)
	}

	res, err := s.Resources(ctx)
	must(t, err)
	type key struct{ typ, rg, name string }
	got := map[key]bool{}
	for _, r := range res {
		got[key{r.Type, r.ResourceGroup, r.Name}] = r.Committed
	}
	want := map[key]bool{
		{"Microsoft.Network/virtualNetworks", "suite-vnet-Migrated", "suite-vnet"}:                    true,
		{"Microsoft.Network/virtualNetworks/subnets", "suite-vnet-Migrated", "suite-vnet/web"}:        true,
		{"Microsoft.Compute/virtualMachines", "suite-web-Migrated", "web1"}:                           true,
		{"Microsoft.Network/networkInterfaces", "suite-web-Migrated", "web1-PrimaryNic"}:              true,
		{"Microsoft.Compute/availabilitySets", "suite-web-Migrated", "web-as"}:                        true,
		{"Microsoft.Compute/virtualMachines", "suite-app-Migrated", "app1"}:                           true,
		{"Microsoft.Compute/virtualMachines", "suite-legacy-Migrated", "legacy1"}:                     false,
		{"Microsoft.Network/virtualNetworks", "suite-legacy-Migrated", "suite-legacy-VirtualNetwork"}: false,
		{"Microsoft.Network/publicIPAddresses", "suite-legacy-Migrated", "suite-legacy-PublicIP"}:     false,
		{"Microsoft.Network/loadBalancers", "suite-legacy-Migrated", "suite-legacy-LB"}:               false,
	}
	for k, committed := range want {
		c, ok := got[k]
		if !ok || c != committed {
			t.Errorf("resource %v: present %v committed %v, want committed %v", k, ok, c, committed)
		}
	}
	// Abort deletes what Prepare made.
	must(t, s.Abort(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
	res, err = s.Resources(ctx)
	must(t, err)
	for _, r := range res {
		if r.Unit != cloudtest.UnitVNet {
			t.Errorf("resource %+v left after Abort", r)
		}
	}
}

// VMs not in a VNet have downtime "restart": Prepare (and Abort) stops
// and deallocates them while it runs and starts again those that were
// running; a VM that was stopped or deallocated stays deallocated. After
// Commit the running one is a running Resource Manager VM.
func TestPrepareRestartsVMsNotInVNet(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	var legacy *inventory.CloudService
	for i := range inv.CloudServices {
		if inv.CloudServices[i].Name == cloudtest.ServiceLegacy {
			legacy = &inv.CloudServices[i]
		}
	}
	run := legacy.Deployment.Roles[0]
	stopped, dealloc := run, run
	stopped.Name, stopped.State, stopped.OSDisk, stopped.DataDisks = "legacy2", "Stopped", "", nil
	dealloc.Name, dealloc.State, dealloc.OSDisk, dealloc.DataDisks = "legacy3", "StoppedDeallocated", "", nil
	legacy.Deployment.Roles = append(legacy.Deployment.Roles, stopped, dealloc)
	clk := newClock()
	s := open(t, t.TempDir(), inv, sim.Options{Latency: time.Minute, Now: clk.Now})
	ctx := t.Context()
	tg := cloudtest.Target(cloudtest.UnitLegacy)
	states := func() string {
		t.Helper()
		c, err := s.Classic(ctx)
		must(t, err)
		var out []string
		for _, cs := range c.CloudServices {
			if cs.Name == cloudtest.ServiceLegacy {
				for _, r := range cs.Deployment.Roles {
					out = append(out, r.Name+"="+r.State)
				}
			}
		}
		return strings.Join(out, " ")
	}
	const (
		down = "legacy1=StoppedDeallocated legacy2=StoppedDeallocated legacy3=StoppedDeallocated"
		up   = "legacy1=Running legacy2=StoppedDeallocated legacy3=StoppedDeallocated"
	)
	for _, op := range []string{sim.OpPrepare, sim.OpAbort, sim.OpPrepare} {
		id, err := s.Begin(ctx, op, tg)
		must(t, err)
		if got := states(); got != down {
			t.Errorf("during %s: %s, want %s", op, got, down)
		}
		clk.Add(time.Minute)
		if done, err := s.Poll(ctx, id); !done || err != nil {
			t.Fatalf("%s: done %v, %v", op, done, err)
		}
		if got := states(); got != up {
			t.Errorf("after %s: %s, want %s", op, got, up)
		}
	}
	id, err := s.Begin(ctx, sim.OpCommit, tg)
	must(t, err)
	clk.Add(time.Minute)
	if done, err := s.Poll(ctx, id); !done || err != nil {
		t.Fatalf("commit: done %v, %v", done, err)
	}
	want := map[string]string{"legacy1": cloud.PowerRunning, "legacy2": cloud.PowerDeallocated, "legacy3": cloud.PowerDeallocated}
	for name, ps := range want {
		vm, err := s.GetVM(ctx, cloudtest.ServiceLegacy+"-Migrated", name)
		must(t, err)
		if vm.PowerState != ps {
			t.Errorf("Resource Manager VM %s is %s after Commit, want %s", name, vm.PowerState, ps)
		}
	}
}

// Begin and Poll are the asynchronous face `migrate sim serve` needs.
func TestBeginPoll(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	one := 1
	inv.Target.Quotas = map[string]inventory.Quota{"West US": {Cores: &one}}
	clk := newClock()
	s := open(t, t.TempDir(), inv, sim.Options{Latency: time.Minute, Now: clk.Now})
	ctx := t.Context()
	nsg := cloudtest.Target(cloudtest.UnitNSG)

	id, err := s.Begin(ctx, sim.OpPrepare, nsg)
	must(t, err)
	if id == 0 {
		t.Fatal("Begin(Prepare) from None gave no operation")
	}
	if done, err := s.Poll(ctx, id); done || err != nil {
		t.Fatalf("Poll before due = %v, %v; want not done", done, err)
	}
	clk.Add(time.Minute)
	if done, err := s.Poll(ctx, id); !done || err != nil {
		t.Fatalf("Poll after due = %v, %v; want done, nil", done, err)
	}
	if again, err := s.Begin(ctx, sim.OpPrepare, nsg); again != 0 || err != nil {
		t.Fatalf("Begin(Prepare) on Prepared = %d, %v; want 0, nil", again, err)
	}
	// Storage before its VMs: Validate does not refuse it (the platform's
	// does not look), so the operation runs and fails.
	id, err = s.Begin(ctx, sim.OpPrepare, cloudtest.Target(cloudtest.UnitStorage))
	must(t, err)
	clk.Add(time.Minute)
	var oe *cloud.OperationError
	if done, err := s.Poll(ctx, id); !done || !errors.As(err, &oe) {
		t.Fatalf("Poll of Prepare(storage) before its VMs = %v, %v; want done, *cloud.OperationError", done, err)
	}

	// The VNet's three VMs exceed one core: the operation runs and fails.
	id, err = s.Begin(ctx, sim.OpPrepare, cloudtest.Target(cloudtest.UnitVNet))
	must(t, err)
	clk.Add(time.Minute)
	done, err := s.Poll(ctx, id)
	if !done || !errors.As(err, &oe) || oe.Code != "QuotaExceeded" {
		t.Fatalf("Poll of the over-quota Prepare = %v, %v; want done, QuotaExceeded", done, err)
	}
	if _, err := s.Poll(ctx, 999); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("Poll of an unknown id = %v, want ErrNotFound", err)
	}
	if _, err := s.Begin(ctx, sim.OpValidate, nsg); err == nil {
		t.Fatal("Begin(Validate) accepted: Validate is synchronous")
	}
}

// Prepare fails for every regional Resource Manager quota the planning
// guide lists (migration-classic-resource-manager-plan.md, "Azure Resource
// Manager Quotas"), counting what units Preparing through Committed hold;
// the unit is left PrepareFailed with the platform's code and message, and
// Validate says nothing of quotas.
func TestNetworkQuotas(t *testing.T) {
	t.Parallel()
	// The FAQ's advice after a failed Prepare follows the platform's words.
	const advice = " The unit is left PrepareFailed: abort its migration, fix the cause, then prepare it again."
	n := func(v int) *int { return &v }
	tests := []struct {
		name    string
		quota   inventory.Quota
		first   string // prepared first, fitting the quota; "" for none
		unit    string
		code    string
		message string
	}{
		{"public IPs", inventory.Quota{PublicIPAddresses: n(0)}, "", cloudtest.UnitReservedIP,
			"PublicIPCountLimitReached", "Cannot create more than 0 public IP addresses for this subscription in this region." + advice},
		{"public IPs in use", inventory.Quota{PublicIPAddresses: n(1)}, cloudtest.UnitReservedIP, cloudtest.UnitLegacy,
			"PublicIPCountLimitReached", "Cannot create more than 1 public IP addresses for this subscription in this region." + advice},
		{"network interfaces", inventory.Quota{NetworkInterfaces: n(0)}, "", cloudtest.UnitLegacy,
			"QuotaExceeded", "Cannot create more than 0 network interfaces for this subscription in this region." + advice},
		{"load balancers", inventory.Quota{LoadBalancers: n(0)}, "", cloudtest.UnitLegacy,
			"QuotaExceeded", "Cannot create more than 0 load balancers for this subscription in this region." + advice},
		{"network security groups", inventory.Quota{NetworkSecurityGroups: n(0)}, "", cloudtest.UnitNSG,
			"QuotaExceeded", "Cannot create more than 0 network security groups for this subscription in this region." + advice},
		{"route tables", inventory.Quota{RouteTables: n(0)}, "", "routetable/suite-rt",
			"QuotaExceeded", "Cannot create more than 0 route tables for this subscription in this region." + advice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := cloudtest.Inventory()
			inv.RouteTables = append(inv.RouteTables, inventory.RouteTable{Name: "suite-rt", Location: "West US"})
			inv.Target.Quotas = map[string]inventory.Quota{"West US": tc.quota}
			s := open(t, t.TempDir(), inv, sim.Options{})
			ctx := t.Context()
			if tc.first != "" {
				must(t, s.Prepare(ctx, cloudtest.Target(tc.first)))
			}
			msgs, err := s.Validate(ctx, cloudtest.Target(tc.unit))
			must(t, err)
			if slices.ContainsFunc(msgs, func(m cloud.Message) bool { return strings.Contains(m.Message, "Cannot create") }) {
				t.Errorf("Validate speaks of quotas: %+v", msgs)
			}
			err = s.Prepare(ctx, cloudtest.Target(tc.unit))
			var oe *cloud.OperationError
			if !errors.As(err, &oe) || oe.Code != tc.code || oe.Message != tc.message {
				t.Fatalf("Prepare = %v, want *cloud.OperationError %s %q", err, tc.code, tc.message)
			}
			if st := mustState(t, s, tc.unit); st != cloud.StatePrepareFailed {
				t.Fatalf("State = %s, want PrepareFailed", st)
			}
			// Abort, fix, retry, as the FAQ says: without the quota the
			// Prepare goes through.
			must(t, s.Abort(ctx, cloudtest.Target(tc.unit)))
			if tc.first != "" {
				must(t, s.Abort(ctx, cloudtest.Target(tc.first)))
				must(t, s.Prepare(ctx, cloudtest.Target(tc.unit)))
				if st := mustState(t, s, tc.unit); st != cloud.StatePrepared {
					t.Fatalf("State after freeing the quota = %s, want Prepared", st)
				}
			}
		})
	}
}

// The platform names the resource groups: <name>-Migrated for every cloud
// service, VNet and standalone resource, whatever target.resourceGroupSuffix
// asks, and the VNet keeps its classic name inside <vnet>-Migrated
// (migration-classic-resource-manager-deep-dive.md, "Translation of the
// classic deployment model to Resource Manager resources"). While the unit
// is Prepared they are listed, not yet committed (read-only).
func TestResourceGroupsAlwaysMigrated(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	inv.Target.ResourceGroupSuffix = "-Moved"
	s := open(t, t.TempDir(), inv, sim.Options{})
	ctx := t.Context()
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitNSG} {
		must(t, s.Prepare(ctx, cloudtest.Target(u)))
	}
	res, err := s.Resources(ctx)
	must(t, err)
	groups := map[string]bool{}
	for _, r := range res {
		if r.Committed {
			t.Errorf("%s %s/%s committed while its unit is Prepared", r.Type, r.ResourceGroup, r.Name)
		}
		if !strings.HasSuffix(r.ResourceGroup, "-Migrated") {
			t.Errorf("%s %s in resource group %s, want <name>-Migrated", r.Type, r.Name, r.ResourceGroup)
		}
		groups[r.ResourceGroup] = true
	}
	for _, g := range []string{cloudtest.VNet + "-Migrated", cloudtest.ServiceWeb + "-Migrated", cloudtest.ServiceLegacy + "-Migrated", cloudtest.NSG + "-Migrated"} {
		if !groups[g] {
			t.Errorf("no resource group %s in %v", g, groups)
		}
	}
	if !slices.ContainsFunc(res, func(r sim.ARMResource) bool {
		return r.Type == "Microsoft.Network/virtualNetworks" && r.Name == cloudtest.VNet && r.ResourceGroup == cloudtest.VNet+"-Migrated"
	}) {
		t.Errorf("VNet %s not in %s under its own name: %+v", cloudtest.VNet, cloudtest.VNet+"-Migrated", res)
	}
	must(t, s.Commit(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
	if _, err := s.GetVM(ctx, cloudtest.ServiceLegacy+"-Migrated", "legacy1"); err != nil {
		t.Errorf("committed VM legacy1 not in %s-Migrated: %v", cloudtest.ServiceLegacy, err)
	}
}

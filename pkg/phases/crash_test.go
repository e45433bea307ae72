package phases

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/exitcode"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/step/steptest"
)

// What a crash worker (the re-executed test binary acting as one `migrate
// run` or `resume` process that kills itself at a boundary, steptest)
// reads besides its directory: the sim's fault rate, the estate's size
// (see crashEstate).
const envFault, envSize = "PHASES_CRASH_FAULT", "PHASES_CRASH_SIZE"

func TestMain(m *testing.M) { steptest.Main(m, crashWorker) }

// crashEstate builds an estate of n VNets (each with a cloud service of two
// VMs), n cloud services not in a VNet (one VM each), n storage accounts
// holding their disks, and n unattached NSGs, route tables and reserved
// IPs: 6n units and 10n resources. Storage units depend on VM units, so
// the plan has real dependency chains.
func crashEstate(n int) *inventory.Inventory {
	inv := &inventory.Inventory{
		SchemaVersion:   inventory.SchemaVersion,
		SubscriptionID:  "00000000-0000-4000-8000-00000000c0de",
		DefaultLocation: "West US",
		Target:          inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: inventory.DefaultResourceGroupSuffix},
	}
	vm := func(sa *inventory.StorageAccount, cs, name string) inventory.Role {
		disk := cs + "-" + name + "-os"
		sa.Disks = append(sa.Disks, inventory.Disk{Name: disk, VHDURI: "https://" + sa.Name + ".blob.core.windows.net/vhds/" + disk + ".vhd", SizeGiB: 30, OS: "Linux"})
		return inventory.Role{Name: name, Kind: inventory.RoleVirtualMachine, Size: "Standard_D1", State: "Running", OSDisk: disk}
	}
	for i := 0; i < n; i++ {
		sa := inventory.StorageAccount{Name: fmt.Sprintf("crashsa%02d", i), Location: "West US", AccountType: "Standard_LRS"}
		vnet := fmt.Sprintf("crash-vnet-%02d", i)
		inv.VirtualNetworks = append(inv.VirtualNetworks, inventory.VirtualNetwork{
			Name: vnet, Location: "West US", AddressSpace: []string{fmt.Sprintf("10.%d.0.0/16", i)},
			Subnets: []inventory.Subnet{{Name: "s0", AddressPrefix: fmt.Sprintf("10.%d.0.0/24", i)}},
		})
		vcs := fmt.Sprintf("crash-vcs-%02d", i)
		inv.CloudServices = append(inv.CloudServices, inventory.CloudService{
			Name: vcs, Location: "West US",
			Deployment: inventory.Deployment{Name: vcs + "-prod", Slot: "Production", VirtualNetwork: vnet, Roles: []inventory.Role{
				withSubnet(vm(&sa, vcs, "vm0"), fmt.Sprintf("10.%d.0.4", i)), withSubnet(vm(&sa, vcs, "vm1"), fmt.Sprintf("10.%d.0.5", i)),
			}},
		})
		ncs := fmt.Sprintf("crash-ncs-%02d", i)
		inv.CloudServices = append(inv.CloudServices, inventory.CloudService{
			Name: ncs, Location: "West US",
			Deployment: inventory.Deployment{Name: ncs + "-prod", Slot: "Production", Roles: []inventory.Role{vm(&sa, ncs, "vm0")}},
		})
		inv.StorageAccounts = append(inv.StorageAccounts, sa)
		inv.NetworkSecurityGroups = append(inv.NetworkSecurityGroups, inventory.NetworkSecurityGroup{Name: fmt.Sprintf("crash-nsg-%02d", i), Location: "West US"})
		inv.RouteTables = append(inv.RouteTables, inventory.RouteTable{Name: fmt.Sprintf("crash-rt-%02d", i), Location: "West US"})
		inv.ReservedIPs = append(inv.ReservedIPs, inventory.ReservedIP{Name: fmt.Sprintf("crash-ip-%02d", i), Location: "West US", Address: fmt.Sprintf("40.1.1.%d", i+1)})
	}
	return inv
}

func withSubnet(r inventory.Role, ip string) inventory.Role {
	r.Subnets = []string{"s0"}
	r.PrivateIP = ip
	return r
}

// crashTimeScale makes the sim's operations ("1 minute" each) and the
// executor's waits take about a millisecond.
const crashTimeScale = 0.00002

func crashSimOptions(fault float64) sim.Options {
	return sim.Options{Latency: time.Minute, FaultRate: fault, Seed: 7, TimeScale: crashTimeScale}
}

// crashWorker is one process of the chain: open the sim and the journal,
// run (or resume the interrupted run), SIGKILL itself at the Nth boundary.
func crashWorker(dir string, kill *steptest.Killer) int {
	fault, _ := strconv.ParseFloat(os.Getenv(envFault), 64)
	size, _ := strconv.Atoi(os.Getenv(envSize))
	inv := crashEstate(size)
	ctx := context.Background()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 2
	}
	s, err := sim.Open(dir, inv, crashSimOptions(fault))
	if err != nil {
		return fail(err)
	}
	j, err := journal.Open(dir, journal.Holder{Command: "migrate run", PID: os.Getpid(), Since: time.Now()})
	if err != nil {
		return fail(err)
	}
	p, err := plan.Build(inv)
	if err != nil {
		return fail(err)
	}
	o := Options{
		Mode: ModeRun, Plan: p, Driver: s, Journal: j, Targets: TargetsFor(inv), Parallel: 4,
		Inventory: InventoryRef{Path: "crash.yaml", SHA256: "c0de"}, TimeScale: crashTimeScale,
		OnBoundary: func(Boundary, string, Op) { kill.Hit() },
	}
	if _, err := j.Run(); err == nil {
		o, err = ResumeOptions(o)
		if err != nil {
			return fail(err)
		}
	}
	r, err := Execute(ctx, o)
	if err != nil {
		return fail(err)
	}
	for _, u := range r.Units {
		if u.Outcome != OutcomeDone {
			fmt.Fprintf(os.Stderr, "crash worker: %s: %s %s: %v\n", u.ID, u.Outcome, u.Phase, u.Err)
		}
	}
	if err := j.Close(); err != nil {
		return fail(err)
	}
	if err := s.Close(); err != nil {
		return fail(err)
	}
	return 10 + r.ExitCode()
}

// runWorker runs one worker; killed reports whether it died of SIGKILL.
func runWorker(t *testing.T, dir string, size, killAfter int, fault float64) (killed bool) {
	t.Helper()
	killed, code, out, err := steptest.RunWorker(dir, killAfter, envFault+"="+strconv.FormatFloat(fault, 'g', -1, 64), envSize+"="+strconv.Itoa(size))
	if err != nil || (!killed && code != 10+exitcode.OK) {
		t.Fatalf("worker (kill after %d): exit %d %v\n%s", killAfter, code, err, out)
	}
	return killed
}

func TestCrashChain(t *testing.T) {
	// cycle is the longest run of boundaries a worker gets before it is
	// killed: workers die after 1, 2, ..., cycle boundaries, round and
	// round. Cycles are prime to the 4 boundaries of an operation, so the
	// deaths drift over every boundary kind; the full estate uses a longer
	// cycle to keep the chain within a minute.
	//
	// The full estate (120 units, 200 resources) runs in the default
	// `go test` and under the race detector (CI runs -race); -short runs
	// 24 units.
	size, cycle := 20, 19
	if testing.Short() {
		size, cycle = 4, 7
	}
	for _, fault := range []float64{0, 0.10, 0.25} {
		t.Run(fmt.Sprintf("fault=%g", fault), func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			runWorker(t, base, size, 0, fault)

			dir := t.TempDir()
			workers, kills := 0, 0
			for {
				k := workers%cycle + 1
				workers++
				if !runWorker(t, dir, size, k, fault) {
					break
				}
				kills++
				if workers > 5000 {
					t.Fatal("the chain does not finish")
				}
			}
			t.Logf("%d workers, %d killed", workers, kills)
			checkCrashInvariants(t, base, dir, size)
		})
	}
}

func checkCrashInvariants(t *testing.T, base, dir string, size int) {
	t.Helper()
	ctx := context.Background()
	inv := crashEstate(size)
	p, err := plan.Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	targets := TargetsFor(inv)
	open := func(d string) *sim.Sim {
		s, err := sim.Open(d, nil, sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	want, got := open(base), open(dir)

	hist, err := got.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range hist {
		if op.Op == sim.OpCommit && op.StateBefore == cloud.StateCommitted {
			t.Errorf("Commit sent to committed %s (seq %d)", op.Unit, op.Seq)
		}
		if op.Op == sim.OpPrepare && op.StateBefore == cloud.StatePrepared {
			t.Errorf("Prepare sent to prepared %s (seq %d)", op.Unit, op.Seq)
		}
	}
	lost := 0
	for _, u := range p.Units {
		sw, err := want.State(ctx, targets(u))
		if err != nil {
			t.Fatal(err)
		}
		sg, err := got.State(ctx, targets(u))
		if err != nil {
			t.Fatal(err)
		}
		if sg != cloud.StateCommitted {
			lost++
			t.Errorf("%s: %s, not Committed", u.ID, sg)
		}
		if sg != sw {
			t.Errorf("%s: %s, uninterrupted run left %s", u.ID, sg, sw)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d units lost", lost, len(p.Units))
	}
	rw, err := want.Resources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rg, err := got.Resources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := resourceKeys(rw), resourceKeys(rg); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("resources differ from the uninterrupted run's:\n got %v\nwant %v", b, a)
	}

	j, err := journal.OpenReadOnly(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if pend, _ := j.Pending(); len(pend) != 0 {
		t.Errorf("intents left open: %+v", pend)
	}
	st, err := Status(ctx, j, got, p, targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Phase != Committed || s.Differs {
			t.Errorf("status %s: %s (journal %s)", s.ID, s.Phase, s.Journal)
		}
	}
	if len(p.Units) != 6*size {
		t.Errorf("estate has %d units, want %d", len(p.Units), 6*size)
	}
}

func resourceKeys(rs []sim.ARMResource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%v", r.Unit, r.Type, r.ResourceGroup, r.Name, r.Committed))
	}
	sort.Strings(out)
	return out
}

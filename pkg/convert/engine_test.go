package convert_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// smallEnv is the small estate migrated (a copy of the crash suite's
// template) and opened for the disk step, with the test doubles.
type smallEnv struct {
	*env
	watch *watch
	snaps *fakeSnapshots
	plan  *convert.Plan
}

func newSmallEnv(t *testing.T, method string, parallel int) *smallEnv {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, migratedTemplate(t), dir)
	e := openEnv(t, dir, sim.Options{})
	w := newWatch(e.sim, parallel)
	inv := loadEstate(t, "small.json")
	p := buildPlan(t, inv, convert.PlanOptions{})
	for i := range p.VMs {
		p.VMs[i].Method = method
	}
	return &smallEnv{env: e, watch: w, snaps: newFakeSnapshots(e.sim), plan: p}
}

func (s *smallEnv) options(parallel int) convert.Options {
	o := s.env.options(s.plan)
	o.Compute, o.Platform, o.Snapshots, o.Parallel = s.watch, s.watch, s.sim, parallel
	return o
}

func (s *smallEnv) check(t *testing.T) {
	t.Helper()
	if p := s.watch.problems(); len(p) > 0 {
		t.Errorf("availability constraint broken: %v", p)
	}
	ov, err := s.reader.DowntimeOverlaps(context.Background())
	if err != nil || len(ov) > 0 {
		t.Errorf("sim history: %v %v", ov, err)
	}
}

// vm is the plan's VM id; the test fails if the plan has none.
func (s *smallEnv) vm(t *testing.T, id string) *convert.VMPlan {
	t.Helper()
	v := s.plan.Lookup(id)
	if v == nil {
		t.Fatalf("no %s in the plan", id)
	}
	return v
}

func statusOf(res convert.Result, id string) convert.VMResult {
	for _, v := range res.VMs {
		if v.ID == id {
			return v
		}
	}
	return convert.VMResult{}
}

func TestBlockedVMIsSkippedUntouched(t *testing.T) {
	ctx := context.Background()
	s := newSmallEnv(t, convert.MethodCutover, 4)
	app1 := s.vm(t, "cloudservice/small-app/app1")
	o := s.options(4)
	o.Blocked = map[string]string{app1.ID: "storage/smallstore is Prepared, not Committed"}
	n := historyLen(t, ctx, s.reader)
	res, err := convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := statusOf(res, app1.ID); r.Status != convert.StatusSkipped || !strings.Contains(r.Reason, "not Committed") {
		t.Errorf("app1: %s %q, want skipped with the reason", r.Status, r.Reason)
	}
	hist, _ := s.reader.History(ctx)
	for _, op := range hist[n:] {
		if strings.Contains(op.Unit, "app1") {
			t.Errorf("blocked app1 got %s %s", op.Op, op.Unit)
		}
	}
	vm, err := s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
	if err != nil || vm.Managed() || vm.PowerState != cloud.PowerRunning {
		t.Errorf("app1 %+v %v, want running on its VHDs", vm, err)
	}
	s.check(t)
}

func TestFailedExtensionSkipsTheVM(t *testing.T) {
	for _, method := range []string{convert.MethodPlatform, convert.MethodPrecopy} {
		t.Run(method, func(t *testing.T) {
			ctx := context.Background()
			s := newSmallEnv(t, method, 4)
			web1 := s.plan.Lookup("cloudservice/small-web/web1")
			s.watch.extensions[vmKey(web1.ResourceGroup, web1.Name)] = []cloud.Extension{
				{Name: "CustomScriptExtension", ProvisioningState: cloud.ExtensionSucceeded},
				{Name: "MicrosoftMonitoringAgent", ProvisioningState: "Failed"}}
			n := historyLen(t, ctx, s.reader)
			res, err := convert.Run(ctx, s.options(4))
			if err != nil {
				t.Fatal(err)
			}
			r := statusOf(res, web1.ID)
			if r.Status != convert.StatusSkipped || !strings.Contains(r.Reason, "MicrosoftMonitoringAgent (Failed)") {
				t.Errorf("web1: %s %q, want skipped naming the extension", r.Status, r.Reason)
			}
			hist, _ := s.reader.History(ctx)
			for _, op := range hist[n:] {
				if strings.Contains(op.Unit, "web1") {
					t.Errorf("web1 got %s %s", op.Op, op.Unit)
				}
			}
			for _, v := range res.VMs {
				if v.ID != web1.ID && v.Status != convert.StatusDone {
					t.Errorf("%s: %s %s", v.ID, v.Status, v.Reason)
				}
			}
			s.check(t)
		})
	}
}

func TestPlatformConversion(t *testing.T) {
	ctx := context.Background()
	s := newSmallEnv(t, convert.MethodPlatform, 4)
	before := vmsByID(t, ctx, s.reader)
	res, err := convert.Run(ctx, s.options(4))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode() != 0 {
		t.Fatalf("%+v", res)
	}
	for _, vp := range s.plan.VMs {
		vm, err := s.reader.GetVM(ctx, vp.ResourceGroup, vp.Name)
		if err != nil || !vm.Managed() || vm.PowerState != before[vp.ID].PowerState {
			t.Errorf("%s: %+v %v", vp.ID, vm, err)
		}
	}
	set, _ := s.reader.GetAvailabilitySet(ctx, "small-web-Migrated", "web-as")
	if set.SKU != cloud.AvailabilitySetAligned || set.FaultDomains > set.MaxAlignedFaultDomains {
		t.Errorf("web-as: %+v, want Aligned within the region's fault domains", set)
	}
	if n := countOps(t, s.reader, sim.OpAlignAvailabilitySet); n != 1 {
		t.Errorf("AlignAvailabilitySet sent %d times, want once per set", n)
	}
	s.check(t)
	n := historyLen(t, ctx, s.reader)
	if res, err := convert.Run(ctx, s.options(4)); err != nil || res.ExitCode() != 0 {
		t.Fatalf("second run: %v %d", err, res.ExitCode())
	}
	if m := historyLen(t, ctx, s.reader); m != n {
		t.Errorf("second run sent %d operations", m-n)
	}
}

func TestPlatformRefusedWithoutPlatform(t *testing.T) {
	s := newSmallEnv(t, convert.MethodPlatform, 4)
	o := s.options(4)
	o.Platform = nil
	if _, err := convert.Run(context.Background(), o); !errors.Is(err, convert.ErrOptions) {
		t.Errorf("err %v, want ErrOptions", err)
	}
	s = newSmallEnv(t, convert.MethodPrecopy, 4)
	o = s.options(4)
	o.Snapshots = nil
	if _, err := convert.Run(context.Background(), o); !errors.Is(err, convert.ErrOptions) {
		t.Errorf("err %v, want ErrOptions", err)
	}
}

// TestNeverTwoOfASetDown converts with every method at Parallel 1 and 4:
// never two VMs of web-as down together, never more than Parallel.
func TestNeverTwoOfASetDown(t *testing.T) {
	for _, method := range []string{convert.MethodCutover, convert.MethodPlatform, convert.MethodPrecopy} {
		for _, par := range []int{1, 4} {
			t.Run(method, func(t *testing.T) {
				s := newSmallEnv(t, method, par)
				res, err := convert.Run(context.Background(), s.options(par))
				if err != nil || res.ExitCode() != 0 {
					t.Fatalf("%v %+v", err, res)
				}
				s.check(t)
			})
		}
	}
}

// TestRollbackAfterDeleteVM refuses CreateVM on managed disks for app1
// (in no set) and web1 (in web-as, Aligned before its delete) right after
// their DeleteVM: each is recreated on its original VHDs with its recorded
// definition (web1 outside its set, which Azure refuses for VHDs once
// Aligned, and says so), its managed disks are removed and it fails; a
// later run converts both, web1 back into its set.
func TestRollbackAfterDeleteVM(t *testing.T) {
	for _, method := range []string{convert.MethodCutover, convert.MethodPrecopy} {
		t.Run(method, func(t *testing.T) {
			ctx := context.Background()
			s := newSmallEnv(t, method, 4)
			befores := vmsByID(t, ctx, s.reader)
			for _, id := range []string{"cloudservice/small-app/app1", "cloudservice/small-web/web1"} {
				vp := s.plan.Lookup(id)
				s.watch.failCreate[vmKey(vp.ResourceGroup, vp.Name)] = true
			}
			res, err := convert.Run(ctx, s.options(4))
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"cloudservice/small-app/app1", "cloudservice/small-web/web1"} {
				vp := s.plan.Lookup(id)
				before := befores[vp.ID]
				r := statusOf(res, vp.ID)
				if r.Status != convert.StatusFailed || !strings.Contains(r.Reason, "recreated on its original VHDs") {
					t.Errorf("%s: %s %q", vp.Name, r.Status, r.Reason)
				}
				if before.AvailabilitySet != "" && !strings.Contains(r.Reason, "OUTSIDE availability set") {
					t.Errorf("%s: %q does not say it is outside its set", vp.Name, r.Reason)
				}
				got, err := s.reader.GetVM(ctx, vp.ResourceGroup, vp.Name)
				if err != nil {
					t.Fatalf("%s after the rollback: %v", vp.Name, err)
				}
				if got.Managed() || got.OSDisk.VHDURI != before.OSDisk.VHDURI || got.Size != before.Size ||
					!slices.Equal(got.NICs, before.NICs) || len(got.DataDisks) != len(before.DataDisks) ||
					got.PowerState != before.PowerState {
					t.Errorf("%s recreated as %+v, was %+v", vp.Name, got, before)
				}
				for i, d := range got.DataDisks {
					if d.VHDURI != before.DataDisks[i].VHDURI || d.LUN != before.DataDisks[i].LUN {
						t.Errorf("%s data disk %d: %+v, was %+v", vp.Name, i, d, before.DataDisks[i])
					}
				}
				for _, d := range append([]cloud.VMDisk{before.OSDisk}, before.DataDisks...) {
					if _, err := s.reader.GetDisk(ctx, vp.ResourceGroup, d.Name); !errors.Is(err, cloud.ErrNotFound) {
						t.Errorf("managed disk %s left after the rollback: %v", d.Name, err)
					}
				}
			}
			s.check(t)
			clear(s.watch.failCreate)
			res, err = convert.Run(ctx, s.options(4))
			if err != nil || res.ExitCode() != 0 {
				t.Fatalf("run after the rollback: %v %+v", err, res)
			}
			for _, vp := range s.plan.VMs {
				vm, err := s.reader.GetVM(ctx, vp.ResourceGroup, vp.Name)
				if err != nil || !vm.Managed() || vm.AvailabilitySet != befores[vp.ID].AvailabilitySet {
					t.Errorf("%s: %+v %v", vp.ID, vm, err)
				}
			}
		})
	}
}

// TestPrecopyDelta pre-copies every disk, then makes the VM write one
// disk and clear data of another between the snapshots: the delta copies
// those ranges (zeros included) and each managed disk holds the final
// snapshot, verified.
func TestPrecopyDelta(t *testing.T) {
	ctx := context.Background()
	s := newSmallEnv(t, convert.MethodPrecopy, 4)
	app1 := s.plan.Lookup("cloudservice/small-app/app1")
	o := s.options(4)
	o.Snapshots = s.snaps
	vm, err := s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
	if err != nil {
		t.Fatal(err)
	}
	osURI := vm.OSDisk.VHDURI
	src, err := s.sim.OpenVHD(ctx, osURI)
	if err != nil {
		t.Fatal(err)
	}
	alloc, err := src.Allocated(ctx)
	src.Close()
	if err != nil || len(alloc) == 0 {
		t.Fatalf("%v %v", alloc, err)
	}
	first := alloc[0]
	s.snaps.change[osURI] = fakeChange{ranges: []disks.Extent{{Off: first.Off, Len: min(first.Len, 64<<10)}}, zero: true}
	data := vm.DataDisks[0].VHDURI
	s.snaps.change[data] = fakeChange{ranges: []disks.Extent{{Off: 4<<20 + 512, Len: 8192}, {Off: 9 << 20, Len: 4096}}}
	before := vmsByID(t, ctx, s.reader)
	res, err := convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	checkConverted(t, ctx, s.reader, s.plan, before, res)
	for _, d := range []cloud.VMDisk{vm.OSDisk, vm.DataDisks[0]} {
		src, err := s.snaps.OpenVHDSnapshot(ctx, d.VHDURI, "final#2")
		if err != nil {
			t.Fatal(err)
		}
		want, err := hashSource(ctx, src)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.reader.OpenManaged(ctx, app1.ResourceGroup, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := hashSource(ctx, m)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: managed disk %s, final snapshot %s", d.Name, got, want)
		}
	}
	for _, vp := range s.plan.VMs {
		for _, d := range vp.Disks() {
			if s.snaps.taken[d.VHDURI] < 3 {
				t.Errorf("%s: %d snapshots, want the pre-copy's, a catch-up pass's at least and the cut-over's", d.Name, s.snaps.taken[d.VHDURI])
			}
		}
	}
	s.check(t)
}

// TestLeftoversAndCleanup: a pre-copy keeps both snapshots of every disk
// and the VHDs; Cleanup removes the snapshots of converted VMs once,
// and only theirs.
func TestLeftoversAndCleanup(t *testing.T) {
	ctx := context.Background()
	s := newSmallEnv(t, convert.MethodPrecopy, 4)
	app1 := s.plan.Lookup("cloudservice/small-app/app1")
	o := s.options(4)
	o.Blocked = map[string]string{app1.ID: "waits"}
	res, err := convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	disksDone := 0
	for _, v := range res.VMs {
		if v.Status == convert.StatusDone {
			disksDone += len(v.Disks)
		}
	}
	left, err := convert.Leftovers(s.j)
	if err != nil {
		t.Fatal(err)
	}
	var snaps, vhds int
	for _, l := range left {
		if !l.Removable || l.VM == app1.ID {
			t.Errorf("leftover %+v", l)
		}
		if l.Snapshot != "" {
			snaps++
		} else {
			vhds++
		}
	}
	if n := countOps(t, s.reader, sim.OpSnapshotVHD); snaps != n || snaps < 3*disksDone || vhds != disksDone {
		t.Errorf("%d snapshots and %d VHDs left, want the %d taken (3 a disk at least) and %d", snaps, vhds, n, disksDone)
	}
	removed, err := convert.Cleanup(ctx, s.j, convert.CleanupOptions{Snapshots: s.sim})
	if n := countOps(t, s.reader, sim.OpDeleteVHDSnapshot); err != nil || len(removed) != snaps || n != snaps {
		t.Fatalf("cleanup removed %d (%d deleted), want %d: %v", len(removed), n, snaps, err)
	}
	left, _ = convert.Leftovers(s.j)
	if len(left) != vhds {
		t.Errorf("after cleanup %d left, want the %d VHDs", len(left), vhds)
	}
	if removed, err := convert.Cleanup(ctx, s.j, convert.CleanupOptions{Snapshots: s.sim}); err != nil || len(removed) != 0 {
		t.Errorf("second cleanup: %d removed, %v", len(removed), err)
	}
}

func countOps(t *testing.T, s *sim.Sim, op string) int {
	t.Helper()
	hist, err := s.History(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range hist {
		if o.Op == op && o.Result == sim.ResultSucceeded {
			n++
		}
	}
	return n
}

// TestFailedDiskPutsTheVMBack refuses app1-data0's CreateDisk while app1
// is deallocated for its cut-over: app1 runs again on its VHDs, the
// managed disk made for app1-os is deleted, and it fails; the others are
// converted.
func TestFailedDiskPutsTheVMBack(t *testing.T) {
	for _, method := range []string{convert.MethodCutover, convert.MethodPrecopy} {
		t.Run(method, func(t *testing.T) {
			ctx := context.Background()
			s := newSmallEnv(t, method, 4)
			s.watch.failDisk["app1-data0"] = true
			res, err := convert.Run(ctx, s.options(4))
			if err != nil {
				t.Fatal(err)
			}
			app1 := s.plan.Lookup("cloudservice/small-app/app1")
			r := statusOf(res, app1.ID)
			if r.Status != convert.StatusFailed {
				t.Errorf("app1: %s %q", r.Status, r.Reason)
			}
			vm, err := s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
			if err != nil || vm.Managed() || vm.PowerState != cloud.PowerRunning {
				t.Errorf("app1 %+v %v, want running on its VHDs", vm, err)
			}
			if method == convert.MethodCutover {
				// Down when the disk was refused: put back.
				if !strings.Contains(r.Reason, "started again on its VHDs") {
					t.Errorf("app1: %q does not say it runs again", r.Reason)
				}
				if _, err := s.reader.GetDisk(ctx, app1.ResourceGroup, "app1-os"); !errors.Is(err, cloud.ErrNotFound) {
					t.Errorf("managed disk app1-os left: %v", err)
				}
			} else if n := countOpsOn(t, s.reader, sim.OpDeallocateVM, "app1"); n != 0 {
				// Refused during the pre-copy: the VM never went down,
				// and what was copied stays for the next run.
				t.Errorf("app1 deallocated %d times", n)
			}
			for _, v := range res.VMs {
				if v.ID != app1.ID && v.Status != convert.StatusDone {
					t.Errorf("%s: %s %s", v.ID, v.Status, v.Reason)
				}
			}
			s.check(t)
		})
	}
}

func countOpsOn(t *testing.T, s *sim.Sim, op, unit string) int {
	t.Helper()
	hist, err := s.History(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range hist {
		if o.Op == op && strings.Contains(o.Unit, unit) {
			n++
		}
	}
	return n
}

// TestHubPrecopy converts the small estate on the simulator's Azure Stack
// Hub profile (no classic side: the VMs are on VHDs from the start; no
// platform conversion; Upload with a 2019 disk API) by the pre-copy: every
// disk verified by hash, each set made Aligned through Compute, no two
// VMs of a set down together.
//
// Both ways of moving the bytes: streamed through this machine, and by the
// storage service (Put Page From URL, cloud.PageCopier), where the
// snapshot is only read here for its hash.
func TestHubPrecopy(t *testing.T) {
	for _, serverSide := range []bool{false, true} {
		t.Run(fmt.Sprintf("serverSide=%v", serverSide), func(t *testing.T) { testHubPrecopy(t, serverSide) })
	}
}

// countingPages counts the server-side page copies.
type countingPages struct {
	cloud.PageCopier
	calls atomic.Int64
}

func (c *countingPages) CopyPages(ctx context.Context, uri, snap, rg, name string, ext []disks.Extent) error {
	c.calls.Add(1)
	return c.PageCopier.CopyPages(ctx, uri, snap, rg, name, ext)
}

func testHubPrecopy(t *testing.T, serverSide bool) {
	ctx := context.Background()
	inv := loadEstate(t, "small.json")
	inv.Target.Cloud = inventory.CloudAzureStackHub
	dir := t.TempDir()
	s, err := sim.Open(dir, inv, sim.Options{TimeScale: testTimeScale, DiskAPIVersion: "2019-07-01"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Platform() != nil {
		t.Fatal("the Hub profile has a platform conversion")
	}
	j, err := journal.Open(dir, journal.Holder{Command: "migrate disks convert"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	p := buildPlan(t, inv, convert.PlanOptions{})
	// Build of this branch names the migrated resource groups; on Stack
	// Hub the VMs live in <cloud service> (BuildFromVMs does this).
	for i := range p.VMs {
		v := &p.VMs[i]
		v.ResourceGroup = strings.TrimSuffix(v.ResourceGroup, "-Migrated")
		v.ID, v.Method = convert.VMID(v.ResourceGroup, v.Name), convert.MethodPrecopy
	}
	before := vmsByID(t, ctx, s)
	if len(before) != len(p.VMs) {
		t.Fatalf("%d VMs on the Hub, the plan has %d", len(before), len(p.VMs))
	}
	o := convert.Options{Plan: p, Compute: s, Data: s, Snapshots: s, Journal: j, StateDir: dir,
		TimeScale: testTimeScale, Parallel: 4}
	pages := &countingPages{PageCopier: s}
	if serverSide {
		o.Pages = pages
	}
	res, err := convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	checkConverted(t, ctx, s, p, before, res)
	if serverSide && pages.calls.Load() == 0 {
		t.Error("no page was copied server side")
	}
	set, err := s.GetAvailabilitySet(ctx, "small-web", "web-as")
	if err != nil || set.SKU != cloud.AvailabilitySetAligned {
		t.Errorf("web-as: %+v %v, want Aligned", set, err)
	}
	if ov, err := s.DowntimeOverlaps(ctx); err != nil || len(ov) > 0 {
		t.Errorf("%v %v", ov, err)
	}
}

// TestPrecopyMismatchOfDeallocatedVM: a delta written wrong fails the
// cut-over's verification of a VM that was deallocated before; it is left
// deallocated on its VHDs (never deleted), its bad managed disk dropped;
// a later run copies that disk whole and converts it, deallocated again.
func TestPrecopyMismatchOfDeallocatedVM(t *testing.T) {
	ctx := context.Background()
	s := newSmallEnv(t, convert.MethodPrecopy, 4)
	app1 := s.plan.Lookup("cloudservice/small-app/app1")
	if err := s.sim.DeallocateVM(ctx, app1.ResourceGroup, app1.Name); err != nil {
		t.Fatal(err)
	}
	vm, err := s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
	if err != nil {
		t.Fatal(err)
	}
	data := vm.DataDisks[0].VHDURI
	s.snaps.change[data] = fakeChange{ranges: []disks.Extent{{Off: 4<<20 + 512, Len: 8192}}}
	// The second resumed upload is the cut-over's delta (the first, the
	// catch-up pass while the VM is deallocated, copies nothing).
	fd := &flipData{DiskData: s.sim, flip: map[string]int{vm.DataDisks[0].Name: 2}}
	o := s.options(4)
	o.Snapshots, o.Data = s.snaps, fd
	res, err := convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	r := statusOf(res, app1.ID)
	if r.Status != convert.StatusFailed || !errors.Is(r.Err, convert.ErrVerify) || !strings.Contains(r.Reason, "left deallocated") {
		t.Errorf("app1: %s %q", r.Status, r.Reason)
	}
	got, err := s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
	if err != nil || got.Managed() || got.PowerState != cloud.PowerDeallocated {
		t.Errorf("app1 %+v %v, want deallocated on its VHDs", got, err)
	}
	fd.mu.Lock()
	clear(fd.flip)
	fd.mu.Unlock()
	res, err = convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := statusOf(res, app1.ID); r.Status != convert.StatusDone {
		t.Fatalf("app1 on the later run: %s %q", r.Status, r.Reason)
	}
	got, err = s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
	if err != nil || !got.Managed() || got.PowerState != cloud.PowerDeallocated {
		t.Errorf("app1 %+v %v, want deallocated on managed disks", got, err)
	}
	s.check(t)
}

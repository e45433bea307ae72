package convert_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/step/steptest"
)

// Environment of a crash worker (steptest): the re-executed test binary
// acting as one `migrate disks convert` process that kills itself at a
// boundary.
const (
	envStream  = "CONVERT_CRASH_STREAM"   // "1": Upload instead of Import
	envKillOps = "CONVERT_CRASH_KILL_OPS" // comma-separated ops whose boundaries count; "": all
	envMethod  = "CONVERT_CRASH_METHOD"   // the method of every VM; "": the plan's
	envFailVM  = "CONVERT_CRASH_FAIL_VM"  // a VM whose CreateVM on managed disks is refused
)

func TestMain(m *testing.M) { steptest.Main(m, crashWorker) }

func crashInventory() (*inventory.Inventory, error) {
	return inventory.Load(filepath.Join("..", "..", "testdata", "estates", "small.json"))
}

// crashWorker converts the small estate, SIGKILLing itself at the Nth
// journal boundary (of the ops envKillOps names, if any); it prints the
// boundaries it counted and exits 10 plus the run's exit code.
func crashWorker(dir string, kill *steptest.Killer) int {
	stream := os.Getenv(envStream) == "1"
	var killOps map[string]bool
	if v := os.Getenv(envKillOps); v != "" {
		killOps = map[string]bool{}
		for _, op := range strings.Split(v, ",") {
			killOps[op] = true
		}
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 2
	}
	inv, err := crashInventory()
	if err != nil {
		return fail(err)
	}
	s, err := sim.Open(dir, nil, sim.Options{Seed: 5, TimeScale: testTimeScale})
	if err != nil {
		return fail(err)
	}
	j, err := journal.Open(dir, journal.Holder{Command: "migrate disks convert"})
	if err != nil {
		return fail(err)
	}
	p, err := convert.Build(inv, convert.PlanOptions{Method: convert.MethodCutover, Stream: stream})
	if err != nil {
		return fail(err)
	}
	parallel := 1
	if m := os.Getenv(envMethod); m != "" {
		for i := range p.VMs {
			p.VMs[i].Method = m
		}
		// Two at once, so the gate has VMs of web-as to keep apart.
		parallel = 2
	}
	var compute cloud.Compute = s
	if v := os.Getenv(envFailVM); v != "" {
		w := newWatch(s, 100)
		for _, vm := range p.VMs {
			if vm.Name == v {
				w.failCreate[vmKey(vm.ResourceGroup, vm.Name)] = true
			}
		}
		compute = w
	}
	res, err := convert.Run(context.Background(), convert.Options{Plan: p, Compute: compute, Data: s, Journal: j, StateDir: dir,
		Platform: s.Platform(), Snapshots: s, Parallel: parallel, TimeScale: testTimeScale,
		OnBoundary: func(b convert.Boundary, vm, op string) {
			if killOps == nil || killOps[op] {
				kill.Hit()
			}
		}})
	if err != nil {
		return fail(err)
	}
	for _, v := range res.VMs {
		if v.Status != convert.StatusDone {
			fmt.Fprintf(os.Stderr, "crash worker: %s: %s: %s\n", v.ID, v.Status, v.Reason)
		}
	}
	fmt.Printf("boundaries %d\n", kill.Count())
	j.Close()
	s.Close()
	return 10 + res.ExitCode()
}

// runWorker runs one worker; killed reports whether it died of SIGKILL.
// A worker that finishes must have converted every VM.
func runWorker(t *testing.T, dir string, killAfter int, stream bool) (killed bool, out string) {
	t.Helper()
	return runWorkerWith(t, dir, killAfter, stream, "", convert.ExitOK)
}

// runWorkerWith is runWorker counting only the boundaries of killOps
// (comma-separated; "" counts all), a finished run exiting with exit.
func runWorkerWith(t *testing.T, dir string, killAfter int, stream bool, killOps string, exit int) (killed bool, out string) {
	t.Helper()
	return runWorkerMethod(t, dir, killAfter, stream, killOps, "", exit)
}

// runWorkerMethod is runWorkerWith converting every VM with method ("":
// the plan's).
func runWorkerMethod(t *testing.T, dir string, killAfter int, stream bool, killOps, method string, exit int, env ...string) (killed bool, out string) {
	t.Helper()
	st := "0"
	if stream {
		st = "1"
	}
	env = append([]string{envStream + "=" + st, envKillOps + "=" + killOps, envMethod + "=" + method}, env...)
	killed, code, b, err := steptest.RunWorker(dir, killAfter, env...)
	if err != nil || (!killed && code != 10+exit) {
		t.Fatalf("worker (kill after %d): exit %d %v\n%s", killAfter, code, err, b)
	}
	return killed, string(b)
}

var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

// migratedTemplate is the small estate migrated once, copied by every
// crash case.
func migratedTemplate(t *testing.T) string {
	templateOnce.Do(func() {
		inv, err := crashInventory()
		if err != nil {
			templateErr = err
			return
		}
		templateDir, templateErr = os.MkdirTemp("", "convert-template")
		if templateErr == nil {
			migrate(t, templateDir, inv)
		}
	})
	if templateErr != nil {
		t.Fatal(templateErr)
	}
	return templateDir
}

// TestKillAtEveryBoundary kills a conversion of the small estate at every
// journal boundary in turn, finishes it with a second process, and checks
// that the cloud ends as an uninterrupted run leaves it, with no disk or VM
// created twice and no upload granted after it ended.
func TestKillAtEveryBoundary(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			tmpl := migratedTemplate(t)
			base := t.TempDir()
			copyDir(t, tmpl, base)
			killed, out := runWorker(t, base, 0, stream)
			if killed {
				t.Fatal("uninterrupted worker was killed")
			}
			var total int
			if _, err := fmt.Sscanf(out, "boundaries %d", &total); err != nil || total == 0 {
				t.Fatalf("worker output %q: %v", out, err)
			}
			want := cloudState(t, base)
			// Every boundary, with or without the race detector; -short
			// every 7th.
			step := 1
			if testing.Short() {
				step = 7
			}
			for k := 1; k <= total; k += step {
				dir := t.TempDir()
				copyDir(t, tmpl, dir)
				if killed, _ := runWorker(t, dir, k, stream); !killed {
					t.Fatalf("worker to be killed at boundary %d of %d finished", k, total)
				}
				if killed, out := runWorker(t, dir, 0, stream); killed {
					t.Fatalf("resume killed: %s", out)
				}
				if got := cloudState(t, dir); got != want {
					t.Errorf("killed at boundary %d: cloud differs from an uninterrupted run's:\n got %s\nwant %s", k, got, want)
				}
				s, err := sim.Open(dir, nil, sim.Options{})
				if err != nil {
					t.Fatal(err)
				}
				checkHistory(t, context.Background(), s)
				s.Close()
			}
			t.Logf("%d boundaries", total)
		})
	}
}

// TestKillWhilePuttingBack corrupts one disk of a VM that was running and
// kills the conversion at every boundary of its failure path (deleting
// the managed disks made, starting the VM again), then finishes it with a
// second process: the cloud ends as an uninterrupted run leaves it (the
// VM running on its VHDs, none of its managed disks left), no disk or VM
// is created twice, and no StartVM finds the VM running.
func TestKillWhilePuttingBack(t *testing.T) {
	const ops = convert.OpDeleteDisk + "," + convert.OpStartVM
	corrupted := func() string {
		dir := t.TempDir()
		copyDir(t, migratedTemplate(t), dir)
		if err := os.WriteFile(filepath.Join(dir, "sim", "corrupt-disks"), []byte("app1-data0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	base := corrupted()
	killed, out := runWorkerWith(t, base, 0, false, ops, convert.ExitFailed)
	if killed {
		t.Fatal("uninterrupted worker was killed")
	}
	// The worker reports app1's failure on stderr before its count.
	var total int
	if i := strings.LastIndex(out, "boundaries "); i < 0 {
		t.Fatalf("worker output %q", out)
	} else if _, err := fmt.Sscanf(out[i:], "boundaries %d", &total); err != nil || total == 0 {
		t.Fatalf("worker output %q: %v", out, err)
	}
	want := cloudState(t, base)
	step := 1
	if testing.Short() {
		step = 3
	}
	for k := 1; k <= total; k += step {
		dir := corrupted()
		if killed, _ := runWorkerWith(t, dir, k, false, ops, convert.ExitFailed); !killed {
			t.Fatalf("worker to be killed at boundary %d of %d finished", k, total)
		}
		if killed, out := runWorkerWith(t, dir, 0, false, ops, convert.ExitFailed); killed {
			t.Fatalf("resume killed: %s", out)
		}
		if got := cloudState(t, dir); got != want {
			t.Errorf("killed at boundary %d: cloud differs from an uninterrupted run's:\n got %s\nwant %s", k, got, want)
		}
		s, err := sim.Open(dir, nil, sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		checkHistory(t, ctx, s)
		hist, err := s.History(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range hist {
			if op.Op == sim.OpStartVM && op.StateBefore == cloud.State(cloud.PowerRunning) {
				t.Errorf("killed at boundary %d: StartVM sent to running %s (seq %d)", k, op.Unit, op.Seq)
			}
		}
		vm, err := s.GetVM(ctx, "small-app-Migrated", "app1")
		if err != nil || vm.Managed() || vm.PowerState != cloud.PowerRunning {
			t.Errorf("killed at boundary %d: app1 %+v %v, want running on its VHDs", k, vm, err)
		}
		for _, d := range []string{"app1-os", "app1-data0"} {
			if _, err := s.GetDisk(ctx, "small-app-Migrated", d); !errors.Is(err, cloud.ErrNotFound) {
				t.Errorf("killed at boundary %d: managed disk %s left: %v", k, d, err)
			}
		}
		s.Close()
	}
	t.Logf("%d boundaries", total)
}

// cloudState renders the VMs and managed disks of the cloud in dir.
func cloudState(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	s, err := sim.Open(dir, nil, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vms, err := s.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range vms {
		lines = append(lines, fmt.Sprintf("%s/%s %s %s %v os=%s", v.ResourceGroup, v.Name, v.Size, v.PowerState, v.NICs, v.OSDisk.ManagedDisk))
		for _, d := range append(v.DataDisks, v.OSDisk) {
			if d.ManagedDisk == "" {
				lines = append(lines, fmt.Sprintf("  lun %d vhd %s", d.LUN, d.VHDURI))
				continue
			}
			md, err := s.GetDisk(ctx, v.ResourceGroup, d.ManagedDisk)
			if err != nil {
				t.Fatalf("%s: %v", d.ManagedDisk, err)
			}
			src, err := s.OpenManaged(ctx, v.ResourceGroup, d.ManagedDisk)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := hashSource(ctx, src)
			src.Close()
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("  lun %d %s %s %d %s %s", d.LUN, md.Name, md.State, md.SizeBytes, md.AccountType, sum))
		}
	}
	sort.Strings(lines)
	return fmt.Sprint(lines)
}

// TestKillAtEveryBoundaryIssue10 kills a conversion of the small estate
// with the platform's conversion and with the pre-copy at journal
// boundaries in turn (see step), finishes it with a second
// process, and checks that every VM ends running on managed disks that
// hold what its VHDs held when it stopped, in its availability set, with
// no two VMs of a set ever down together in the cloud's history. (With
// the pre-copy a killed run may take one more snapshot than an
// uninterrupted one, and the simulated VM writes between snapshots, so
// the content is compared with the VHDs rather than with another run.)
func TestKillAtEveryBoundaryIssue10(t *testing.T) {
	for _, method := range []string{convert.MethodPlatform, convert.MethodPrecopy} {
		t.Run(method, func(t *testing.T) {
			tmpl := migratedTemplate(t)
			before := func() map[string]cloud.VM {
				s, err := sim.Open(tmpl, nil, sim.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				return vmsByID(t, context.Background(), s)
			}()
			base := t.TempDir()
			copyDir(t, tmpl, base)
			killed, out := runWorkerMethod(t, base, 0, false, "", method, convert.ExitOK)
			if killed {
				t.Fatal("uninterrupted worker was killed")
			}
			var total int
			if _, err := fmt.Sscanf(out, "boundaries %d", &total); err != nil || total == 0 {
				t.Fatalf("worker output %q: %v", out, err)
			}
			checkIssue10End(t, base, before, 0)
			// Every boundary of the platform's conversion, every 3rd of
			// the pre-copy's 170 (a kill costs two processes); in -short
			// or under the race detector every 5th and 9th.
			step := map[bool]map[string]int{false: {convert.MethodPlatform: 1, convert.MethodPrecopy: 3},
				true: {convert.MethodPlatform: 5, convert.MethodPrecopy: 9}}[testing.Short() || raceBuild][method]
			for k := 1; k <= total; k += step {
				dir := t.TempDir()
				copyDir(t, tmpl, dir)
				if killed, _ := runWorkerMethod(t, dir, k, false, "", method, convert.ExitOK); !killed {
					t.Fatalf("worker to be killed at boundary %d of %d finished", k, total)
				}
				if killed, out := runWorkerMethod(t, dir, 0, false, "", method, convert.ExitOK); killed {
					t.Fatalf("resume killed: %s", out)
				}
				checkIssue10End(t, dir, before, k)
			}
			t.Logf("%d boundaries", total)
		})
	}
}

// checkIssue10End checks the cloud in dir after a conversion finished
// (after a kill at boundary k, 0: none).
func checkIssue10End(t *testing.T, dir string, before map[string]cloud.VM, k int) {
	t.Helper()
	ctx := context.Background()
	s, err := sim.Open(dir, nil, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkHistory(t, ctx, s)
	if ov, err := s.DowntimeOverlaps(ctx); err != nil || len(ov) > 0 {
		t.Errorf("killed at %d: %v %v", k, ov, err)
	}
	for id, old := range before {
		vm, err := s.GetVM(ctx, old.ResourceGroup, old.Name)
		if err != nil {
			t.Errorf("killed at %d: %s: %v", k, id, err)
			continue
		}
		if !vm.Managed() || vm.PowerState != old.PowerState || vm.AvailabilitySet != old.AvailabilitySet || vm.Size != old.Size {
			t.Errorf("killed at %d: %s is %+v, was %+v", k, id, vm, old)
			continue
		}
		for i, d := range append([]cloud.VMDisk{old.OSDisk}, old.DataDisks...) {
			m := vm.OSDisk
			if i > 0 {
				m = vm.DataDisks[i-1]
			}
			if m.LUN != d.LUN {
				t.Errorf("killed at %d: %s disk %s at LUN %d, was %d", k, id, d.Name, m.LUN, d.LUN)
			}
			want := hashOf(t, func() (disks.Source, error) { return s.OpenVHD(ctx, d.VHDURI) })
			got := hashOf(t, func() (disks.Source, error) { return s.OpenManaged(ctx, old.ResourceGroup, m.ManagedDisk) })
			if got != want {
				t.Errorf("killed at %d: %s disk %s: managed %s, its VHD %s", k, id, d.Name, got, want)
			}
		}
	}
}

func hashOf(t *testing.T, open func() (disks.Source, error)) string {
	t.Helper()
	src, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sum, err := hashSource(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestKillDuringRollback refuses app1's CreateVM on managed disks (a
// fault right after DeleteVM) and kills the conversion at every boundary
// of the VM's way back (the refused CreateVM, Rollback, DeleteDisk), for
// the recreate methods (every 4th in -short): a second process ends with app1 running on its
// original VHDs, never deleted, its managed disks removed, and every other
// VM converted.
func TestKillDuringRollback(t *testing.T) {
	const ops = convert.OpCreateVM + "," + convert.OpRollback + "," + convert.OpDeleteDisk
	for _, method := range []string{convert.MethodCutover, convert.MethodPrecopy} {
		t.Run(method, func(t *testing.T) {
			tmpl := migratedTemplate(t)
			base := t.TempDir()
			copyDir(t, tmpl, base)
			fail := envFailVM + "=app1"
			killed, out := runWorkerMethod(t, base, 0, false, ops, method, convert.ExitFailed, fail)
			if killed {
				t.Fatal("uninterrupted worker was killed")
			}
			var total int
			if i := strings.LastIndex(out, "boundaries "); i < 0 {
				t.Fatalf("worker output %q", out)
			} else if _, err := fmt.Sscanf(out[i:], "boundaries %d", &total); err != nil || total == 0 {
				t.Fatalf("worker output %q: %v", out, err)
			}
			check := func(dir string, k int) {
				ctx := context.Background()
				s, err := sim.Open(dir, nil, sim.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				hist, err := s.History(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// A run that resumes app1 after its rollback finished
				// (killed before its failure was recorded) converts it
				// again, with new managed disks of the same names: their
				// lifetimes are not one disk's.
				var others []sim.Operation
				for _, op := range hist {
					if !strings.Contains(op.Unit, "/app1-") {
						others = append(others, op)
					}
				}
				checkOps(t, others)
				if ov, err := s.DowntimeOverlaps(ctx); err != nil || len(ov) > 0 {
					t.Errorf("killed at %d: %v %v", k, ov, err)
				}
				vms, err := s.ListVMs(ctx)
				if err != nil || len(vms) != 4 {
					t.Fatalf("killed at %d: %d VMs, want 4: %v", k, len(vms), err)
				}
				for _, vm := range vms {
					if vm.Name == "app1" {
						if vm.Managed() || vm.PowerState != cloud.PowerRunning || len(vm.DataDisks) != 1 {
							t.Errorf("killed at %d: app1 %+v, want running on its VHDs", k, vm)
						}
						for _, d := range []string{"app1-os", "app1-data0"} {
							if _, err := s.GetDisk(ctx, vm.ResourceGroup, d); !errors.Is(err, cloud.ErrNotFound) {
								t.Errorf("killed at %d: managed disk %s left: %v", k, d, err)
							}
						}
					} else if !vm.Managed() {
						t.Errorf("killed at %d: %s not converted", k, vm.Name)
					}
				}
			}
			check(base, 0)
			step := 1
			if testing.Short() {
				step = 4
			}
			for k := 1; k <= total; k += step {
				dir := t.TempDir()
				copyDir(t, tmpl, dir)
				if killed, _ := runWorkerMethod(t, dir, k, false, ops, method, convert.ExitFailed, fail); !killed {
					t.Fatalf("worker to be killed at boundary %d of %d finished", k, total)
				}
				if killed, out := runWorkerMethod(t, dir, 0, false, ops, method, convert.ExitFailed, fail); killed {
					t.Fatalf("resume killed: %s", out)
				}
				check(dir, k)
			}
			t.Logf("%d boundaries", total)
		})
	}
}

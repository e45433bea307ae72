package convert_test

import (
	"context"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// testTimeScale makes retries' backoffs and the sim's Retry-After take
// microseconds.
const testTimeScale = 0.00001

func loadEstate(t testing.TB, name string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(filepath.Join("..", "..", "testdata", "estates", name))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// migrate runs the whole migration of inv on a fresh simulated cloud in
// dir, in process, through the phases executor, and checks every unit
// committed.
func migrate(t testing.TB, dir string, inv *inventory.Inventory) {
	t.Helper()
	ctx := context.Background()
	s, err := sim.Open(dir, inv, sim.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	j, err := journal.Open(dir, journal.Holder{Command: "migrate run"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	p, err := plan.Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	r, err := phases.Execute(ctx, phases.Options{Mode: phases.ModeRun, Plan: p, Driver: s, Journal: j,
		Targets: phases.TargetsFor(inv), TimeScale: testTimeScale})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range r.Units {
		if u.Outcome != phases.OutcomeDone {
			t.Fatalf("migration of %s: %s %s: %v", u.ID, u.Outcome, u.Reason, u.Err)
		}
	}
}

// env is a migrated cloud opened for the disk step.
type env struct {
	dir string
	sim *sim.Sim
	// reader is a fault-free view of the same cloud, for the tests' checks.
	reader *sim.Sim
	j      *journal.Journal
}

func openEnv(t testing.TB, dir string, so sim.Options) *env {
	t.Helper()
	if so.TimeScale == 0 {
		so.TimeScale = testTimeScale
	}
	s, err := sim.Open(dir, nil, so)
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(dir, journal.Holder{Command: "migrate disks convert"})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	r, err := sim.Open(dir, nil, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, sim: s, j: j, reader: r}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	if e.j != nil {
		e.j.Close()
		e.j = nil
	}
	if e.sim != nil {
		e.sim.Close()
		e.reader.Close()
		e.sim = nil
	}
}

func (e *env) options(p *convert.Plan) convert.Options {
	return convert.Options{Plan: p, Compute: e.sim, Data: e.sim, Platform: e.sim.Platform(), Snapshots: e.sim,
		Journal: e.j, StateDir: e.dir, TimeScale: testTimeScale, Parallel: 4}
}

func buildPlan(t testing.TB, inv *inventory.Inventory, o convert.PlanOptions) *convert.Plan {
	t.Helper()
	p, err := convert.Build(inv, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// copyDir copies a state directory (a migrated template) into a new one.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkConverted asserts every VM of the plan runs on verified managed
// disks with the definition it had on VHDs.
func checkConverted(t testing.TB, ctx context.Context, s *sim.Sim, p *convert.Plan, before map[string]cloud.VM, res convert.Result) {
	t.Helper()
	if res.ExitCode() != 0 {
		for _, v := range res.VMs {
			if v.Status != convert.StatusDone {
				t.Errorf("%s: %s: %s", v.ID, v.Status, v.Reason)
			}
		}
		t.Fatalf("exit code %d", res.ExitCode())
	}
	for _, v := range res.VMs {
		for _, d := range v.Disks {
			if !d.Verified || d.SourceSHA256 == "" || d.SourceSHA256 != d.ManagedSHA256 {
				t.Errorf("%s disk %s: verified %v, source %s, managed %s", v.ID, d.Name, d.Verified, d.SourceSHA256, d.ManagedSHA256)
			}
		}
	}
	for _, vp := range p.VMs {
		old, ok := before[vp.ID]
		if !ok {
			t.Fatalf("%s was not migrated", vp.ID)
		}
		vm, err := s.GetVM(ctx, vp.ResourceGroup, vp.Name)
		if err != nil {
			t.Fatalf("%s: %v", vp.ID, err)
		}
		if !vm.Managed() {
			t.Errorf("%s: not on managed disks: %+v", vp.ID, vm)
		}
		if vm.Size != old.Size || vm.AvailabilitySet != old.AvailabilitySet || vm.Location != old.Location || vm.OSType != old.OSType {
			t.Errorf("%s: size/avset/location/os %s %q %s %s, was %s %q %s %s", vp.ID, vm.Size, vm.AvailabilitySet, vm.Location, vm.OSType, old.Size, old.AvailabilitySet, old.Location, old.OSType)
		}
		if len(vm.NICs) != len(old.NICs) || vm.NICs[0] != old.NICs[0] {
			t.Errorf("%s: NICs %v, were %v", vp.ID, vm.NICs, old.NICs)
		}
		if vm.PowerState != old.PowerState {
			t.Errorf("%s: power %s, was %s", vp.ID, vm.PowerState, old.PowerState)
		}
		if vm.OSDisk.ManagedDisk != old.OSDisk.Name {
			t.Errorf("%s: OS disk %q, want managed %s", vp.ID, vm.OSDisk.ManagedDisk, old.OSDisk.Name)
		}
		if len(vm.DataDisks) != len(old.DataDisks) {
			t.Fatalf("%s: %d data disks, had %d", vp.ID, len(vm.DataDisks), len(old.DataDisks))
		}
		for i, d := range vm.DataDisks {
			if d.LUN != old.DataDisks[i].LUN || d.ManagedDisk != old.DataDisks[i].Name {
				t.Errorf("%s: data disk %d at LUN %d on %q, was %s at LUN %d", vp.ID, i, d.LUN, d.ManagedDisk, old.DataDisks[i].Name, old.DataDisks[i].LUN)
			}
			md, err := s.GetDisk(ctx, vp.ResourceGroup, d.ManagedDisk)
			if err != nil || md.State != cloud.DiskAttached || md.SizeBytes != old.DataDisks[i].SizeBytes {
				t.Errorf("%s: managed disk %s: %+v %v", vp.ID, d.ManagedDisk, md, err)
			}
		}
	}
}

// vmsByID reads every Resource Manager VM, by plan id.
func vmsByID(t testing.TB, ctx context.Context, s *sim.Sim) map[string]cloud.VM {
	t.Helper()
	vms, err := s.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cloud.VM{}
	for _, v := range vms {
		out[convert.VMID(v.ResourceGroup, v.Name)] = v
	}
	return out
}

var _ = time.Second

type discardSink struct{}

func (discardSink) WriteChunk(context.Context, *disks.Chunk) error { return nil }
func (discardSink) Finish(context.Context, disks.Summary) error    { return nil }
func (discardSink) Close() error                                   { return nil }

// hashSource is the content SHA-256 of a disk, hex.
func hashSource(ctx context.Context, src disks.Source) (string, error) {
	sum, err := disks.Copy(ctx, src, discardSink{}, disks.CopyOptions{})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sum.ContentSHA256[:]), nil
}

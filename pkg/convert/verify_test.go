package convert_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// A managed disk whose content differs from its VHD fails its VM: the VM
// stays on its VHDs and, since it ran before, runs again on them; the bad
// managed disk and the good one made before it are deleted; the other VMs
// convert. A later run without the corruption converts it from its VHDs
// again.
func TestCorruptDiskFailsItsVM(t *testing.T) {
	for _, hook := range []string{"option", "file"} {
		t.Run(hook, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			inv := loadEstate(t, "small.json")
			dir := t.TempDir()
			migrate(t, dir, inv)
			so := sim.Options{Seed: 3}
			if hook == "option" {
				so.CorruptDisks = []string{"app1-data0"}
			} else if err := os.WriteFile(filepath.Join(dir, "sim", "corrupt-disks"), []byte("app1-data0\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			e := openEnv(t, dir, so)
			before := vmsByID(t, ctx, e.reader)
			if ps := before["vm/small-app-Migrated/app1"].PowerState; ps != cloud.PowerRunning {
				t.Fatalf("app1 is %s before the conversion; the test needs it running", ps)
			}
			p := buildPlan(t, inv, convert.PlanOptions{Method: convert.MethodCutover, Stream: hook == "file"})
			res, err := convert.Run(ctx, e.options(p))
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode() != convert.ExitFailed {
				t.Fatalf("exit code %d, want 1", res.ExitCode())
			}
			for _, v := range res.VMs {
				want := convert.StatusDone
				if v.ID == "vm/small-app-Migrated/app1" {
					want = convert.StatusFailed
					if !errors.Is(v.Err, convert.ErrVerify) {
						t.Errorf("app1: %v, want ErrVerify", v.Err)
					}
					if !strings.Contains(v.Reason, "started again on its VHDs") {
						t.Errorf("app1's reason does not say it runs again: %s", v.Reason)
					}
				}
				if v.Status != want {
					t.Errorf("%s: %s (%s), want %s", v.ID, v.Status, v.Reason, want)
				}
			}
			vm, err := e.reader.GetVM(ctx, "small-app-Migrated", "app1")
			if err != nil {
				t.Fatal(err)
			}
			old := before["vm/small-app-Migrated/app1"]
			if vm.Managed() || vm.OSDisk.VHDURI != old.OSDisk.VHDURI || len(vm.DataDisks) != 1 || vm.DataDisks[0].VHDURI != old.DataDisks[0].VHDURI ||
				vm.PowerState != cloud.PowerRunning {
				t.Errorf("app1 after a failed verification: %+v, want running on its VHDs", vm)
			}
			if _, err := e.reader.GetDisk(ctx, "small-app-Migrated", "app1-data0"); !errors.Is(err, cloud.ErrNotFound) {
				t.Errorf("the corrupted managed disk is still there: %v", err)
			}
			if _, err := e.reader.GetDisk(ctx, "small-app-Migrated", "app1-os"); !errors.Is(err, cloud.ErrNotFound) {
				t.Errorf("the OS disk made before the VM ran again is still there: %v", err)
			}
			hist, err := e.reader.History(ctx)
			if err != nil {
				t.Fatal(err)
			}
			starts := 0
			for _, op := range hist {
				if op.Op == sim.OpStartVM && op.Result == sim.ResultSucceeded {
					starts++
					if op.Unit != "vm/small-app-Migrated/app1" || op.StateBefore != cloud.State(cloud.PowerDeallocated) {
						t.Errorf("StartVM %s found %s, want app1 deallocated", op.Unit, op.StateBefore)
					}
				}
			}
			if starts != 1 {
				t.Errorf("%d StartVM succeeded, want 1", starts)
			}
			if _, err := e.reader.OpenVHD(ctx, vm.DataDisks[0].VHDURI); err != nil {
				t.Errorf("the VHD is gone: %v", err)
			}
			recs, err := convert.Records(e.j)
			if err != nil {
				t.Fatal(err)
			}
			r := recs["vm/small-app-migrated/app1"]
			if r.Status != convert.StatusFailed || !strings.Contains(r.Reason, "differs") || !strings.Contains(r.Reason, "started again") ||
				r.Definition == nil || r.Pending != "" {
				t.Errorf("journal record of app1: %+v", r)
			}

			// The corruption gone, a later run converts app1 from its
			// VHDs: stopped again first, every disk made again.
			e.close()
			if hook == "file" {
				if err := os.Remove(filepath.Join(dir, "sim", "corrupt-disks")); err != nil {
					t.Fatal(err)
				}
			}
			e = openEnv(t, dir, sim.Options{Seed: 3})
			n := historyLen(t, ctx, e.reader)
			res, err = convert.Run(ctx, e.options(p))
			if err != nil {
				t.Fatal(err)
			}
			checkConverted(t, ctx, e.reader, p, before, res)
			hist, err = e.reader.History(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The disks deleted by the failure are new resources now.
			checkOps(t, hist[:n])
			checkOps(t, hist[n:])
			var ops []string
			for _, op := range hist[n:] {
				if op.Op == sim.OpDeallocateVM || op.Op == sim.OpCreateDisk {
					ops = append(ops, op.Op+" "+op.Unit+" "+string(op.StateBefore))
				}
			}
			// The VM's disks move in parallel: their CreateDisks come in
			// either order, after the DeallocateVM.
			want := []string{"DeallocateVM vm/small-app-Migrated/app1 running", "CreateDisk disk/small-app-Migrated/app1-data0 None", "CreateDisk disk/small-app-Migrated/app1-os None"}
			if len(ops) > 1 {
				slices.Sort(ops[1:])
			}
			if strings.Join(ops, "; ") != strings.Join(want, "; ") {
				t.Errorf("the later run sent %q, want %q", ops, want)
			}
		})
	}
}

// The staging path: each disk goes to an encrypted staging image (no
// plaintext sector of the source in it), then, verified, to the managed
// disk.
func TestStaging(t *testing.T) {
	ctx := context.Background()
	inv := loadEstate(t, "small.json")
	dir := t.TempDir()
	migrate(t, dir, inv)
	e := openEnv(t, dir, sim.Options{Seed: 3})
	before := vmsByID(t, ctx, e.reader)
	p := buildPlan(t, inv, convert.PlanOptions{Staging: true, MaxBandwidth: 1 << 40})
	kek := make([]byte, 32)
	rand.Read(kek)
	stage := filepath.Join(t.TempDir(), "stage")
	o := e.options(p)
	o.Staging, o.KEK = stage, kek
	if _, err := convert.Run(ctx, convert.Options{Plan: p, Compute: e.sim, Data: e.sim, Journal: e.j, StateDir: dir}); !errors.Is(err, convert.ErrOptions) {
		t.Errorf("a staged plan without a staging folder: %v, want ErrOptions", err)
	}
	res, err := convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	checkConverted(t, ctx, e.reader, p, before, res)

	for _, sa := range inv.StorageAccounts {
		for _, d := range sa.Disks {
			checkStaged(t, ctx, e.reader, stage, kek, d)
		}
	}
}

func checkStaged(t *testing.T, ctx context.Context, s *sim.Sim, stage string, kek []byte, d inventory.Disk) {
	t.Helper()
	src, err := s.OpenVHD(ctx, d.VHDURI)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want, err := hashSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(stage, d.Name+".img"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	alloc, err := src.Allocated(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain := map[string]bool{}
	var zero [disks.SectorSize]byte
	sec := make([]byte, disks.SectorSize)
	ct := make([]byte, disks.SectorSize)
	var checked int
	for _, a := range alloc {
		for off := a.Off; off < a.Off+a.Len; off += disks.SectorSize {
			if err := src.ReadAt(ctx, sec, off); err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(sec, zero[:]) {
				continue
			}
			plain[string(sec)] = true
			if _, err := f.ReadAt(ct, off); err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(ct, sec) {
				t.Fatalf("%s: sector at %d is in the clear in the staging image", d.Name, off)
			}
			checked++
		}
	}
	// No plaintext sector anywhere in the written extents either.
	for _, a := range alloc {
		for off := a.Off; off < a.Off+a.Len; off += disks.SectorSize {
			if _, err := f.ReadAt(ct, off); err != nil {
				t.Fatal(err)
			}
			if plain[string(ct)] {
				t.Fatalf("%s: a plaintext sector of the source is at %d in the staging image", d.Name, off)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("%s: no data sector checked", d.Name)
	}
	ss, err := staging.Open(ctx, stage, d.Name, kek)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	if err := ss.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := hashSource(ctx, ss)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || ss.Manifest().ContentSHA256 != want {
		t.Errorf("%s: staging image decrypts to %s (manifest %s), source %s", d.Name, got, ss.Manifest().ContentSHA256, want)
	}
}

// On Azure Stack Hub a 2 TiB disk is refused by Build, and Run with such a
// plan sends nothing.
func TestHubRefusesLargeDisk(t *testing.T) {
	ctx := context.Background()
	inv := loadEstate(t, "small.json")
	inv.Target.Cloud = inventory.CloudAzureStackHub
	dir := t.TempDir()
	// Azure Stack Hub has no classic side to migrate: its VMs are
	// Resource Manager VMs on VHDs from the start.
	hub, err := sim.Open(dir, inv, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub.Close()
	// The disk grows after migration, as the plan would see a live estate.
	for i := range inv.StorageAccounts {
		for j := range inv.StorageAccounts[i].Disks {
			if d := &inv.StorageAccounts[i].Disks[j]; d.Name == "app1-data0" {
				d.SizeGiB, d.BlobSizeBytes = 2048, 0
			}
		}
	}
	p, err := convert.Build(inv, convert.PlanOptions{})
	var pe *convert.PlanError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || !strings.Contains(pe.Error(), "app1-data0") || !strings.Contains(pe.Error(), "M30") {
		t.Fatalf("Build: %v, want one problem naming app1-data0 and M30", err)
	}
	e := openEnv(t, dir, sim.Options{})
	n := historyLen(t, ctx, e.reader)
	if _, err := convert.Run(ctx, e.options(p)); !errors.As(err, &pe) {
		t.Fatalf("Run with a refused plan: %v, want *PlanError", err)
	}
	if m := historyLen(t, ctx, e.reader); m != n {
		t.Errorf("%d operations sent", m-n)
	}
}

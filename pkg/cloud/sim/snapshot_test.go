package sim_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

const dataVHD = "https://sa.blob.core.windows.net/vhds/vm1-data.vhd"

func contentHash(t *testing.T, src disks.Source) [32]byte {
	t.Helper()
	sum, err := disks.Copy(context.Background(), src, nopSink{}, disks.CopyOptions{})
	must(t, err)
	must(t, src.Close())
	return sum.ContentSHA256
}

// applyDelta copies snapshot prev into a raw image, then only the ranges
// ChangedSince(cur, prev) lists from snapshot cur, as the pre-copy's
// cut-over does, and checks the image is cur byte for byte.
func applyDelta(t *testing.T, s *sim.Sim, prev, cur string) []disks.Extent {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disk.raw")
	from, err := s.OpenVHDSnapshot(ctx, dataVHD, prev)
	must(t, err)
	sink, err := disks.CreateRaw(path, from.Size())
	must(t, err)
	_, err = disks.Copy(ctx, from, sink, disks.CopyOptions{})
	must(t, err)
	must(t, sink.Close())
	must(t, from.Close())

	changed, err := s.ChangedSince(ctx, dataVHD, cur, prev)
	must(t, err)
	to, err := s.OpenVHDSnapshot(ctx, dataVHD, cur)
	must(t, err)
	alloc, err := to.Allocated(ctx)
	must(t, err)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	must(t, err)
	var end int64
	for i, e := range changed {
		if e.Off%4096 != 0 || e.Len%4096 != 0 || e.Len <= 0 || e.Off < end || (i > 0 && e.Off == end) {
			t.Fatalf("ChangedSince ranges not sorted, merged and page-aligned: %+v", changed)
		}
		end = e.Off + e.Len
		buf := make([]byte, e.Len)
		must(t, to.ReadAt(ctx, buf, e.Off))
		if _, err := f.WriteAt(buf, e.Off); err != nil {
			t.Fatal(err)
		}
		// A changed page outside the page ranges is a cleared one.
		for o := int64(0); o < e.Len; o += 4096 {
			pg := disks.Extent{Off: e.Off + o, Len: 4096}
			if !covered(alloc, pg) && slices.ContainsFunc(buf[o:o+4096], func(b byte) bool { return b != 0 }) {
				t.Errorf("page %+v holds data but is not in the snapshot's page ranges", pg)
			}
		}
	}
	must(t, f.Close())
	must(t, to.Close())
	img, err := disks.OpenRaw(path)
	must(t, err)
	cur2, err := s.OpenVHDSnapshot(ctx, dataVHD, cur)
	must(t, err)
	if contentHash(t, img) != contentHash(t, cur2) {
		t.Errorf("snapshot %s plus ChangedSince(%s, %s) is not snapshot %s", prev, cur, prev, cur)
	}
	return changed
}

func covered(exts []disks.Extent, e disks.Extent) bool {
	for _, x := range exts {
		if x.Off <= e.Off && e.Off+e.Len <= x.Off+x.Len {
			return true
		}
	}
	return false
}

// The pre-copy's property: copy a snapshot, apply what changed since, and
// the result is the later snapshot byte for byte; a VM that no longer runs
// writes nothing more.
func TestSnapshotDiff(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	run := func(dir string) ([]string, [][]disks.Extent, *sim.Sim) {
		s := open(t, dir, stepEstate(inventory.CloudAzureStackHub), sim.Options{Seed: 9, Now: clock.Now})
		var ids []string
		for range 4 { // the VM runs: each snapshot finds it written
			id, err := s.SnapshotVHD(ctx, dataVHD)
			must(t, err)
			ids = append(ids, id)
		}
		var deltas [][]disks.Extent
		for _, p := range [][2]int{{0, 1}, {1, 2}, {0, 3}} {
			d := applyDelta(t, s, ids[p[0]], ids[p[1]])
			if len(d) == 0 {
				t.Errorf("a running VM wrote nothing between snapshots %d and %d", p[0], p[1])
			}
			deltas = append(deltas, d)
		}
		return ids, deltas, s
	}
	ids, deltas, s := run(t.TempDir())
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("snapshot ids repeat under one clock reading: %q", ids)
	}
	if d, err := s.ChangedSince(ctx, dataVHD, ids[1], ids[1]); err != nil || len(d) != 0 {
		t.Errorf("ChangedSince of a snapshot and itself: %v, %v", d, err)
	}

	// Deallocated: the first snapshot still finds what it wrote while it
	// ran, the next nothing; OpenVHD reads the current content.
	must(t, s.DeallocateVM(ctx, "cs", "vm1"))
	a, err := s.SnapshotVHD(ctx, dataVHD)
	must(t, err)
	b, err := s.SnapshotVHD(ctx, dataVHD)
	must(t, err)
	if d := applyDelta(t, s, ids[3], a); len(d) == 0 {
		t.Errorf("the writes before deallocation were lost")
	}
	if d := applyDelta(t, s, a, b); len(d) != 0 {
		t.Errorf("a deallocated VM wrote %+v", d)
	}
	cur, err := s.OpenVHD(ctx, dataVHD)
	must(t, err)
	snap, err := s.OpenVHDSnapshot(ctx, dataVHD, b)
	must(t, err)
	if contentHash(t, cur) != contentHash(t, snap) {
		t.Errorf("OpenVHD does not read the current generation")
	}
	// Started again, it writes again.
	must(t, s.StartVM(ctx, "cs", "vm1"))
	c, err := s.SnapshotVHD(ctx, dataVHD)
	must(t, err)
	if d := applyDelta(t, s, b, c); len(d) == 0 {
		t.Errorf("a started VM wrote nothing")
	}

	// The same cloud built elsewhere writes the same pages.
	_, again, _ := run(t.TempDir())
	if !slices.EqualFunc(deltas, again, func(x, y []disks.Extent) bool { return slices.Equal(x, y) }) {
		t.Errorf("writes depend on more than the seed, the disk and the generation:\n%v\n%v", deltas, again)
	}

	// Snapshots are deleted one by one; a deleted one is gone.
	must(t, s.DeleteVHDSnapshot(ctx, dataVHD, ids[0]))
	must(t, s.DeleteVHDSnapshot(ctx, dataVHD, ids[0]))
	if _, err := s.OpenVHDSnapshot(ctx, dataVHD, ids[0]); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("a deleted snapshot opens: %v", err)
	}
	if _, err := s.ChangedSince(ctx, dataVHD, ids[1], ids[0]); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("ChangedSince a deleted snapshot: %v", err)
	}
	if _, err := s.SnapshotVHD(ctx, "https://sa.blob.core.windows.net/vhds/nope.vhd"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("snapshot of an unknown VHD: %v", err)
	}
	var got []string
	for _, op := range append(historyOps(t, s, sim.OpSnapshotVHD)[:2], historyOps(t, s, sim.OpDeleteVHDSnapshot)...) {
		got = append(got, op.Op+" "+op.Unit+" "+string(op.StateBefore)+" "+op.Result)
	}
	want := []string{"SnapshotVHD vhd/sa/vm1-data Gen0 Succeeded", "SnapshotVHD vhd/sa/vm1-data Gen1 Succeeded",
		"DeleteVHDSnapshot vhd/sa/vm1-data Gen6 Succeeded", "DeleteVHDSnapshot vhd/sa/vm1-data Gen6 Succeeded"}
	if !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}
}

// A snapshot persists across Opens and holds its generation while the VHD
// moves on; an Import reads the VHD's current generation.
func TestSnapshotPersistsAndImportReadsCurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, stepEstate(inventory.CloudAzureStackHub), sim.Options{})
	first, err := s.SnapshotVHD(ctx, dataVHD)
	must(t, err)
	_, err = s.SnapshotVHD(ctx, dataVHD)
	must(t, err)
	must(t, s.Close())
	r := open(t, dir, nil, sim.Options{})
	old, err := r.OpenVHDSnapshot(ctx, dataVHD, first)
	must(t, err)
	cur, err := r.OpenVHD(ctx, dataVHD)
	must(t, err)
	hOld, hCur := contentHash(t, old), contentHash(t, cur)
	if hOld == hCur {
		t.Fatalf("the VHD did not move on from its first snapshot")
	}
	must(t, r.CreateDisk(ctx, cloud.ManagedDisk{ResourceGroup: "cs", Name: "imp", AccountType: "Standard_LRS",
		CreateOption: cloud.CreateImport, SourceURI: dataVHD}))
	m, err := r.OpenManaged(ctx, "cs", "imp")
	must(t, err)
	if contentHash(t, m) != hCur {
		t.Errorf("Import did not read the VHD's current content")
	}
}

// DeleteVHD is refused while a VM is on the VHD (the platform's lease),
// then removes the blob and its snapshots; deleting again succeeds.
func TestDeleteVHD(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), stepEstate(inventory.CloudAzureStackHub), sim.Options{})
	snap, err := s.SnapshotVHD(ctx, dataVHD)
	must(t, err)
	var oe *cloud.OperationError
	if err := s.DeleteVHD(ctx, dataVHD); !errors.As(err, &oe) || oe.Code != "LeaseIdMissing" {
		t.Fatalf("DeleteVHD of an attached VHD = %v, want the lease refusal", err)
	}
	vms, err := s.ListVMs(ctx)
	must(t, err)
	for _, vm := range vms {
		must(t, s.DeleteVM(ctx, vm.ResourceGroup, vm.Name))
	}
	must(t, s.DeleteVHD(ctx, dataVHD))
	must(t, s.DeleteVHD(ctx, dataVHD))
	if _, err := s.OpenVHD(ctx, dataVHD); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("OpenVHD of a deleted VHD = %v, want ErrNotFound", err)
	}
	if _, err := s.OpenVHDSnapshot(ctx, dataVHD, snap); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("OpenVHDSnapshot of a deleted VHD's snapshot = %v, want ErrNotFound", err)
	}
}

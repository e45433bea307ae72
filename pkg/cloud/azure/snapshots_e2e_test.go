package azure_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
	azpageblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/disks"
)

// TestVHDSnapshots: snapshots of a VHD keep their content while the VHD
// changes (as a running VM writes it), the diff of two snapshots lists
// exactly the pages written and cleared in between, and a deleted
// snapshot is gone. Azurite creates and reads the snapshots; it answers
// Get Page Ranges with prevsnapshot 501 (not implemented), so the diff
// comes from the emulator's Blob service front, computed over Azurite's
// data (emulator/blobproxy.go).
func TestVHDSnapshots(t *testing.T) {
	e := diskEnv(t, setup{})
	ctx := t.Context()
	d := e.driver
	vms, err := e.sim.ListVMs(ctx)
	if err != nil || len(vms) == 0 {
		t.Fatalf("no VMs: %v", err)
	}
	uri := vms[0].OSDisk.VHDURI
	var s1 string
	must(t, "snapshot", func() (err error) { s1, err = d.SnapshotVHD(ctx, uri); return err })
	var src disks.Source
	must(t, "open snapshot", func() (err error) { src, err = d.OpenVHDSnapshot(ctx, uri, s1); return err })
	size := src.Size()
	allocated, err := src.Allocated(ctx)
	if err != nil || len(allocated) == 0 {
		t.Fatalf("snapshot page ranges %v: %v", allocated, err)
	}
	before := make([]byte, 512)
	if err := src.ReadAt(ctx, before, allocated[0].Off); err != nil {
		t.Fatal(err)
	}
	h1 := hashOf(t, src)
	simSrc, err := e.sim.OpenVHD(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	if hashOf(t, simSrc) != h1 {
		t.Fatal("the snapshot does not hold the VHD's content")
	}

	// The VM writes a page run and clears a page, straight in Azurite.
	ref, err := armapi.ParseBlobURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := blob.NewSharedKeyCredential(emulator.DevAccountName, emulator.DevAccountKey)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := azpageblob.NewClientWithSharedKeyCredential(e.azurite+"/"+ref.Container+"/"+ref.Blob, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	wrote := disks.Extent{Off: (size / 2) &^ 511, Len: 1024}
	if wrote.Off <= allocated[0].Off {
		t.Fatalf("disk of %d bytes too small for the test", size)
	}
	data := bytes.Repeat([]byte{0xAB}, int(wrote.Len))
	if _, err := pb.UploadPages(ctx, streaming.NopCloser(bytes.NewReader(data)), blob.HTTPRange{Offset: wrote.Off, Count: wrote.Len}, nil); err != nil {
		t.Fatal(err)
	}
	cleared := disks.Extent{Off: allocated[0].Off, Len: 512}
	if _, err := pb.ClearPages(ctx, blob.HTTPRange{Offset: cleared.Off, Count: cleared.Len}, nil); err != nil {
		t.Fatal(err)
	}
	var s2 string
	must(t, "snapshot again", func() (err error) { s2, err = d.SnapshotVHD(ctx, uri); return err })
	var changed []disks.Extent
	must(t, "changed since", func() (err error) { changed, err = d.ChangedSince(ctx, uri, s2, s1); return err })
	want := []disks.Extent{wrote}
	if !bytes.Equal(before, make([]byte, 512)) {
		want = []disks.Extent{cleared, wrote}
	}
	if !reflect.DeepEqual(changed, want) {
		t.Errorf("ChangedSince = %v, want %v (the pages written and cleared)", changed, want)
	}
	must(t, "changed since itself", func() (err error) { changed, err = d.ChangedSince(ctx, uri, s2, s2); return err })
	if len(changed) != 0 {
		t.Errorf("a snapshot differs from itself: %v", changed)
	}

	// Each snapshot reads as it was taken.
	must(t, "open second", func() (err error) { src, err = d.OpenVHDSnapshot(ctx, uri, s2); return err })
	got := make([]byte, wrote.Len)
	if err := src.ReadAt(ctx, got, wrote.Off); err != nil || !bytes.Equal(got, data) {
		t.Errorf("second snapshot at %d: %x, %v; want the written pages", wrote.Off, got[:8], err)
	}
	_ = src.Close()
	must(t, "open first", func() (err error) { src, err = d.OpenVHDSnapshot(ctx, uri, s1); return err })
	if hashOf(t, src) != h1 {
		t.Error("the first snapshot changed with the VHD")
	}

	must(t, "delete snapshot", func() error { return d.DeleteVHDSnapshot(ctx, uri, s1) })
	must(t, "delete snapshot again", func() error { return d.DeleteVHDSnapshot(ctx, uri, s1) })
	if _, err := d.OpenVHDSnapshot(ctx, uri, s1); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("OpenVHDSnapshot of a deleted snapshot = %v, want ErrNotFound", err)
	}

	// The VHD goes with its snapshots, but not while a VM holds it: the
	// platform keeps an infinite lease on an attached disk's blob, taken
	// here as it would.
	lc, err := lease.NewBlobClient(pb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.AcquireLease(ctx, -1, nil); err != nil {
		t.Fatal(err)
	}
	var oe *cloud.OperationError
	if err := d.DeleteVHD(ctx, uri); !errors.As(err, &oe) || oe.Code != "LeaseIdMissing" {
		t.Fatalf("DeleteVHD of a leased VHD = %v, want the lease refusal", err)
	}
	if _, err := lc.BreakLease(ctx, &lease.BlobBreakOptions{BreakPeriod: to.Ptr(int32(0))}); err != nil {
		t.Fatal(err)
	}
	must(t, "delete vhd", func() error { return d.DeleteVHD(ctx, uri) })
	must(t, "delete vhd again", func() error { return d.DeleteVHD(ctx, uri) })
	if _, err := d.OpenVHDSnapshot(ctx, uri, s2); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("OpenVHDSnapshot after DeleteVHD = %v, want ErrNotFound: its snapshots go with it", err)
	}
	checkRedacted(t, e)
}

package azure_test

import (
	"errors"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/disks"
)

// pageCopyTarget is what a server-side page copy needs of a target.
type pageCopyTarget interface {
	cloud.Compute
	cloud.DiskData
	cloud.VHDSnapshots
	cloud.PageCopier
}

// checkPageCopy snapshots a VM's VHD, copies the snapshot's pages server
// side into a disk created for upload, ends the upload and checks the
// managed disk holds the snapshot's content, byte for byte (by hash).
func checkPageCopy(t *testing.T, c pageCopyTarget, vm cloud.VM) {
	t.Helper()
	ctx := t.Context()
	uri := vm.OSDisk.VHDURI
	var snap string
	must(t, "snapshot", func() (err error) { snap, err = c.SnapshotVHD(ctx, uri); return err })
	src, err := c.OpenVHDSnapshot(ctx, uri, snap)
	if err != nil {
		t.Fatal(err)
	}
	size := src.Size()
	extents, err := src.Allocated(ctx)
	if err != nil || len(extents) == 0 {
		t.Fatalf("snapshot page ranges %v: %v", extents, err)
	}
	want := hashOf(t, src)
	md := cloud.ManagedDisk{ResourceGroup: vm.ResourceGroup, Name: vm.Name + "-precopy", Location: vm.Location,
		AccountType: "Standard_LRS", SizeBytes: size, CreateOption: cloud.CreateUpload}
	must(t, "create disk", func() error { return c.CreateDisk(ctx, md) })
	if err := c.CopyPages(ctx, uri, snap, md.ResourceGroup, md.Name, extents); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("CopyPages with no upload open = %v, want ErrNotFound", err)
	}
	sink, err := c.OpenUpload(ctx, md.ResourceGroup, md.Name, size, false)
	if err != nil {
		t.Fatal(err)
	}
	must(t, "copy pages", func() error { return c.CopyPages(ctx, uri, snap, md.ResourceGroup, md.Name, extents) })
	// Again, as after a failure part-way: the same bytes.
	must(t, "copy pages again", func() error { return c.CopyPages(ctx, uri, snap, md.ResourceGroup, md.Name, extents) })
	// One extent over two calls' worth (the emulator refuses a call over
	// 4 MiB, as the service does): the source's zeros copied as zeros.
	big := []disks.Extent{{Off: 0, Len: min(size, 2*cloud.PageCopyMaxBytes+1<<20)}}
	must(t, "copy a long extent", func() error { return c.CopyPages(ctx, uri, snap, md.ResourceGroup, md.Name, big) })
	if err := sink.Finish(ctx, disks.Summary{Size: size, Extents: extents}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	must(t, "end upload", func() error { return c.EndUpload(ctx, md.ResourceGroup, md.Name) })
	got, err := c.OpenManaged(ctx, md.ResourceGroup, md.Name)
	if err != nil {
		t.Fatal(err)
	}
	if hashOf(t, got) != want {
		t.Error("the managed disk does not hold the snapshot's content after the server-side copy")
	}
}

// TestCopyPages copies a VHD snapshot into a managed disk with Put Page
// From URL through the driver against the emulator over Azurite. Azurite
// does not implement Put Page From URL (NotImplementedError in its
// PageBlobHandler.uploadPagesFromURL): the emulator's Blob front reads
// the source range and writes it (emulator/pagecopy.go), so what is
// proven here is the driver's requests and the emulator's model of the
// service, not Azurite's. The simulator's own implementation passes the
// same check.
func TestCopyPages(t *testing.T) {
	e := diskEnv(t, setup{})
	vms, err := e.sim.ListVMs(t.Context())
	if err != nil || len(vms) < 2 {
		t.Fatalf("VMs %v: %v", vms, err)
	}
	if !e.driver.PageCopySupported() {
		t.Fatal("the driver on Azure has no server-side page copy")
	}
	t.Run("driver", func(t *testing.T) { checkPageCopy(t, e.driver, vms[0]) })
	t.Run("sim", func(t *testing.T) { checkPageCopy(t, e.sim, vms[1]) })
	checkRedacted(t, e)
}

// TestCopyPagesUnsupported: a target whose Blob service predates Put Page
// From URL (an Azure Stack Hub stamp before its 2005 update, configured
// with api.blob) reports it, and CopyPages sends nothing.
func TestCopyPagesUnsupported(t *testing.T) {
	e := newEnv(t, diskInventory(), setup{api: azure.APIVersions{Blob: "2017-11-09"}})
	if e.driver.PageCopySupported() {
		t.Fatal("PageCopySupported with Blob service 2017-11-09")
	}
	err := e.driver.CopyPages(t.Context(), "https://a.blob.core.windows.net/vhds/x.vhd", "2026-12-06T08:00:00.0000000Z", "rg", "d", []disks.Extent{{Off: 0, Len: 512}})
	if !errors.Is(err, cloud.ErrPageCopyUnsupported) {
		t.Fatalf("CopyPages = %v, want ErrPageCopyUnsupported", err)
	}
}

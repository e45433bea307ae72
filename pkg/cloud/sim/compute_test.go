package sim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// computeSim is a cloud with one VM (not in a VNet) with an OS and a data disk,
// committed.
func computeSim(t *testing.T) (*sim.Sim, string) {
	t.Helper()
	inv := &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion, SubscriptionID: "00000000-0000-4000-8000-000000000001", DefaultLocation: "West US",
		Target: inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: "-Migrated"},
		StorageAccounts: []inventory.StorageAccount{{Name: "sa", AccountType: "Standard_LRS", Disks: []inventory.Disk{
			{Name: "vm1-os", VHDURI: "https://sa.blob.core.windows.net/vhds/vm1-os.vhd", SizeGiB: 30, OS: "Linux"},
			{Name: "vm1-data", VHDURI: "https://sa.blob.core.windows.net/vhds/vm1-data.vhd", SizeGiB: 2},
		}}},
		CloudServices: []inventory.CloudService{{Name: "cs", Deployment: inventory.Deployment{Name: "d", Roles: []inventory.Role{
			{Name: "vm1", Kind: inventory.RoleVirtualMachine, Size: "Standard_A1", State: "StoppedDeallocated", AvailabilitySet: "as",
				OSDisk: "vm1-os", DataDisks: []inventory.DataDisk{{Disk: "vm1-data", LUN: 3}}},
		}}}},
	}
	s := open(t, t.TempDir(), inv, sim.Options{Seed: 1})
	ctx := context.Background()
	for _, u := range []string{"cloudservice/cs", "storage/sa"} {
		kind, name, _ := cut(u)
		tg := cloud.Target{Unit: u, Kind: kind, Name: name, Deployment: "d"}
		must(t, s.Prepare(ctx, tg))
		must(t, s.Commit(ctx, tg))
	}
	return s, "cs-Migrated"
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func TestCommitMakesVMsAndDisksConvert(t *testing.T) {
	ctx := context.Background()
	s, rg := computeSim(t)
	vm, err := s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if vm.Size != "Standard_A1" || vm.AvailabilitySet != "as" || vm.NICs[0] != "vm1-PrimaryNic" || vm.OSType != "Linux" ||
		vm.PowerState != cloud.PowerDeallocated || vm.Managed() || vm.OSDisk.SizeBytes != 30<<30 || vm.DataDisks[0].LUN != 3 {
		t.Fatalf("committed VM: %+v", vm)
	}
	if _, err := s.GetVM(ctx, rg, "nope"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("GetVM of a missing VM: %v", err)
	}

	// The generated content is deterministic, sparse and real.
	a, err := s.OpenVHD(ctx, vm.OSDisk.VHDURI)
	must(t, err)
	ext, err := a.Allocated(ctx)
	must(t, err)
	var n int64
	for _, e := range ext {
		n += e.Len
	}
	if a.Size() != 30<<30 || len(ext) < 3 || n > 16<<20 {
		t.Errorf("generated disk: size %d, %d extents, %d bytes", a.Size(), len(ext), n)
	}
	b1, b2 := make([]byte, 4096), make([]byte, 4096)
	must(t, a.ReadAt(ctx, b1, 8192))
	b, err := s.OpenVHD(ctx, "HTTPS://SA.blob.core.windows.net/vhds/vm1-os.vhd")
	must(t, err)
	must(t, b.ReadAt(ctx, b2, 8192))
	if string(b1) != string(b2) || string(b1) == string(make([]byte, 4096)) {
		t.Error("generated content is not deterministic or is all zeros")
	}
	if _, err := s.OpenVHD(ctx, "https://sa.blob.core.windows.net/vhds/none.vhd"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("OpenVHD of an unknown URI: %v", err)
	}

	managed := cloud.VM{ResourceGroup: rg, Name: "vm1", Location: vm.Location, Size: vm.Size, AvailabilitySet: "as", NICs: vm.NICs, OSType: "Linux",
		OSDisk: cloud.VMDisk{Name: "vm1-os", ManagedDisk: "vm1-os"}, DataDisks: []cloud.VMDisk{{Name: "vm1-data", LUN: 3, ManagedDisk: "vm1-data"}}}
	var oe *cloud.OperationError
	must(t, s.DeallocateVM(ctx, rg, "vm1"))
	must(t, s.DeleteVM(ctx, rg, "vm1"))
	must(t, s.DeleteVM(ctx, rg, "vm1")) // idempotent
	if err := s.CreateVM(ctx, managed); !errors.As(err, &oe) {
		t.Errorf("CreateVM on missing disks: %v, want *cloud.OperationError", err)
	}
	must(t, s.CreateDisk(ctx, cloud.ManagedDisk{ResourceGroup: rg, Name: "vm1-os", AccountType: "Standard_LRS", CreateOption: cloud.CreateImport, SourceURI: vm.OSDisk.VHDURI}))
	must(t, s.CreateDisk(ctx, cloud.ManagedDisk{ResourceGroup: rg, Name: "vm1-os", AccountType: "Standard_LRS", CreateOption: cloud.CreateImport, SourceURI: vm.OSDisk.VHDURI}))
	must(t, s.CreateDisk(ctx, cloud.ManagedDisk{ResourceGroup: rg, Name: "vm1-data", AccountType: "Standard_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 2 << 30}))
	if err := s.CreateVM(ctx, managed); !errors.As(err, &oe) {
		t.Errorf("CreateVM on a disk waiting for its upload: %v", err)
	}
	sink, err := s.OpenUpload(ctx, rg, "vm1-data", 2<<30, false)
	must(t, err)
	data, err := s.OpenVHD(ctx, vm.DataDisks[0].VHDURI)
	must(t, err)
	want, err := disks.Copy(ctx, data, sink, disks.CopyOptions{})
	must(t, err)
	must(t, sink.Close())
	must(t, s.EndUpload(ctx, rg, "vm1-data"))
	must(t, s.EndUpload(ctx, rg, "vm1-data"))
	if _, err := s.OpenUpload(ctx, rg, "vm1-data", 2<<30, true); !errors.As(err, &oe) {
		t.Errorf("OpenUpload after the upload ended: %v", err)
	}
	back, err := s.OpenManaged(ctx, rg, "vm1-data")
	must(t, err)
	got, err := disks.Copy(ctx, back, nopSink{}, disks.CopyOptions{})
	must(t, err)
	if back.Size() != 2<<30 || got.ContentSHA256 != want.ContentSHA256 {
		t.Errorf("managed disk reads back %d bytes hashing %x, uploaded %x", back.Size(), got.ContentSHA256, want.ContentSHA256)
	}
	// Azure refuses a VM on managed disks into the Classic set the
	// migration made; aligned first, it takes it.
	if err := s.CreateVM(ctx, managed); !errors.As(err, &oe) || oe.Code != "OperationNotAllowed" {
		t.Errorf("CreateVM on managed disks into a Classic availability set: %v", err)
	}
	must(t, s.AlignAvailabilitySet(ctx, rg, "as", 2))
	must(t, s.CreateVM(ctx, managed))
	must(t, s.CreateVM(ctx, managed)) // idempotent
	other := managed
	other.Name = "vm2"
	if err := s.CreateVM(ctx, other); !errors.As(err, &oe) {
		t.Errorf("CreateVM on disks attached elsewhere: %v", err)
	}
	if err := s.DeleteDisk(ctx, rg, "vm1-os"); !errors.As(err, &oe) {
		t.Errorf("DeleteDisk of an attached disk: %v", err)
	}
	vm, err = s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if !vm.Managed() || vm.PowerState != cloud.PowerRunning {
		t.Errorf("recreated VM: %+v", vm)
	}
	hist, err := s.History(ctx)
	must(t, err)
	var ops []string
	for _, op := range hist {
		if op.Op != sim.OpPrepare && op.Op != sim.OpCommit {
			ops = append(ops, op.Op+" "+op.Unit+" "+string(op.StateBefore)+" "+op.Result)
		}
	}
	if len(ops) == 0 || ops[0] != "DeallocateVM vm/cs-Migrated/vm1 deallocated Succeeded" || ops[2] != "DeleteVM vm/cs-Migrated/vm1 None Succeeded" {
		t.Errorf("history:\n%v", ops)
	}
}

// StartVM starts a deallocated VM on its VHDs, succeeds on a running one,
// and records both in the history with the power state they found.
func TestStartVM(t *testing.T) {
	ctx := context.Background()
	s, rg := computeSim(t)
	must(t, s.StartVM(ctx, rg, "vm1"))
	vm, err := s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if vm.PowerState != cloud.PowerRunning || vm.Managed() || vm.OSDisk.VHDURI == "" {
		t.Errorf("started VM: %+v", vm)
	}
	must(t, s.StartVM(ctx, rg, "vm1")) // idempotent
	if err := s.StartVM(ctx, rg, "nope"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("StartVM of a missing VM: %v, want cloud.ErrNotFound", err)
	}
	hist, err := s.History(ctx)
	must(t, err)
	var ops []string
	for _, op := range hist {
		if op.Op == sim.OpStartVM {
			ops = append(ops, op.Unit+" "+string(op.StateBefore)+" "+op.Result)
		}
	}
	want := []string{"vm/cs-Migrated/vm1 deallocated Succeeded", "vm/cs-Migrated/vm1 running Succeeded", "vm/cs-Migrated/nope None Failed"}
	if len(ops) != len(want) {
		t.Fatalf("StartVM history %q, want %q", ops, want)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Errorf("StartVM history %q, want %q", ops, want)
			break
		}
	}
}

type nopSink struct{}

func (nopSink) WriteChunk(context.Context, *disks.Chunk) error { return nil }
func (nopSink) Finish(context.Context, disks.Summary) error    { return nil }
func (nopSink) Close() error                                   { return nil }

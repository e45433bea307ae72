package sim_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// stepEstate is a cloud service with two running VMs in one availability
// set (in West US 2, whose managed disks have 2 fault domains) and a VM
// in none, their disks in one storage account.
func stepEstate(cloudName string) *inventory.Inventory {
	return &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion, SubscriptionID: "00000000-0000-4000-8000-000000000002", DefaultLocation: "West US 2",
		Target: inventory.Target{Cloud: cloudName, ResourceGroupSuffix: "-Migrated"},
		StorageAccounts: []inventory.StorageAccount{{Name: "sa", AccountType: "Standard_LRS", Disks: []inventory.Disk{
			{Name: "vm1-os", VHDURI: "https://sa.blob.core.windows.net/vhds/vm1-os.vhd", SizeGiB: 30, OS: "Linux"},
			{Name: "vm1-data", VHDURI: "https://sa.blob.core.windows.net/vhds/vm1-data.vhd", SizeGiB: 1},
			{Name: "vm2-os", VHDURI: "https://sa.blob.core.windows.net/vhds/vm2-os.vhd", SizeGiB: 30, OS: "Linux"},
			{Name: "vm3-os", VHDURI: "https://sa.blob.core.windows.net/vhds/vm3-os.vhd", SizeGiB: 30, OS: "Windows"},
		}}},
		CloudServices: []inventory.CloudService{{Name: "cs", Deployment: inventory.Deployment{Name: "d", Roles: []inventory.Role{
			{Name: "vm1", Kind: inventory.RoleVirtualMachine, Size: "Standard_DS2", State: "Running", AvailabilitySet: "as",
				OSDisk: "vm1-os", DataDisks: []inventory.DataDisk{{Disk: "vm1-data", LUN: 2}},
				Extensions:      []inventory.Extension{{Publisher: "Microsoft.OSTCExtensions", Name: "VMAccessForLinux", Version: "1.5"}},
				BootDiagnostics: &inventory.BootDiagnostics{Enabled: true, StorageAccount: "sa"}},
			{Name: "vm2", Kind: inventory.RoleVirtualMachine, Size: "Standard_DS2", State: "Running", AvailabilitySet: "as", OSDisk: "vm2-os"},
		}}}, {Name: "solo", Deployment: inventory.Deployment{Name: "d2", Roles: []inventory.Role{
			{Name: "vm3", Kind: inventory.RoleVirtualMachine, Size: "Standard_A1", State: "Running", OSDisk: "vm3-os"},
		}}}},
	}
}

// committed opens an Azure cloud of stepEstate and commits the named
// units.
func committed(t *testing.T, dir string, o sim.Options, units ...string) *sim.Sim {
	t.Helper()
	s := open(t, dir, stepEstate(inventory.CloudAzurePublic), o)
	ctx := context.Background()
	for _, u := range units {
		kind, name, _ := cut(u)
		tg := cloud.Target{Unit: u, Kind: kind, Name: name}
		must(t, s.Prepare(ctx, tg))
		must(t, s.Commit(ctx, tg))
	}
	return s
}

func opCode(err error) string {
	var oe *cloud.OperationError
	if errors.As(err, &oe) {
		return oe.Code
	}
	return ""
}

func TestProfiles(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cloud string
		hub   bool
	}{
		{inventory.CloudAzurePublic, false},
		{inventory.CloudAzureUSGovernment, false},
		{"", false}, // an inventory before defaults: AzurePublic
		{inventory.CloudAzureStackHub, true},
	} {
		t.Run(tc.cloud, func(t *testing.T) {
			dir := t.TempDir()
			s, err := sim.Open(dir, stepEstate(tc.cloud), sim.Options{})
			must(t, err)
			want := tc.cloud
			if want == "" {
				want = inventory.CloudAzurePublic
			}
			if s.Profile() != want || (s.Platform() == nil) != tc.hub {
				t.Errorf("profile %q platform %v, want %q hub %v", s.Profile(), s.Platform(), want, tc.hub)
			}
			must(t, s.Close())
			// The cloud keeps its profile whatever a later Open passes.
			for _, inv := range []*inventory.Inventory{nil, stepEstate(inventory.CloudAzureStackHub), stepEstate(inventory.CloudAzurePublic)} {
				r := open(t, dir, inv, sim.Options{})
				if r.Profile() != want {
					t.Errorf("reopened: profile %q, want %q", r.Profile(), want)
				}
				must(t, r.Close())
			}
			ro, err := sim.OpenReadOnly(ctx, dir, sim.Options{})
			must(t, err)
			if ro.Profile() != want {
				t.Errorf("read-only: profile %q, want %q", ro.Profile(), want)
			}
			must(t, ro.Close())
		})
	}
}

// Azure Stack Hub has no classic side: every Migrator call is refused;
// its VMs are Resource Manager VMs from the start.
func TestHubProfile(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), stepEstate(inventory.CloudAzureStackHub), sim.Options{})
	tg := cloud.Target{Unit: "cloudservice/cs", Kind: "cloudservice", Name: "cs"}
	for name, call := range map[string]func() error{
		"validate": func() error { _, err := s.Validate(ctx, tg); return err },
		"prepare":  func() error { return s.Prepare(ctx, tg) },
		"commit":   func() error { return s.Commit(ctx, tg) },
		"abort":    func() error { return s.Abort(ctx, tg) },
		"state":    func() error { _, err := s.State(ctx, tg); return err },
		"begin":    func() error { _, err := s.Begin(ctx, sim.OpPrepare, tg); return err },
	} {
		err := call()
		var oe *cloud.OperationError
		if !errors.As(err, &oe) || !strings.Contains(oe.Message, "Azure Stack Hub has no classic deployment model") {
			t.Errorf("%s on Azure Stack Hub: %v", name, err)
		}
	}
	inv, err := s.Classic(ctx)
	must(t, err)
	if inv.SubscriptionID != "00000000-0000-4000-8000-000000000002" || len(inv.CloudServices)+len(inv.StorageAccounts) != 0 {
		t.Errorf("classic estate of Azure Stack Hub: %+v", inv)
	}
	vms, err := s.ListVMs(ctx)
	must(t, err)
	if len(vms) != 3 {
		t.Fatalf("Hub VMs: %+v", vms)
	}
	vm := vms[0]
	if vm.ResourceGroup != "cs" || vm.Name != "vm1" || vm.PowerState != cloud.PowerRunning || vm.Managed() ||
		vm.AvailabilitySet != "as" || vm.NICs[0] != "vm1-PrimaryNic" || vm.Tags["deployment"] != "d" ||
		len(vm.Extensions) != 1 || vm.OSDisk.Caching != "ReadWrite" || vm.DataDisks[0].Caching != "None" {
		t.Errorf("Hub VM: %+v", vm)
	}
	as, err := s.GetAvailabilitySet(ctx, "cs", "as")
	must(t, err)
	if as.SKU != cloud.AvailabilitySetClassic || as.FaultDomains != 2 || as.UpdateDomains != 5 || !slices.Equal(as.VMs, []string{"vm1", "vm2"}) {
		t.Errorf("Hub availability set: %+v", as)
	}
	if err := s.ConvertToManagedDisks(ctx, "cs", "vm1"); opCode(err) != "NotSupported" {
		t.Errorf("ConvertToManagedDisks on Azure Stack Hub: %v", err)
	}
	// Hub's storage accounts are Resource Manager ones: Import needs no
	// migration.
	must(t, s.CreateDisk(ctx, cloud.ManagedDisk{ResourceGroup: "cs", Name: "d1", AccountType: "Standard_LRS",
		CreateOption: cloud.CreateImport, SourceURI: vm.DataDisks[0].VHDURI}))
}

func TestAvailabilitySets(t *testing.T) {
	ctx := context.Background()
	s := committed(t, t.TempDir(), sim.Options{}, "cloudservice/cs", "cloudservice/solo", "storage/sa")
	rg := "cs-Migrated"
	as, err := s.GetAvailabilitySet(ctx, rg, "AS")
	must(t, err)
	if as.SKU != cloud.AvailabilitySetClassic || as.FaultDomains != 2 || as.UpdateDomains != 5 ||
		as.MaxAlignedFaultDomains != 2 || as.Location != "West US 2" || !slices.Equal(as.VMs, []string{"vm1", "vm2"}) {
		t.Errorf("migrated availability set: %+v", as)
	}
	if _, err := s.GetAvailabilitySet(ctx, rg, "nope"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("missing set: %v", err)
	}
	err = s.AlignAvailabilitySet(ctx, rg, "as", 3)
	var oe *cloud.OperationError
	if !errors.As(err, &oe) || oe.Message != "The specified fault domain count 3 must fall in the range 1 to 2." {
		t.Errorf("aligning with 3 fault domains in West US 2: %v", err)
	}
	must(t, s.AlignAvailabilitySet(ctx, rg, "as", 2))
	must(t, s.AlignAvailabilitySet(ctx, rg, "as", 2))
	if err := s.AlignAvailabilitySet(ctx, rg, "nope", 2); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("aligning a missing set: %v", err)
	}
	as, err = s.GetAvailabilitySet(ctx, rg, "as")
	must(t, err)
	if as.SKU != cloud.AvailabilitySetAligned || as.FaultDomains != 2 {
		t.Errorf("aligned set: %+v", as)
	}
	var got []string
	for _, op := range historyOps(t, s, sim.OpAlignAvailabilitySet) {
		got = append(got, op.Unit+" "+string(op.StateBefore)+" "+op.Result)
	}
	want := []string{"availabilityset/cs-Migrated/as Classic Failed", "availabilityset/cs-Migrated/as Classic Succeeded",
		"availabilityset/cs-Migrated/as Aligned Succeeded", "availabilityset/cs-Migrated/nope None Failed"}
	if !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}
}

func historyOps(t *testing.T, s *sim.Sim, op string) []sim.Operation {
	t.Helper()
	ops, err := s.History(context.Background())
	must(t, err)
	var out []sim.Operation
	for _, o := range ops {
		if o.Op == op {
			out = append(out, o)
		}
	}
	return out
}

// CreateVM refuses disks that do not fit the availability set's SKU, as
// Azure does, and keeps what it is given.
func TestCreateVMAvailabilitySetAndCarriedProperties(t *testing.T) {
	ctx := context.Background()
	s := committed(t, t.TempDir(), sim.Options{}, "cloudservice/cs", "cloudservice/solo", "storage/sa")
	rg := "cs-Migrated"
	orig, err := s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if len(orig.Extensions) != 1 || orig.Extensions[0].ProvisioningState != cloud.ExtensionSucceeded ||
		orig.Extensions[0].Type != "VMAccessForLinux" || orig.BootDiagnostics != "https://sa.blob.core.windows.net/" ||
		orig.OSDisk.Caching != "ReadWrite" || orig.DataDisks[0].Caching != "None" || orig.Tags != nil {
		t.Errorf("committed VM: %+v", orig)
	}
	must(t, s.DeallocateVM(ctx, rg, "vm1"))
	must(t, s.DeleteVM(ctx, rg, "vm1"))
	must(t, s.CreateDisk(ctx, cloud.ManagedDisk{ResourceGroup: rg, Name: "m-os", AccountType: "Premium_LRS", CreateOption: cloud.CreateImport, SourceURI: orig.OSDisk.VHDURI}))
	must(t, s.CreateDisk(ctx, cloud.ManagedDisk{ResourceGroup: rg, Name: "m-data", AccountType: "Premium_LRS", CreateOption: cloud.CreateImport, SourceURI: orig.DataDisks[0].VHDURI}))
	managed := orig
	managed.OSDisk.ManagedDisk, managed.DataDisks = "m-os", []cloud.VMDisk{orig.DataDisks[0]}
	managed.DataDisks[0].ManagedDisk = "m-data"
	managed.Tags = map[string]string{"env": "prod"}
	managed.LicenseType = "Windows_Server"
	managed.DataDisks[0].WriteAccelerator = true
	managed.DataDisks[0].Caching = "ReadOnly"
	mixed := managed
	mixed.DataDisks = []cloud.VMDisk{orig.DataDisks[0]}

	for _, tc := range []struct {
		name string
		vm   cloud.VM
		code string
	}{
		{"managed disks into a Classic set", managed, "OperationNotAllowed"},
		{"managed and blob disks mixed", mixed, "OperationNotAllowed"},
		{"a set that does not exist", func() cloud.VM { v := orig; v.AvailabilitySet = "nope"; return v }(), "NotFound"},
		{"a VHD the cloud does not hold", func() cloud.VM {
			v := orig
			v.DataDisks = []cloud.VMDisk{{Name: "x", LUN: 1, VHDURI: "https://sa.blob.core.windows.net/vhds/x.vhd"}}
			return v
		}(), "NotFound"},
		{"a VHD another VM uses", func() cloud.VM {
			v := orig
			v.DataDisks = []cloud.VMDisk{{Name: "vm2-os", LUN: 1, VHDURI: "https://sa.blob.core.windows.net/vhds/vm2-os.vhd"}}
			return v
		}(), "Conflict"},
	} {
		if err := s.CreateVM(ctx, tc.vm); opCode(err) != tc.code {
			t.Errorf("CreateVM with %s: %v, want code %s", tc.name, err, tc.code)
		}
	}
	// Back on its VHDs into the Classic set: the way back.
	must(t, s.CreateVM(ctx, orig))
	must(t, s.CreateVM(ctx, orig))
	back, err := s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if back.Managed() || back.PowerState != cloud.PowerRunning || back.OSDisk.VHDURI != orig.OSDisk.VHDURI || len(back.Extensions) != 1 {
		t.Errorf("VM back on its VHDs: %+v", back)
	}
	// Once the set is Aligned, blob disks are refused and managed ones
	// taken, keeping everything given.
	must(t, s.DeallocateVM(ctx, rg, "vm1"))
	must(t, s.DeleteVM(ctx, rg, "vm1"))
	must(t, s.AlignAvailabilitySet(ctx, rg, "as", 2))
	if err := s.CreateVM(ctx, orig); opCode(err) != "OperationNotAllowed" {
		t.Errorf("CreateVM on VHDs into an Aligned set: %v", err)
	}
	must(t, s.CreateVM(ctx, managed))
	got, err := s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if !got.Managed() || got.Tags["env"] != "prod" || got.LicenseType != "Windows_Server" || got.BootDiagnostics != orig.BootDiagnostics ||
		!got.DataDisks[0].WriteAccelerator || got.DataDisks[0].Caching != "ReadOnly" || got.OSDisk.Caching != "ReadWrite" ||
		len(got.Extensions) != 1 || got.Extensions[0].Name != "VMAccessForLinux" {
		t.Errorf("recreated VM lost what it was given: %+v", got)
	}
}

func TestConvertToManagedDisks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := committed(t, dir, sim.Options{}, "cloudservice/cs", "cloudservice/solo")
	rg := "cs-Migrated"
	convert := func() error { return s.ConvertToManagedDisks(ctx, rg, "vm1") }

	// Refused, in the order an operator meets them, nothing changed.
	if err := convert(); opCode(err) != "OperationNotAllowed" {
		t.Errorf("converting a running VM: %v", err)
	}
	must(t, s.DeallocateVM(ctx, rg, "vm1"))
	if err := convert(); opCode(err) != "OperationNotAllowed" {
		t.Errorf("converting a VM in a Classic set: %v", err)
	}
	must(t, s.AlignAvailabilitySet(ctx, rg, "as", 2))
	if err := os.WriteFile(filepath.Join(dir, "sim", "failed-extensions"), []byte("VM1/vmaccessforlinux\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vm, err := s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if vm.Extensions[0].ProvisioningState != "Failed" {
		t.Errorf("hooked extension: %+v", vm.Extensions)
	}
	if err := convert(); opCode(err) != "Conflict" {
		t.Errorf("converting a VM with a failed extension: %v", err)
	}
	must(t, os.Remove(filepath.Join(dir, "sim", "failed-extensions")))
	if err := convert(); opCode(err) != "StorageAccountNotMigrated" {
		t.Errorf("converting a VM whose storage account is classic: %v", err)
	}
	if err := s.ConvertToManagedDisks(ctx, rg, "nope"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("converting a missing VM: %v", err)
	}
	vm, err = s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if vm.Managed() || vm.PowerState != cloud.PowerDeallocated {
		t.Fatalf("a refused conversion changed the VM: %+v", vm)
	}

	tg := cloud.Target{Unit: "storage/sa", Kind: "storage", Name: "sa"}
	must(t, s.Prepare(ctx, tg))
	must(t, s.Commit(ctx, tg))
	must(t, convert())
	must(t, convert()) // a converted VM: nothing to do
	got, err := s.GetVM(ctx, rg, "vm1")
	must(t, err)
	if !got.Managed() || got.PowerState != cloud.PowerRunning || len(got.Extensions) != 1 || got.BootDiagnostics == "" ||
		got.DataDisks[0].LUN != 2 || got.OSDisk.Caching != "ReadWrite" || !strings.HasPrefix(got.OSDisk.ManagedDisk, "vm1-os_") {
		t.Fatalf("converted VM: %+v", got)
	}
	md, err := s.GetDisk(ctx, rg, got.DataDisks[0].ManagedDisk)
	must(t, err)
	if md.State != cloud.DiskAttached || md.AccountType != "Standard_LRS" || md.SizeBytes != 1<<30 {
		t.Errorf("converted disk: %+v", md)
	}
	src, err := s.OpenVHD(ctx, vm.DataDisks[0].VHDURI)
	must(t, err)
	want, err := disks.Copy(ctx, src, nopSink{}, disks.CopyOptions{})
	must(t, err)
	back, err := s.OpenManaged(ctx, rg, got.DataDisks[0].ManagedDisk)
	must(t, err)
	have, err := disks.Copy(ctx, back, nopSink{}, disks.CopyOptions{})
	must(t, err)
	must(t, back.Close())
	if have.ContentSHA256 != want.ContentSHA256 {
		t.Errorf("converted disk holds other bytes than its VHD")
	}
	var results []string
	for _, op := range historyOps(t, s, sim.OpConvertToManagedDisks) {
		results = append(results, string(op.StateBefore)+" "+op.Result)
	}
	wantOps := []string{"running Failed", "deallocated Failed", "deallocated Failed", "deallocated Failed", "None Failed", "deallocated Succeeded", "running Succeeded"}
	if !slices.Equal(results, wantOps) {
		t.Errorf("history %q, want %q", results, wantOps)
	}
}

// Managed disks the platform refuses, by profile.
func TestCreateDiskRefusals(t *testing.T) {
	ctx := context.Background()
	vhd := "https://sa.blob.core.windows.net/vhds/vm1-data.vhd"
	for _, tc := range []struct {
		name  string
		cloud string
		api   string
		disk  cloud.ManagedDisk
		code  string // "" accepted
	}{
		{"Import from a classic storage account", inventory.CloudAzurePublic, "", cloud.ManagedDisk{AccountType: "Standard_LRS", CreateOption: cloud.CreateImport, SourceURI: vhd}, "StorageAccountNotMigrated"},
		{"StandardSSD_LRS on Azure", inventory.CloudAzurePublic, "", cloud.ManagedDisk{AccountType: "StandardSSD_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30}, ""},
		{"StandardSSD_LRS on Azure Stack Hub", inventory.CloudAzureStackHub, "2019-07-01", cloud.ManagedDisk{AccountType: "StandardSSD_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30}, "InvalidParameter"},
		{"1,023 GiB on Azure Stack Hub", inventory.CloudAzureStackHub, "2019-07-01", cloud.ManagedDisk{AccountType: "Standard_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 1023 << 30}, ""},
		{"1,024 GiB on Azure Stack Hub", inventory.CloudAzureStackHub, "2019-07-01", cloud.ManagedDisk{AccountType: "Standard_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 1024 << 30}, "InvalidParameter"},
		{"2 TiB on Azure", inventory.CloudAzurePublic, "", cloud.ManagedDisk{AccountType: "Standard_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 2048 << 30}, ""},
		{"Upload at Hub's default disk API", inventory.CloudAzureStackHub, "", cloud.ManagedDisk{AccountType: "Standard_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30}, "InvalidParameter"},
		{"Upload at disk API 2017-03-30", inventory.CloudAzureStackHub, "2017-03-30", cloud.ManagedDisk{AccountType: "Standard_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30}, "InvalidParameter"},
		{"Upload at disk API 2019-03-01", inventory.CloudAzureStackHub, "2019-03-01", cloud.ManagedDisk{AccountType: "Premium_LRS", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30}, ""},
		{"Import on Hub's default disk API", inventory.CloudAzureStackHub, "", cloud.ManagedDisk{AccountType: "Standard_LRS", CreateOption: cloud.CreateImport, SourceURI: vhd}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, t.TempDir(), stepEstate(tc.cloud), sim.Options{DiskAPIVersion: tc.api})
			d := tc.disk
			d.ResourceGroup, d.Name = "cs", "d1"
			err := s.CreateDisk(ctx, d)
			if opCode(err) != tc.code || (tc.code == "" && err != nil) {
				t.Errorf("CreateDisk: %v, want code %q", err, tc.code)
			}
		})
	}
}

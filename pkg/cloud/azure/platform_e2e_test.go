package azure_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
)

// fakePlatform is a cloud.PlatformConversion for tests, over the
// simulator's Compute (the simulator's own is built apart): availability
// sets derived from the VMs that name them, Classic until aligned, and a
// conversion that imports each VHD into a managed disk and recreates the
// VM on them, started. It checks nothing the emulator checks in front of
// it, so the refusals the tests see are the emulator's.
type fakePlatform struct {
	*sim.Sim
	maxAligned int

	mu   sync.Mutex
	sets map[string]*cloud.AvailabilitySet
	// failed names, per VM, an extension reported in state Failed.
	failed map[string]string
}

// GetVM is the simulator's VM with its failed extension, if any.
func (f *fakePlatform) GetVM(ctx context.Context, rg, name string) (cloud.VM, error) {
	vm, err := f.Sim.GetVM(ctx, rg, name)
	f.mu.Lock()
	x := f.failed[name]
	f.mu.Unlock()
	if err == nil && x != "" {
		vm.Extensions = append(vm.Extensions, cloud.Extension{Name: x, Publisher: "Microsoft.Compute", Type: "CustomScriptExtension",
			TypeHandlerVersion: "1.10", ProvisioningState: "Failed"})
	}
	return vm, err
}

func newFakePlatform(s *sim.Sim) *fakePlatform {
	return &fakePlatform{Sim: s, maxAligned: 2, sets: map[string]*cloud.AvailabilitySet{}, failed: map[string]string{}}
}

func (f *fakePlatform) GetAvailabilitySet(ctx context.Context, rg, name string) (cloud.AvailabilitySet, error) {
	vms, err := f.ListVMs(ctx)
	if err != nil {
		return cloud.AvailabilitySet{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := strings.ToLower(rg + "/" + name)
	set, ok := f.sets[k]
	if !ok {
		set = &cloud.AvailabilitySet{ResourceGroup: rg, Name: name, SKU: cloud.AvailabilitySetClassic, FaultDomains: 3, UpdateDomains: 5, MaxAlignedFaultDomains: f.maxAligned}
	}
	set.VMs = nil
	for _, vm := range vms {
		if strings.EqualFold(vm.ResourceGroup, rg) && strings.EqualFold(vm.AvailabilitySet, name) {
			set.VMs = append(set.VMs, vm.Name)
			set.Location = vm.Location
		}
	}
	if len(set.VMs) == 0 && !ok {
		return cloud.AvailabilitySet{}, fmt.Errorf("availability set %s: %w", k, cloud.ErrNotFound)
	}
	f.sets[k] = set
	return *set, nil
}

func (f *fakePlatform) AlignAvailabilitySet(ctx context.Context, rg, name string, faultDomains int) error {
	if _, err := f.GetAvailabilitySet(ctx, rg, name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	set := f.sets[strings.ToLower(rg+"/"+name)]
	set.SKU, set.FaultDomains = cloud.AvailabilitySetAligned, faultDomains
	return nil
}

func (f *fakePlatform) ConvertToManagedDisks(ctx context.Context, rg, name string) error {
	vm, err := f.GetVM(ctx, rg, name)
	if err != nil {
		return err
	}
	conv := vm
	conv.DataDisks = nil
	for i, d := range append([]cloud.VMDisk{vm.OSDisk}, vm.DataDisks...) {
		md := cloud.ManagedDisk{ResourceGroup: rg, Name: fmt.Sprintf("%s-disk%d", name, i), Location: vm.Location, AccountType: "Standard_LRS",
			CreateOption: cloud.CreateImport, SourceURI: d.VHDURI}
		if i == 0 {
			md.OSType = vm.OSType
		}
		if err := f.CreateDisk(ctx, md); err != nil {
			return err
		}
		nd := d
		nd.VHDURI, nd.ManagedDisk = "", md.Name
		if i == 0 {
			conv.OSDisk = nd
		} else {
			conv.DataDisks = append(conv.DataDisks, nd)
		}
	}
	if err := f.DeleteVM(ctx, rg, name); err != nil {
		return err
	}
	return f.CreateVM(ctx, conv)
}

// TestPlatformConversion: a VM is refused conversion while running and
// while its set is Classic, in Azure's words; the set is aligned with the
// region's fault domain limit (too many is refused); then the VM converts
// and runs on managed disks; converting again succeeds.
func TestPlatformConversion(t *testing.T) {
	e := diskEnv(t, setup{platform: true})
	ctx := t.Context()
	d := e.driver
	if d.Platform() == nil {
		t.Fatal("Platform() is nil on an Azure cloud")
	}
	var vms []cloud.VM
	must(t, "list vms", func() (err error) { vms, err = d.ListVMs(ctx); return err })
	var vm cloud.VM
	for _, v := range vms {
		if v.AvailabilitySet != "" {
			vm = v
		}
	}
	if vm.Name == "" {
		t.Fatal("the suite's estate has no VM in an availability set")
	}
	rg := vm.ResourceGroup
	var set cloud.AvailabilitySet
	must(t, "get set", func() (err error) { set, err = d.GetAvailabilitySet(ctx, rg, vm.AvailabilitySet); return err })
	if set.SKU != cloud.AvailabilitySetClassic || set.MaxAlignedFaultDomains != 2 || set.FaultDomains != 3 || len(set.VMs) == 0 {
		t.Fatalf("GetAvailabilitySet = %+v, want Classic with 3 fault domains and the region's Aligned limit 2", set)
	}

	refused := func(what string, err error, says string) {
		t.Helper()
		var oe *cloud.OperationError
		if !errors.As(err, &oe) || !strings.Contains(oe.Message, says) {
			t.Errorf("%s = %v, want *cloud.OperationError saying %q", what, err, says)
		}
	}
	refused("convert running", d.ConvertToManagedDisks(ctx, rg, vm.Name), "since the VM is not deallocated")
	must(t, "deallocate", func() error { return d.DeallocateVM(ctx, rg, vm.Name) })
	refused("convert in a Classic set", d.ConvertToManagedDisks(ctx, rg, vm.Name), "belongs to 'Classic' availability set")
	refused("align with 3 fault domains", d.AlignAvailabilitySet(ctx, rg, vm.AvailabilitySet, 3), "must fall in the range 1 to 2")
	must(t, "align", func() error { return d.AlignAvailabilitySet(ctx, rg, vm.AvailabilitySet, set.MaxAlignedFaultDomains) })
	fake := e.srvPlatform.(*fakePlatform)
	fake.mu.Lock()
	fake.failed[vm.Name] = "bootstrap"
	fake.mu.Unlock()
	refused("convert with a failed extension", d.ConvertToManagedDisks(ctx, rg, vm.Name), "since VM has extension 'bootstrap' in failed state")
	fake.mu.Lock()
	delete(fake.failed, vm.Name)
	fake.mu.Unlock()
	must(t, "align again", func() error { return d.AlignAvailabilitySet(ctx, rg, vm.AvailabilitySet, set.MaxAlignedFaultDomains) })
	must(t, "get set", func() (err error) { set, err = d.GetAvailabilitySet(ctx, rg, vm.AvailabilitySet); return err })
	if set.SKU != cloud.AvailabilitySetAligned || set.FaultDomains != 2 {
		t.Errorf("aligned set = %+v", set)
	}
	must(t, "convert", func() error { return d.ConvertToManagedDisks(ctx, rg, vm.Name) })
	must(t, "convert again", func() error { return d.ConvertToManagedDisks(ctx, rg, vm.Name) })
	var got cloud.VM
	must(t, "get vm", func() (err error) { got, err = d.GetVM(ctx, rg, vm.Name); return err })
	if !got.Managed() || got.PowerState != cloud.PowerRunning || len(got.DataDisks) != len(vm.DataDisks) {
		t.Errorf("converted VM %+v", got)
	}
}

// TestManagedVMRefusedInClassicSet: a managed-disk VM PUT into a Classic
// availability set is refused with Azure's message.
func TestManagedVMRefusedInClassicSet(t *testing.T) {
	e := diskEnv(t, setup{platform: true})
	ctx := t.Context()
	d := e.driver
	vms, err := e.sim.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var vm cloud.VM
	for _, v := range vms {
		if v.AvailabilitySet != "" {
			vm = v
		}
	}
	vm.Name = "newcomer"
	vm.NICs = nil
	vm.OSDisk = cloud.VMDisk{Name: "os", ManagedDisk: "newcomer-os"}
	vm.DataDisks = nil
	err = d.CreateVM(ctx, vm)
	var oe *cloud.OperationError
	if !errors.As(err, &oe) || oe.Code != "BadRequest" || !strings.Contains(oe.Message, "Addition of a VM with managed disks to non-managed Availability Set") {
		t.Errorf("CreateVM of a managed VM in a Classic set = %v, want Azure's BadRequest", err)
	}
}

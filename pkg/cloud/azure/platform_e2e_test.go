package azure_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

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
		if v.AvailabilitySet != "" && len(v.Extensions) > 0 {
			vm = v
		}
	}
	if vm.Name == "" {
		t.Fatal("the suite's estate has no VM with an extension in an availability set")
	}
	rg := vm.ResourceGroup
	var set cloud.AvailabilitySet
	must(t, "get set", func() (err error) { set, err = d.GetAvailabilitySet(ctx, rg, vm.AvailabilitySet); return err })
	if set.SKU != cloud.AvailabilitySetClassic || set.MaxAlignedFaultDomains < 2 || set.FaultDomains != 2 || len(set.VMs) == 0 {
		t.Fatalf("GetAvailabilitySet = %+v, want Classic with the classic 2 fault domains and the region's Aligned limit", set)
	}
	tooMany := set.MaxAlignedFaultDomains + 1

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
	refused("align with too many fault domains", d.AlignAvailabilitySet(ctx, rg, vm.AvailabilitySet, tooMany),
		fmt.Sprintf("must fall in the range 1 to %d", set.MaxAlignedFaultDomains))
	must(t, "align", func() error { return d.AlignAvailabilitySet(ctx, rg, vm.AvailabilitySet, set.MaxAlignedFaultDomains) })
	// The simulator's hook makes an extension report Failed.
	if len(vm.Extensions) == 0 {
		t.Fatalf("VM %s has no extension to fail", vm.Name)
	}
	hook := filepath.Join(e.simDir, "sim", "failed-extensions")
	ext := vm.Extensions[0].Name
	if err := os.WriteFile(hook, []byte(vm.Name+"/"+ext+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused("convert with a failed extension", d.ConvertToManagedDisks(ctx, rg, vm.Name), "since VM has extension '"+ext+"' in failed state")
	if err := os.Remove(hook); err != nil {
		t.Fatal(err)
	}
	must(t, "align again", func() error { return d.AlignAvailabilitySet(ctx, rg, vm.AvailabilitySet, set.MaxAlignedFaultDomains) })
	must(t, "get set", func() (err error) { set, err = d.GetAvailabilitySet(ctx, rg, vm.AvailabilitySet); return err })
	if set.SKU != cloud.AvailabilitySetAligned || set.FaultDomains != set.MaxAlignedFaultDomains {
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

package azure_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// TestCarriedProperties: a VM recreated on managed disks keeps what
// CreateVM is given (tags, license type, boot diagnostics, per-disk
// caching and write accelerator) and gets its extensions back with their
// public settings, provisioned; a repeated CreateVM adds nothing twice.
func TestCarriedProperties(t *testing.T) {
	e := diskEnv(t, setup{})
	ctx := t.Context()
	d := e.driver
	vms, err := e.sim.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vm := vms[0]
	for _, v := range vms {
		if len(v.DataDisks) > len(vm.DataDisks) {
			vm = v
		}
	}
	if len(vm.DataDisks) == 0 {
		t.Fatal("the suite's estate has no VM with a data disk")
	}
	rg := vm.ResourceGroup
	must(t, "deallocate", func() error { return d.DeallocateVM(ctx, rg, vm.Name) })
	want := vm
	want.PowerState = ""
	want.DataDisks = nil
	for i, src := range append([]cloud.VMDisk{vm.OSDisk}, vm.DataDisks...) {
		md := cloud.ManagedDisk{ResourceGroup: rg, Name: fmt.Sprintf("%s-c%d", vm.Name, i), Location: vm.Location, AccountType: "Premium_LRS",
			CreateOption: cloud.CreateImport, SourceURI: src.VHDURI, SizeBytes: src.SizeBytes}
		if i == 0 {
			md.OSType = vm.OSType
		}
		must(t, "import", func() error { return d.CreateDisk(ctx, md) })
		nd := cloud.VMDisk{Name: md.Name, LUN: src.LUN, ManagedDisk: md.Name, SizeBytes: src.SizeBytes, Caching: "ReadOnly"}
		if i == 0 {
			nd.Caching = "ReadWrite"
			want.OSDisk = nd
			continue
		}
		nd.WriteAccelerator = true
		want.DataDisks = append(want.DataDisks, nd)
	}
	want.Tags = map[string]string{"owner": "ops", "cost-center": "42"}
	want.LicenseType = "Windows_Server"
	want.BootDiagnostics = "https://" + "diag.blob.core.windows.net/"
	want.Extensions = []cloud.Extension{
		{Name: "monitor", Publisher: "Microsoft.Azure.Monitor", Type: "AzureMonitorWindowsAgent", TypeHandlerVersion: "1.0", AutoUpgradeMinorVersion: true},
		{Name: "script", Publisher: "Microsoft.Compute", Type: "CustomScriptExtension", TypeHandlerVersion: "1.10",
			Settings: json.RawMessage(`{"commandToExecute":"hostname"}`)},
	}
	must(t, "delete vm", func() error { return d.DeleteVM(ctx, rg, vm.Name) })
	must(t, "create vm", func() error { return d.CreateVM(ctx, want) })
	must(t, "create vm again", func() error { return d.CreateVM(ctx, want) })
	var got cloud.VM
	must(t, "get vm", func() (err error) { got, err = d.GetVM(ctx, rg, vm.Name); return err })
	if !reflect.DeepEqual(got.Tags, want.Tags) || got.LicenseType != want.LicenseType || got.BootDiagnostics != want.BootDiagnostics {
		t.Errorf("recreated VM tags %v, license %q, boot diagnostics %q; want %v, %q, %q",
			got.Tags, got.LicenseType, got.BootDiagnostics, want.Tags, want.LicenseType, want.BootDiagnostics)
	}
	if got.OSDisk.Caching != "ReadWrite" || got.OSDisk.WriteAccelerator {
		t.Errorf("OS disk %+v, want ReadWrite without write accelerator", got.OSDisk)
	}
	for _, dd := range got.DataDisks {
		if dd.Caching != "ReadOnly" || !dd.WriteAccelerator {
			t.Errorf("data disk %+v, want ReadOnly with write accelerator", dd)
		}
	}
	if len(got.Extensions) != len(want.Extensions) {
		t.Fatalf("recreated VM has extensions %+v, want %d", got.Extensions, len(want.Extensions))
	}
	for i, x := range got.Extensions {
		w := want.Extensions[i]
		if x.Name != w.Name || x.Publisher != w.Publisher || x.Type != w.Type || x.TypeHandlerVersion != w.TypeHandlerVersion ||
			x.AutoUpgradeMinorVersion != w.AutoUpgradeMinorVersion || x.ProvisioningState != cloud.ExtensionSucceeded {
			t.Errorf("extension %d = %+v, want %+v provisioned", i, x, w)
		}
		if len(w.Settings) > 0 && strings.ReplaceAll(string(x.Settings), " ", "") != string(w.Settings) {
			t.Errorf("extension %s settings %s, want %s", x.Name, x.Settings, w.Settings)
		}
	}
	puts := 0
	for _, l := range strings.Split(e.log.String(), "\n") {
		if strings.HasPrefix(l, "emulator: PUT ") && strings.Contains(l, "/extensions/") {
			puts++
		}
	}
	if puts != len(want.Extensions) {
		t.Errorf("%d extension PUTs, want %d (one each, none repeated)", puts, len(want.Extensions))
	}
	must(t, "deallocate", func() error { return d.DeallocateVM(ctx, rg, vm.Name) })
	more := want
	more.Extensions = append(more.Extensions, cloud.Extension{Name: "late", Publisher: "Microsoft.Compute", Type: "BGInfo", TypeHandlerVersion: "2.1"})
	var oe *cloud.OperationError
	if err := d.CreateVM(ctx, more); !errors.As(err, &oe) || !strings.Contains(oe.Message, "Cannot modify extensions in the VM when the VM is not running") {
		t.Errorf("adding an extension to a deallocated VM = %v, want Azure's refusal", err)
	}
	var listed []cloud.VM
	must(t, "list vms", func() (err error) { listed, err = d.ListVMs(ctx); return err })
	for _, l := range listed {
		if l.Name == vm.Name && len(l.Extensions) != len(want.Extensions) {
			t.Errorf("ListVMs shows extensions %+v", l.Extensions)
		}
	}
}

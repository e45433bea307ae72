package azure_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// memTokens is an in-memory TokenStore for tests; onPut runs after each
// Put.
type memTokens struct {
	mu    sync.Mutex
	m     map[string]string
	onPut func(key string)
}

func (s *memTokens) Get(k string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok
}

func (s *memTokens) Put(k, v string) error {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[k] = v
	hook := s.onPut
	s.mu.Unlock()
	if hook != nil {
		hook(k)
	}
	return nil
}

func (s *memTokens) Delete(k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

func (s *memTokens) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// discard is a sink that keeps nothing: Copy's summary is the hash.
type discard struct{}

func (discard) WriteChunk(context.Context, *disks.Chunk) error { return nil }
func (discard) Finish(context.Context, disks.Summary) error    { return nil }
func (discard) Close() error                                   { return nil }

// hashOf is the content hash of src, which it closes.
func hashOf(t *testing.T, src disks.Source) [32]byte {
	t.Helper()
	sum, err := disks.Copy(t.Context(), src, discard{}, disks.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		if _, ok := cloud.IsTransient(err); !ok {
			t.Fatalf("close: %v", err)
		}
	}
	return sum.ContentSHA256
}

// retry calls fn until it returns something other than a transient error.
func retry(t *testing.T, fn func() error) error {
	t.Helper()
	for {
		err := fn()
		after, ok := cloud.IsTransient(err)
		if !ok {
			return err
		}
		t.Logf("transient, retrying: %v", err)
		time.Sleep(after)
	}
}

func must(t *testing.T, what string, fn func() error) {
	t.Helper()
	if err := retry(t, fn); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// diskEnv serves the suite's estate committed, so its VMs are Resource
// Manager VMs on unmanaged disks in Resource Manager storage.
func diskEnv(t *testing.T, s setup) *env {
	t.Helper()
	az := azuritetest.Start(t)
	s.blobEndpoint = az.Endpoint
	e := newEnv(t, diskInventory(), s)
	// Every VM's unit, then the storage account holding their VHDs.
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitStorage} {
		tg := cloudtest.Target(u)
		must(t, "validate", func() error { _, err := e.driver.Validate(t.Context(), tg); return err })
		must(t, "prepare", func() error { return e.driver.Prepare(t.Context(), tg) })
		must(t, "commit", func() error { return e.driver.Commit(t.Context(), tg) })
	}
	return e
}

// diskInventory is the suite's estate with VM images, one generalized.
func diskInventory() *inventory.Inventory {
	inv := cloudtest.Inventory()
	inv.StorageAccounts[0].Images = []inventory.Image{
		{Name: "golden", VHDURI: "https://" + cloudtest.Storage + ".blob.core.windows.net/images/g.vhd", OS: "Linux", Generalized: true},
	}
	return inv
}

func normVM(v cloud.VM) cloud.VM {
	// Resource Manager answers the canonical location ("westus"); the
	// simulator keeps the inventory's display name ("West US").
	v.Location = armapi.Location(v.Location)
	if len(v.DataDisks) == 0 {
		v.DataDisks = nil
	}
	return v
}

// diskStep runs the disk step's calls on one VM through the driver and
// checks each against the simulator behind the emulator.
func diskStep(t *testing.T, e *env) {
	ctx := t.Context()
	d := e.driver
	var got []cloud.VM
	must(t, "list vms", func() (err error) { got, err = d.ListVMs(ctx); return err })
	want, err := e.sim.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("ListVMs: %d VMs, the sim has %d", len(got), len(want))
	}
	for i := range want {
		if fmt.Sprint(normVM(got[i])) != fmt.Sprint(normVM(want[i])) {
			t.Errorf("ListVMs[%d]\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	vm := want[0]
	for _, v := range want {
		if len(v.DataDisks) > len(vm.DataDisks) {
			vm = v
		}
	}
	rg := vm.ResourceGroup
	var one cloud.VM
	must(t, "get vm", func() (err error) { one, err = d.GetVM(ctx, rg, vm.Name); return err })
	if fmt.Sprint(normVM(one)) != fmt.Sprint(normVM(vm)) {
		t.Errorf("GetVM\n got %+v\nwant %+v", one, vm)
	}
	if _, err := d.GetVM(ctx, rg, "no-such-vm"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("GetVM of a missing VM = %v, want ErrNotFound", err)
	}
	must(t, "deallocate", func() error { return d.DeallocateVM(ctx, rg, vm.Name) })
	must(t, "get vm", func() (err error) { one, err = d.GetVM(ctx, rg, vm.Name); return err })
	if one.PowerState != cloud.PowerDeallocated {
		t.Errorf("after DeallocateVM the power state is %q", one.PowerState)
	}
	must(t, "start", func() error { return d.StartVM(ctx, rg, vm.Name) })
	must(t, "start again", func() error { return d.StartVM(ctx, rg, vm.Name) })
	must(t, "get vm", func() (err error) { one, err = d.GetVM(ctx, rg, vm.Name); return err })
	if one.PowerState != cloud.PowerRunning || one.Managed() {
		t.Errorf("after StartVM the VM is %+v, want running on its VHDs", one)
	}
	if err := retry(t, func() error { return d.StartVM(ctx, rg, "no-such-vm") }); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("StartVM of a missing VM = %v, want ErrNotFound", err)
	}
	must(t, "deallocate again", func() error { return d.DeallocateVM(ctx, rg, vm.Name) })

	// The OS disk by Import: the platform copies it.
	var src disks.Source
	must(t, "open vhd", func() (err error) { src, err = d.OpenVHD(ctx, vm.OSDisk.VHDURI); return err })
	osHash := hashOf(t, src)
	simSrc, err := e.sim.OpenVHD(ctx, vm.OSDisk.VHDURI)
	if err != nil {
		t.Fatal(err)
	}
	if hashOf(t, simSrc) != osHash {
		t.Fatal("the VHD read through the driver differs from the simulated one")
	}
	osDisk := cloud.ManagedDisk{ResourceGroup: rg, Name: vm.Name + "-os", Location: vm.Location, AccountType: "Standard_LRS",
		CreateOption: cloud.CreateImport, SourceURI: vm.OSDisk.VHDURI, OSType: vm.OSType}
	must(t, "create import disk", func() error { return d.CreateDisk(ctx, osDisk) })
	must(t, "create import disk again", func() error { return d.CreateDisk(ctx, osDisk) })
	var md cloud.ManagedDisk
	must(t, "get disk", func() (err error) { md, err = d.GetDisk(ctx, rg, osDisk.Name); return err })
	if md.CreateOption != cloud.CreateImport || !strings.EqualFold(md.SourceURI, osDisk.SourceURI) || md.SizeBytes != vm.OSDisk.SizeBytes {
		t.Errorf("GetDisk = %+v", md)
	}
	must(t, "open managed", func() (err error) { src, err = d.OpenManaged(ctx, rg, osDisk.Name); return err })
	if hashOf(t, src) != osHash {
		t.Error("the imported managed disk does not hold the VHD's content")
	}

	// Data disks by Upload: the copier streams the pages.
	managed := vm
	managed.OSDisk = cloud.VMDisk{Name: osDisk.Name, ManagedDisk: osDisk.Name, SizeBytes: vm.OSDisk.SizeBytes}
	managed.DataDisks = nil
	for _, dd := range vm.DataDisks {
		must(t, "open data vhd", func() (err error) { src, err = d.OpenVHD(ctx, dd.VHDURI); return err })
		size := src.Size()
		name := fmt.Sprintf("%s-lun%d", vm.Name, dd.LUN)
		up := cloud.ManagedDisk{ResourceGroup: rg, Name: name, Location: vm.Location, AccountType: "Premium_LRS",
			CreateOption: cloud.CreateUpload, SizeBytes: size}
		must(t, "create upload disk", func() error { return d.CreateDisk(ctx, up) })
		must(t, "get disk", func() (err error) { md, err = d.GetDisk(ctx, rg, name); return err })
		if md.State != cloud.DiskReadyToUpload || md.SizeBytes != size {
			t.Errorf("new upload disk = %+v, want ReadyToUpload of %d", md, size)
		}
		var sink disks.Sink
		must(t, "open upload", func() (err error) { sink, err = d.OpenUpload(ctx, rg, name, size, false); return err })
		must(t, "get disk", func() (err error) { md, err = d.GetDisk(ctx, rg, name); return err })
		if md.State != cloud.DiskActiveUpload {
			t.Errorf("disk being uploaded is %s, want ActiveUpload", md.State)
		}
		sum, err := disks.Copy(ctx, src, sink, disks.CopyOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		sink.Close()
		src.Close()
		must(t, "end upload", func() error { return d.EndUpload(ctx, rg, name) })
		must(t, "get disk", func() (err error) { md, err = d.GetDisk(ctx, rg, name); return err })
		if md.State != cloud.DiskUnattached {
			t.Errorf("uploaded disk is %s, want Unattached", md.State)
		}
		must(t, "open managed", func() (err error) { src, err = d.OpenManaged(ctx, rg, name); return err })
		if hashOf(t, src) != sum.ContentSHA256 {
			t.Error("the uploaded managed disk read back differs")
		}
		simSrc, err := e.sim.OpenManaged(ctx, rg, name)
		if err != nil {
			t.Fatal(err)
		}
		if hashOf(t, simSrc) != sum.ContentSHA256 {
			t.Error("the simulator behind the emulator does not hold the uploaded data")
		}
		managed.DataDisks = append(managed.DataDisks, cloud.VMDisk{Name: name, LUN: dd.LUN, ManagedDisk: name, SizeBytes: dd.SizeBytes})
	}

	// The VM recreated on its managed disks.
	must(t, "delete vm", func() error { return d.DeleteVM(ctx, rg, vm.Name) })
	if _, err := d.GetVM(ctx, rg, vm.Name); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("GetVM after DeleteVM = %v, want ErrNotFound", err)
	}
	must(t, "delete vm again", func() error { return d.DeleteVM(ctx, rg, vm.Name) })
	must(t, "create vm", func() error { return d.CreateVM(ctx, managed) })
	must(t, "create vm again", func() error { return d.CreateVM(ctx, managed) })
	must(t, "get vm", func() (err error) { one, err = d.GetVM(ctx, rg, vm.Name); return err })
	if !one.Managed() || one.Size != vm.Size || fmt.Sprint(one.NICs) != fmt.Sprint(vm.NICs) ||
		one.AvailabilitySet != vm.AvailabilitySet || len(one.DataDisks) != len(vm.DataDisks) || one.PowerState != cloud.PowerRunning {
		t.Errorf("recreated VM %+v\nfrom %+v", one, vm)
	}
	for i, dd := range one.DataDisks {
		if dd.LUN != vm.DataDisks[i].LUN {
			t.Errorf("data disk %d at LUN %d, want %d", i, dd.LUN, vm.DataDisks[i].LUN)
		}
	}

	// An image from a generalized VHD.
	inv := diskInventory()
	var golden string
	for _, im := range inv.StorageAccounts[0].Images {
		if im.Generalized {
			golden = im.VHDURI
		}
	}
	img := cloud.Image{ResourceGroup: rg, Name: "golden", Location: vm.Location, OSType: "Linux", SourceURI: golden}
	must(t, "create image", func() error { return d.CreateImage(ctx, img) })
	must(t, "create image again", func() error { return d.CreateImage(ctx, img) })
	var gotImg cloud.Image
	must(t, "get image", func() (err error) { gotImg, err = d.GetImage(ctx, rg, "golden"); return err })
	if gotImg != img {
		t.Errorf("GetImage = %+v, want %+v", gotImg, img)
	}
	must(t, "delete disk", func() error { return d.DeleteDisk(ctx, rg, "never-made") })
}

func TestDiskStep(t *testing.T) {
	e := diskEnv(t, setup{})
	diskStep(t, e)
	checkRedacted(t, e)
}

// TestDiskStepWithFaults runs the disk step with a fifth of the
// emulator's answers faulted (429 with Retry-After, 503, 500).
func TestDiskStepWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("waits on Retry-After: 1 answers")
	}
	e := diskEnv(t, setup{emu: emulator.Options{FaultRate: 0.2, Seed: 5}})
	diskStep(t, e)
	checkRedacted(t, e)
}

// TestResumeDoesNotResend interrupts CreateDisk as soon as its resume token
// is saved, then calls it again: the poller resumes from the token and the
// emulator sees one PUT.
func TestResumeDoesNotResend(t *testing.T) {
	store := &memTokens{}
	e := diskEnv(t, setup{tokens: store})
	vms, err := e.sim.ListVMs(t.Context())
	if err != nil || len(vms) == 0 {
		t.Fatalf("no VMs: %v", err)
	}
	vm := vms[0]
	md := cloud.ManagedDisk{ResourceGroup: vm.ResourceGroup, Name: "resumed", Location: vm.Location, AccountType: "Standard_LRS",
		CreateOption: cloud.CreateImport, SourceURI: vm.OSDisk.VHDURI}
	ctx, cancel := context.WithCancel(t.Context())
	store.onPut = func(string) { cancel() }
	if err := e.driver.CreateDisk(ctx, md); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted CreateDisk = %v, want context.Canceled", err)
	}
	if store.len() != 1 {
		t.Fatalf("%d resume tokens saved, want 1", store.len())
	}
	store.onPut = nil
	if err := e.driver.CreateDisk(t.Context(), md); err != nil {
		t.Fatal(err)
	}
	if store.len() != 0 {
		t.Errorf("%d resume tokens left after the operation ended", store.len())
	}
	puts := 0
	for _, l := range strings.Split(e.log.String(), "\n") {
		if strings.HasPrefix(l, "emulator: PUT ") && strings.Contains(l, "/disks/resumed 20") {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("the emulator accepted %d PUTs of the disk, want 1:\n%s", puts, e.log.String())
	}
	if _, err := e.driver.GetDisk(t.Context(), md.ResourceGroup, md.Name); err != nil {
		t.Errorf("resumed disk: %v", err)
	}
}

// checkRedacted fails if the client secret, an issued token or a SAS
// signature shows in the -v log.
func checkRedacted(t *testing.T, e *env) {
	t.Helper()
	log := e.log.String()
	if !strings.Contains(log, "sig=REDACTED") {
		t.Errorf("the log shows no blob call with a redacted SAS; the check would prove nothing:\n%s", log)
	}
	for _, secret := range append(e.srv.IssuedTokens(), testClientSecret, emulator.DevAccountKey) {
		if strings.Contains(log, secret) {
			t.Errorf("log contains a secret %q", secret)
		}
	}
	for _, line := range strings.Split(log, "\n") {
		if i := strings.Index(strings.ToLower(line), "sig="); i >= 0 && !strings.HasPrefix(line[i+4:], "REDACTED") {
			t.Errorf("log line carries a SAS signature: %s", line)
		}
	}
}

package convert_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Test doubles for the issue 10 surfaces the simulator does not have yet
// (availability set SKUs, Convert To Managed Disks, VHD snapshots,
// recreating a VM on its VHDs). They are for tests only and follow the
// contracts of pkg/cloud/diskstep.go over the simulator's own calls.

// watch is a cloud.Compute over the simulator that tracks which VMs are
// down (from DeallocateVM until CreateVM, StartVM or the platform's
// conversion runs them) and records every moment two VMs of one
// availability set, or more than limit VMs, were down together.
type watch struct {
	cloud.Compute
	limit int

	mu   sync.Mutex
	sets map[string]string // VM key -> set key
	down map[string]bool
	max  int
	bad  []string
	// failCreate refuses CreateVM of these VMs on managed disks.
	failCreate map[string]bool
	// restored holds VMs recreated on their VHDs, which the simulator
	// cannot hold: GetVM answers with them.
	restored map[string]cloud.VM
	// extensions are added to GetVM's answer, by VM key.
	extensions map[string][]cloud.Extension
}

func newWatch(c cloud.Compute, limit int) *watch {
	return &watch{Compute: c, limit: limit, sets: map[string]string{}, down: map[string]bool{},
		failCreate: map[string]bool{}, restored: map[string]cloud.VM{}, extensions: map[string][]cloud.Extension{}}
}

func vmKey(rg, name string) string { return inventory.Key(rg + "/" + name) }

func (w *watch) GetVM(ctx context.Context, rg, name string) (cloud.VM, error) {
	w.mu.Lock()
	r, ok := w.restored[vmKey(rg, name)]
	ext := w.extensions[vmKey(rg, name)]
	w.mu.Unlock()
	if ok {
		return r, nil
	}
	vm, err := w.Compute.GetVM(ctx, rg, name)
	if err == nil && len(ext) > 0 {
		vm.Extensions = ext
	}
	return vm, err
}

func (w *watch) DeallocateVM(ctx context.Context, rg, name string) error {
	vm, gerr := w.Compute.GetVM(ctx, rg, name)
	err := w.Compute.DeallocateVM(ctx, rg, name)
	if err == nil && gerr == nil {
		w.goDown(vm)
	}
	return err
}

func (w *watch) goDown(vm cloud.VM) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := vmKey(vm.ResourceGroup, vm.Name)
	if vm.AvailabilitySet != "" {
		w.sets[k] = inventory.Key(vm.ResourceGroup + "/" + vm.AvailabilitySet)
	}
	if w.down[k] {
		return
	}
	w.down[k] = true
	n := 0
	for o := range w.down {
		n++
		if o != k && w.sets[k] != "" && w.sets[o] == w.sets[k] {
			w.bad = append(w.bad, fmt.Sprintf("%s and %s of set %s down together", o, k, w.sets[k]))
		}
	}
	w.max = max(w.max, n)
	if n > w.limit {
		w.bad = append(w.bad, fmt.Sprintf("%d VMs down together, limit %d", n, w.limit))
	}
}

func (w *watch) up(rg, name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.down, vmKey(rg, name))
}

func (w *watch) StartVM(ctx context.Context, rg, name string) error {
	err := w.Compute.StartVM(ctx, rg, name)
	if err == nil {
		w.up(rg, name)
	}
	return err
}

func (w *watch) CreateVM(ctx context.Context, vm cloud.VM) error {
	if !vm.Managed() {
		// The rollback: the simulator cannot hold a VM on VHDs made
		// again, so the double keeps it.
		w.mu.Lock()
		vm.PowerState = cloud.PowerRunning
		w.restored[vmKey(vm.ResourceGroup, vm.Name)] = vm
		w.mu.Unlock()
		w.up(vm.ResourceGroup, vm.Name)
		return nil
	}
	w.mu.Lock()
	fail := w.failCreate[vmKey(vm.ResourceGroup, vm.Name)]
	w.mu.Unlock()
	if fail {
		return &cloud.OperationError{Op: "CreateVM", Unit: vm.Name, Code: "OperationNotAllowed", Message: "injected by the test after DeleteVM"}
	}
	err := w.Compute.CreateVM(ctx, vm)
	if err == nil {
		w.up(vm.ResourceGroup, vm.Name)
	}
	return err
}

// problems lists the moments the constraint was broken.
func (w *watch) problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.bad...)
}

// fakePlatform is cloud.PlatformConversion over the simulator: sets
// start Classic with 3 fault domains (2 Aligned in the region); the
// conversion checks what Azure checks (deallocated, Aligned set,
// extensions Succeeded), then makes the managed disks by Import, deletes
// and recreates the VM on them (which starts it).
type fakePlatform struct {
	c  *watch
	mu sync.Mutex
	// sets by key; aligned counts AlignAvailabilitySet calls.
	sets    map[string]*cloud.AvailabilitySet
	aligned int
}

func newFakePlatform(c *watch) *fakePlatform {
	return &fakePlatform{c: c, sets: map[string]*cloud.AvailabilitySet{}}
}

func (f *fakePlatform) set(rg, name string) *cloud.AvailabilitySet {
	k := inventory.Key(rg + "/" + name)
	s, ok := f.sets[k]
	if !ok {
		s = &cloud.AvailabilitySet{ResourceGroup: rg, Name: name, SKU: cloud.AvailabilitySetClassic, FaultDomains: 3, UpdateDomains: 5, MaxAlignedFaultDomains: 2}
		f.sets[k] = s
	}
	return s
}

func (f *fakePlatform) GetAvailabilitySet(_ context.Context, rg, name string) (cloud.AvailabilitySet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.set(rg, name), nil
}

func (f *fakePlatform) AlignAvailabilitySet(_ context.Context, rg, name string, fd int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.set(rg, name)
	if fd > s.MaxAlignedFaultDomains {
		return &cloud.OperationError{Op: "AlignAvailabilitySet", Unit: name, Code: "InvalidParameter", Message: "too many fault domains"}
	}
	f.aligned++
	s.SKU, s.FaultDomains = cloud.AvailabilitySetAligned, fd
	return nil
}

func (f *fakePlatform) ConvertToManagedDisks(ctx context.Context, rg, name string) error {
	vm, err := f.c.GetVM(ctx, rg, name)
	if err != nil {
		return err
	}
	refuse := func(format string, a ...any) error {
		return &cloud.OperationError{Op: "ConvertToManagedDisks", Unit: name, Code: "OperationNotAllowed", Message: fmt.Sprintf(format, a...)}
	}
	if vm.PowerState != cloud.PowerDeallocated {
		return refuse("Virtual machine must be stop-deallocated before invoking this operation")
	}
	if vm.AvailabilitySet != "" {
		if s, _ := f.GetAvailabilitySet(ctx, rg, vm.AvailabilitySet); s.SKU != cloud.AvailabilitySetAligned {
			return refuse("availability set %s is not Aligned", vm.AvailabilitySet)
		}
	}
	for _, x := range vm.Extensions {
		if x.ProvisioningState != cloud.ExtensionSucceeded {
			return refuse("extension %s is %s", x.Name, x.ProvisioningState)
		}
	}
	if vm.Managed() {
		return f.c.StartVM(ctx, rg, name)
	}
	for i, d := range append([]cloud.VMDisk{vm.OSDisk}, vm.DataDisks...) {
		md := cloud.ManagedDisk{ResourceGroup: rg, Name: d.Name, Location: vm.Location, AccountType: "Standard_LRS",
			SizeBytes: d.SizeBytes, CreateOption: cloud.CreateImport, SourceURI: d.VHDURI}
		if i == 0 {
			md.OSType = vm.OSType
		}
		if err := f.c.CreateDisk(ctx, md); err != nil {
			return err
		}
	}
	if err := f.c.DeleteVM(ctx, rg, name); err != nil {
		return err
	}
	target := vm
	target.Extensions = nil
	target.OSDisk.ManagedDisk, target.OSDisk.VHDURI = vm.OSDisk.Name, ""
	for i := range target.DataDisks {
		target.DataDisks[i].ManagedDisk, target.DataDisks[i].VHDURI = target.DataDisks[i].Name, ""
	}
	return f.c.CreateVM(ctx, target)
}

// fakeSnapshots is cloud.VHDSnapshots over the simulator's VHDs, which do
// not change: a snapshot reads the VHD. change, when set, is what the VM
// wrote between the first and the second snapshot of a VHD (by VHD name
// suffix): the second snapshot reads those ranges as patterned data,
// or zeros where zero is set (pages cleared).
type fakeSnapshots struct {
	data cloud.DiskData
	mu   sync.Mutex
	n    int
	// taken counts the snapshots of each VHD; deleted names the ones
	// removed.
	taken   map[string]int
	deleted map[string]bool
	change  map[string]fakeChange
}

type fakeChange struct {
	ranges []disks.Extent
	zero   bool
}

func newFakeSnapshots(d cloud.DiskData) *fakeSnapshots {
	return &fakeSnapshots{data: d, taken: map[string]int{}, deleted: map[string]bool{}, change: map[string]fakeChange{}}
}

func (f *fakeSnapshots) SnapshotVHD(_ context.Context, uri string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.taken[uri]++
	return fmt.Sprintf("2026-12-06T00:00:%02d.%07dZ#%d", f.n%60, f.n, f.taken[uri]), nil
}

// generation is 1 for a VHD's first snapshot, 2 for later ones.
func generation(snap string) int {
	if strings.HasSuffix(snap, "#1") {
		return 1
	}
	return 2
}

func (f *fakeSnapshots) changeOf(uri string) (fakeChange, bool) {
	for k, c := range f.change {
		if strings.HasSuffix(uri, k) {
			return c, true
		}
	}
	return fakeChange{}, false
}

func (f *fakeSnapshots) OpenVHDSnapshot(ctx context.Context, uri, snap string) (disks.Source, error) {
	src, err := f.data.OpenVHD(ctx, uri)
	if err != nil {
		return nil, err
	}
	c, ok := f.changeOf(uri)
	if !ok || generation(snap) == 1 {
		return src, nil
	}
	return &changedSource{Source: src, c: c}, nil
}

func (f *fakeSnapshots) ChangedSince(_ context.Context, uri, snap, prev string) ([]disks.Extent, error) {
	c, ok := f.changeOf(uri)
	if !ok || generation(snap) == generation(prev) {
		return nil, nil
	}
	return c.ranges, nil
}

func (f *fakeSnapshots) DeleteVHDSnapshot(_ context.Context, uri, snap string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted[uri+"?snapshot="+snap] = true
	return nil
}

// changedSource is a VHD as the VM changed it: c's ranges hold a pattern
// (or zeros).
type changedSource struct {
	disks.Source
	c fakeChange
}

func (s *changedSource) Allocated(ctx context.Context) ([]disks.Extent, error) {
	alloc, err := s.Source.Allocated(ctx)
	if err != nil {
		return nil, err
	}
	all := append(append([]disks.Extent(nil), alloc...), s.c.ranges...)
	slices.SortFunc(all, func(a, b disks.Extent) int { return cmp.Compare(a.Off, b.Off) })
	var out []disks.Extent
	for _, e := range all {
		if n := len(out); n > 0 && out[n-1].Off+out[n-1].Len >= e.Off {
			out[n-1].Len = max(out[n-1].Len, e.Off+e.Len-out[n-1].Off)
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *changedSource) ReadAt(ctx context.Context, p []byte, off int64) error {
	alloc, err := s.Source.Allocated(ctx)
	if err != nil {
		return err
	}
	clear(p)
	end := off + int64(len(p))
	for _, a := range alloc {
		lo, hi := max(a.Off, off), min(a.Off+a.Len, end)
		if lo < hi {
			if err := s.Source.ReadAt(ctx, p[lo-off:hi-off], lo); err != nil {
				return err
			}
		}
	}
	for _, r := range s.c.ranges {
		lo, hi := max(r.Off, off), min(r.Off+r.Len, end)
		for i := lo; i < hi; i++ {
			if s.c.zero {
				p[i-off] = 0
			} else {
				p[i-off] = byte(i*7 + 1)
			}
		}
	}
	return nil
}

var _ cloud.Compute = (*watch)(nil)
var _ cloud.PlatformConversion = (*fakePlatform)(nil)
var _ cloud.VHDSnapshots = (*fakeSnapshots)(nil)
var _ = sim.Options{}

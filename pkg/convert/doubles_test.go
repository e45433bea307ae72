package convert_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Test doubles around the simulator, for tests only: a watch on who is
// down (and a CreateVM refused on demand), and VHD snapshots whose
// changes a test chooses.

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
	// plat is the simulator's platform conversion, watched too.
	plat cloud.PlatformConversion
	// failDisk refuses CreateDisk of these disk names.
	failDisk map[string]bool
	// extensions are added to GetVM's answer, by VM key.
	extensions map[string][]cloud.Extension
}

func newWatch(s *sim.Sim, limit int) *watch {
	return &watch{Compute: s, plat: s.Platform(), limit: limit, sets: map[string]string{}, down: map[string]bool{},
		failCreate: map[string]bool{}, failDisk: map[string]bool{}, extensions: map[string][]cloud.Extension{}}
}

func (w *watch) GetAvailabilitySet(ctx context.Context, rg, name string) (cloud.AvailabilitySet, error) {
	return w.plat.GetAvailabilitySet(ctx, rg, name)
}

func (w *watch) AlignAvailabilitySet(ctx context.Context, rg, name string, fd int) error {
	return w.plat.AlignAvailabilitySet(ctx, rg, name, fd)
}

func (w *watch) ConvertToManagedDisks(ctx context.Context, rg, name string) error {
	err := w.plat.ConvertToManagedDisks(ctx, rg, name)
	if err == nil {
		w.up(rg, name)
	}
	return err
}

func vmKey(rg, name string) string { return inventory.Key(rg + "/" + name) }

func (w *watch) GetVM(ctx context.Context, rg, name string) (cloud.VM, error) {
	w.mu.Lock()
	ext := w.extensions[vmKey(rg, name)]
	w.mu.Unlock()
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
	w.mu.Lock()
	fail := vm.Managed() && w.failCreate[vmKey(vm.ResourceGroup, vm.Name)]
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

func (w *watch) CreateDisk(ctx context.Context, d cloud.ManagedDisk) error {
	w.mu.Lock()
	fail := w.failDisk[d.Name]
	w.mu.Unlock()
	if fail {
		return &cloud.OperationError{Op: "CreateDisk", Unit: d.Name, Code: "InvalidParameter", Message: "injected by the test"}
	}
	return w.Compute.CreateDisk(ctx, d)
}

// problems lists the moments the constraint was broken.
func (w *watch) problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.bad...)
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

// generation is k for a VHD's kth snapshot: the VM wrote c's ranges
// before each snapshot after the first (the same bytes each time).
func generation(snap string) int {
	_, k, _ := strings.Cut(snap, "#")
	n, _ := strconv.Atoi(k)
	return n
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
	f.mu.Lock()
	c, ok := f.changeOf(uri)
	f.mu.Unlock()
	if !ok || generation(snap) == 1 {
		return src, nil
	}
	return &changedSource{Source: src, c: c}, nil
}

func (f *fakeSnapshots) ChangedSince(_ context.Context, uri, snap, prev string) ([]disks.Extent, error) {
	f.mu.Lock()
	c, ok := f.changeOf(uri)
	f.mu.Unlock()
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
var _ cloud.PlatformConversion = (*watch)(nil)
var _ cloud.VHDSnapshots = (*fakeSnapshots)(nil)

// flipData is cloud.DiskData whose Nth resumed upload (a delta of the
// pre-copy) to a disk named in flip writes one byte wrong: a sink that
// lies, for the verification to catch.
type flipData struct {
	cloud.DiskData
	mu      sync.Mutex
	flip    map[string]int
	resumed map[string]int
}

func (f *flipData) OpenUpload(ctx context.Context, rg, name string, size int64, resume bool) (disks.Sink, error) {
	sink, err := f.DiskData.OpenUpload(ctx, rg, name, size, resume)
	f.mu.Lock()
	if f.resumed == nil {
		f.resumed = map[string]int{}
	}
	if resume && err == nil {
		f.resumed[name]++
	}
	bad := resume && f.flip[name] > 0 && f.resumed[name] == f.flip[name]
	f.mu.Unlock()
	if err != nil || !bad {
		return sink, err
	}
	return &flipSink{Sink: sink}, nil
}

type flipSink struct{ disks.Sink }

func (s *flipSink) WriteChunk(ctx context.Context, c *disks.Chunk) error {
	if len(c.Extents) > 0 {
		c.Data[c.Extents[0].Off-c.Off] ^= 0x5a
	}
	return s.Sink.WriteChunk(ctx, c)
}

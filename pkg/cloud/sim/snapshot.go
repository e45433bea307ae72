package sim

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// VHD blob snapshots and a running VM's writes (cloud.VHDSnapshots), for
// the pre-copy: copy a snapshot while the VM runs, then at cut-over copy
// only what changed since (Blob service: Snapshot Blob; Get Page Ranges
// with prevsnapshot, which lists the pages written and, as ClearRange, the
// pages cleared since).
//
// A VM that runs writes to its disks. The sim models that with a write
// generation per VHD: SnapshotVHD of a VHD whose VM is running, or has run
// since the VHD's previous snapshot, first moves it to the next generation.
// Generation g's content is generation g-1's with a few 4 KiB pages
// rewritten and one to three cleared, chosen and filled as a pure function
// of the content seed, the disk's name and g (never of arrival order or a
// shared random source), so every process sees the same bytes. Generation
// 0 is the estate's generated content (content.go). A snapshot holds the
// generation it was taken at; OpenVHD and an Import read the current one.
//
// SnapshotVHD and DeleteVHDSnapshot are changing calls (counted, faulted,
// recorded with unit vhd/<account>/<disk> and stateBefore the generation);
// OpenVHDSnapshot and ChangedSince are data-plane reads, neither faulted
// nor recorded, like OpenVHD.

// Snapshot operation names recorded in the history.
const (
	OpSnapshotVHD       = "SnapshotVHD"
	OpDeleteVHDSnapshot = "DeleteVHDSnapshot"
)

// pageSize is the granularity of the modelled writes: 4 KiB, a guest
// file system's block, aligned as the page blob's 512-byte pages allow.
const pageSize = 4096

// snapshotIDLayout is the x-ms-snapshot timestamp's form (Blob service,
// Snapshot Blob: "2011-03-09T01:42:34.9360000Z").
const snapshotIDLayout = "2006-01-02T15:04:05.0000000Z"

// vhdState is what the cloud keeps of one VHD page blob beyond its
// generated content: its write generation and snapshots.
type vhdState struct {
	// Gen is the VHD's current write generation; 0 is the estate's
	// content.
	Gen int `json:"gen"`
	// Ran: the VM on the VHD has run since its last snapshot, so the
	// next snapshot finds it written.
	Ran bool `json:"ran,omitempty"`
	// Snapshots maps each snapshot id to the generation it holds.
	Snapshots map[string]int `json:"snapshots,omitempty"`
	// Deleted: DeleteVHD removed the page blob (and its snapshots).
	Deleted bool `json:"deleted,omitempty"`
}

// vhdRan notes that a VM runs on the VHD (a no-op for "", a managed disk).
func (s *Sim) vhdRan(p *persisted, uri string) {
	if uri == "" {
		return
	}
	v := p.vhd(uri)
	if !v.Ran {
		v.Ran = true
		p.touchVHD(inventory.Key(uri))
	}
}

// vhd is the VHD's state, made (not yet marked changed) when absent.
func (p *persisted) vhd(uri string) *vhdState {
	k := inventory.Key(uri)
	v := p.VHDs[k]
	if v == nil {
		v = &vhdState{}
		p.VHDs[k] = v
	}
	return v
}

// gen is the VHD's current generation (0 when it has no state yet).
func (p *persisted) gen(uri string) int {
	if v := p.VHDs[inventory.Key(uri)]; v != nil {
		return v.Gen
	}
	return 0
}

// running reports whether a VM runs on the VHD now: a Resource Manager VM
// on it, or else the classic role whose disk it is.
func (s *Sim) running(p *persisted, uri string, v vhdInfo) bool {
	for _, vm := range p.ARMVMs {
		for _, d := range vmDisks(*vm) {
			if d.ManagedDisk == "" && strings.EqualFold(d.VHDURI, uri) {
				return vm.PowerState == cloud.PowerRunning
			}
		}
	}
	if s.hub() || v.image {
		return false
	}
	owner, ok := s.topo.ix.DiskOwner[inventory.Key(v.name)]
	if !ok {
		return false
	}
	vmID := inventory.Key(inventory.VMID(owner.CloudService.Name, owner.Role.Name))
	if st := p.Units[s.topo.vmUnit[vmID]]; st != nil && st.State == cloud.StateCommitted {
		return false // its Resource Manager VM (above) is the one now
	}
	state := owner.Role.State
	if vs := p.VMs[vmID]; vs != nil && vs.PowerState != "" {
		state = vs.PowerState
	}
	return state == "" || strings.EqualFold(state, roleRunning)
}

func vhdUnit(v vhdInfo) string { return "vhd/" + v.account + "/" + v.name }

// lookupVHD finds an estate VHD by URI, case-insensitively.
func (s *Sim) lookupVHD(op, uri string) (vhdInfo, error) {
	v, ok := s.vhds[inventory.Key(uri)]
	if !ok {
		return vhdInfo{}, fmt.Errorf("%s %s: %w", op, disks.RedactURL(uri), cloud.ErrNotFound)
	}
	return v, nil
}

// SnapshotVHD snapshots a VHD of the estate and returns the snapshot's id
// (an x-ms-snapshot timestamp, unique for the VHD). If its VM runs or has
// run since the VHD's previous snapshot, the VHD moves to its next write
// generation first. An unknown VHD is cloud.ErrNotFound.
func (s *Sim) SnapshotVHD(ctx context.Context, vhdURI string) (string, error) {
	v, err := s.lookupVHD("snapshot VHD", vhdURI)
	if err != nil {
		return "", err
	}
	k := inventory.Key(vhdURI)
	var id string
	err = s.change(ctx, OpSnapshotVHD, vhdUnit(v),
		func(p *persisted) string { return fmt.Sprintf("Gen%d", p.gen(vhdURI)) },
		func(p *persisted) error {
			st := p.vhd(vhdURI)
			if st.Deleted {
				return vhdGone("snapshot VHD", vhdURI)
			}
			run := s.running(p, vhdURI, v)
			if run || st.Ran {
				st.Gen++
			}
			st.Ran = run
			if st.Snapshots == nil {
				st.Snapshots = map[string]int{}
			}
			t := s.o.Now().UTC().Truncate(100 * time.Nanosecond)
			for {
				id = t.Format(snapshotIDLayout)
				if _, taken := st.Snapshots[id]; !taken {
					break
				}
				t = t.Add(100 * time.Nanosecond)
			}
			st.Snapshots[id] = st.Gen
			p.touchVHD(k)
			return nil
		})
	if err != nil {
		return "", err
	}
	return id, nil
}

// DeleteVHDSnapshot removes one snapshot of the VHD; a missing one
// succeeds. An unknown VHD is cloud.ErrNotFound.
func (s *Sim) DeleteVHDSnapshot(ctx context.Context, vhdURI, snapshot string) error {
	v, err := s.lookupVHD("delete VHD snapshot", vhdURI)
	if err != nil {
		return err
	}
	k := inventory.Key(vhdURI)
	return s.change(ctx, OpDeleteVHDSnapshot, vhdUnit(v),
		func(p *persisted) string { return fmt.Sprintf("Gen%d", p.gen(vhdURI)) },
		func(p *persisted) error {
			st := p.VHDs[k]
			if st == nil {
				return nil
			}
			if _, ok := st.Snapshots[snapshot]; !ok {
				return nil
			}
			delete(st.Snapshots, snapshot)
			p.touchVHD(k)
			return nil
		})
}

// snapshotGen reads the generation a snapshot holds; a missing snapshot
// is cloud.ErrNotFound.
func (s *Sim) snapshotGen(ctx context.Context, vhdURI, snapshot string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	g := 0
	err := s.update(func(p *persisted) (bool, error) {
		st := p.VHDs[inventory.Key(vhdURI)]
		if st == nil {
			return false, cloud.ErrNotFound
		}
		n, ok := st.Snapshots[snapshot]
		if !ok {
			return false, cloud.ErrNotFound
		}
		g = n
		return false, nil
	})
	return g, err
}

// OpenVHDSnapshot opens one snapshot of the VHD: its content and page
// ranges as of the generation it holds. An unknown VHD or snapshot is
// cloud.ErrNotFound.
func (s *Sim) OpenVHDSnapshot(ctx context.Context, vhdURI, snapshot string) (disks.Source, error) {
	v, err := s.lookupVHD("open VHD snapshot", vhdURI)
	if err != nil {
		return nil, err
	}
	g, err := s.snapshotGen(ctx, vhdURI, snapshot)
	if err != nil {
		return nil, fmt.Errorf("open VHD snapshot %s of %s: %w", snapshot, disks.RedactURL(vhdURI), err)
	}
	return s.version(v, g), nil
}

// ChangedSince lists, sorted and merged, the ranges where snapshot's
// content differs from prev's: pages written and pages cleared, exactly
// (compared byte for byte). An unknown VHD or snapshot is
// cloud.ErrNotFound.
func (s *Sim) ChangedSince(ctx context.Context, vhdURI, snapshot, prev string) ([]disks.Extent, error) {
	v, err := s.lookupVHD("list changed pages of", vhdURI)
	if err != nil {
		return nil, err
	}
	gb, err := s.snapshotGen(ctx, vhdURI, snapshot)
	if err != nil {
		return nil, fmt.Errorf("list changed pages of %s: snapshot %s: %w", disks.RedactURL(vhdURI), snapshot, err)
	}
	ga, err := s.snapshotGen(ctx, vhdURI, prev)
	if err != nil {
		return nil, fmt.Errorf("list changed pages of %s: snapshot %s: %w", disks.RedactURL(vhdURI), prev, err)
	}
	return s.version(v, gb).changedFrom(ctx, s.version(v, ga))
}

// current is the VHD's content now.
func (s *Sim) current(ctx context.Context, v vhdInfo, uri string) (*genVersion, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g, gone := 0, false
	err := s.update(func(p *persisted) (bool, error) {
		g = p.gen(uri)
		if st := p.VHDs[inventory.Key(uri)]; st != nil {
			gone = st.Deleted
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if gone {
		return nil, vhdGone("read VHD", uri)
	}
	return s.version(v, g), nil
}

// pageEvent is the last change to one page as of a generation.
type pageEvent struct {
	gen   int
	clear bool
}

// genVersion is one write generation of a generated VHD.
type genVersion struct {
	base *genDisk
	gen  int
	// pages maps a page's offset to its last change up to gen.
	pages map[int64]pageEvent
}

var _ disks.Source = (*genVersion)(nil)

// version is generation g of VHD v.
func (s *Sim) version(v vhdInfo, g int) *genVersion {
	base := newGenDisk(s.contentSeed, v.name, v.size)
	out := &genVersion{base: base, gen: g, pages: map[int64]pageEvent{}}
	for i := 1; i <= g; i++ {
		for _, c := range base.changes(i) {
			out.pages[c.off] = pageEvent{gen: i, clear: c.clear}
		}
	}
	return out
}

// pageChange is one page generation g writes or clears.
type pageChange struct {
	off   int64
	clear bool
}

// changes lists the pages generation g (1 or more) writes and clears:
// 8 to 15 written (three in four inside the allocated regions, the rest
// anywhere, as a file system grows) and 1 to 3 cleared, in the regions.
func (g *genDisk) changes(gen int) []pageChange {
	npages := g.size / pageSize
	if npages == 0 {
		return nil
	}
	h := splitmix64(g.seed ^ splitmix64(0x9e4e<<32|uint64(gen)))
	inRegion := func(x uint64) int64 {
		r := g.regions[(x>>8)%uint64(len(g.regions))]
		first, last := (r.Off+pageSize-1)/pageSize, (r.Off+r.Len)/pageSize
		if last <= first {
			return min(first, npages-1) * pageSize
		}
		return (first + int64((x>>24)%uint64(last-first))) * pageSize
	}
	var out []pageChange
	writes, clears := 8+int(h%8), 1+int((h>>4)%3)
	for i := range writes {
		x := splitmix64(h + uint64(i) + 1)
		if x%4 == 0 {
			out = append(out, pageChange{off: int64((x>>8)%uint64(npages)) * pageSize})
		} else {
			out = append(out, pageChange{off: inRegion(x)})
		}
	}
	for i := range clears {
		out = append(out, pageChange{off: inRegion(splitmix64(h ^ uint64(0x3c1ea7+i))), clear: true})
	}
	return out
}

// fillPage fills b (a page or its head) with what generation gen wrote at
// page offset off.
func (g *genDisk) fillPage(b []byte, gen int, off int64) {
	h := splitmix64(g.seed ^ splitmix64(uint64(gen)<<40^uint64(off)))
	var w [8]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(w[:], splitmix64(h+uint64(i)))
		copy(b[i:], w[:])
	}
}

// Size implements disks.Source.
func (v *genVersion) Size() int64 { return v.base.size }

// Close implements disks.Source.
func (v *genVersion) Close() error { return nil }

// ReadAt implements disks.Source: the base content with every page's last
// change applied.
func (v *genVersion) ReadAt(ctx context.Context, p []byte, off int64) error {
	if err := v.base.ReadAt(ctx, p, off); err != nil {
		return err
	}
	end := off + int64(len(p))
	var page [pageSize]byte
	for po, ev := range v.pages {
		lo, hi := max(off, po), min(end, po+pageSize, v.base.size)
		if lo >= hi {
			continue
		}
		n := min(pageSize, v.base.size-po)
		if ev.clear {
			clear(page[:n])
		} else {
			v.base.fillPage(page[:n], ev.gen, po)
		}
		copy(p[lo-off:hi-off], page[lo-po:hi-po])
	}
	return nil
}

// Allocated implements disks.Source: the base regions and the pages
// written since, without the pages cleared since (a cleared page is no
// longer in the blob's page ranges).
func (v *genVersion) Allocated(ctx context.Context) ([]disks.Extent, error) {
	base, err := v.base.Allocated(ctx)
	if err != nil {
		return nil, err
	}
	var written, cleared []disks.Extent
	for po, ev := range v.pages {
		e := disks.Extent{Off: po, Len: min(pageSize, v.base.size-po)}
		if ev.clear {
			cleared = append(cleared, e)
		} else {
			written = append(written, e)
		}
	}
	return subtract(merge(append(base, written...)), merge(cleared)), nil
}

// changedFrom lists the pages where v differs from older (another
// generation of the same disk), merged: only pages some generation between
// them touched can differ, and each is compared.
func (v *genVersion) changedFrom(ctx context.Context, older *genVersion) ([]disks.Extent, error) {
	lo, hi := min(v.gen, older.gen), max(v.gen, older.gen)
	cand := map[int64]bool{}
	for g := lo + 1; g <= hi; g++ {
		for _, c := range v.base.changes(g) {
			cand[c.off] = true
		}
	}
	offs := make([]int64, 0, len(cand))
	for o := range cand {
		offs = append(offs, o)
	}
	slices.Sort(offs)
	var out []disks.Extent
	a, b := make([]byte, pageSize), make([]byte, pageSize)
	for _, o := range offs {
		n := min(pageSize, v.base.size-o)
		if err := v.ReadAt(ctx, a[:n], o); err != nil {
			return nil, err
		}
		if err := older.ReadAt(ctx, b[:n], o); err != nil {
			return nil, err
		}
		if string(a[:n]) != string(b[:n]) {
			out = append(out, disks.Extent{Off: o, Len: n})
		}
	}
	return merge(out), nil
}

// merge sorts extents and joins overlapping or touching ones.
func merge(in []disks.Extent) []disks.Extent {
	if len(in) == 0 {
		return nil
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Off < in[j].Off })
	out := []disks.Extent{in[0]}
	for _, e := range in[1:] {
		last := &out[len(out)-1]
		if e.Off <= last.Off+last.Len {
			last.Len = max(last.Len, e.Off+e.Len-last.Off)
			continue
		}
		out = append(out, e)
	}
	return out
}

// subtract removes holes (merged) from exts (merged).
func subtract(exts, holes []disks.Extent) []disks.Extent {
	var out []disks.Extent
	for _, e := range exts {
		start, end := e.Off, e.Off+e.Len
		for _, h := range holes {
			if h.Off+h.Len <= start || h.Off >= end {
				continue
			}
			if h.Off > start {
				out = append(out, disks.Extent{Off: start, Len: h.Off - start})
			}
			start = max(start, h.Off+h.Len)
		}
		if start < end {
			out = append(out, disks.Extent{Off: start, Len: end - start})
		}
	}
	return out
}

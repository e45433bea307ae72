package convert

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/renameio/v2"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
)

// MethodPrecopy, per disk. While the VM runs: CreateDisk (Upload),
// SnapshotVHD (the id journaled before it is used), the snapshot copied
// into the disk (disks.Copy, checkpointed), the disk read back and its
// HashTree leaves compared with the snapshot's. At cut-over, the VM
// deallocated: SnapshotVHD again, only ChangedSince(final, base) copied
// (cleared pages written as zeros), the chunks it touched read back on both
// sides, the content hashes of the final snapshot and of the disk rebuilt
// from the leaves and compared, EndUpload. The leaves live in a file under
// the state directory (one per disk), not in the journal: a 1 TiB disk has
// 262,144 of them. Snapshots are never deleted here (Cleanup).

// leafFile is one disk's HashTree leaves, hex by chunk index.
type leafFile struct {
	Size int64 `json:"size"`
	// Snapshot is the snapshot Source holds the leaves of: the base, then
	// the cut-over's once the delta is copied.
	Snapshot string           `json:"snapshot"`
	Source   map[int64]string `json:"source"`
	// Managed are the leaves read back from the managed disk.
	Managed map[int64]string `json:"managed,omitempty"`
	// Delta lists the chunks the delta wrote, read back by the
	// verification.
	Delta []int64 `json:"delta,omitempty"`
}

func (e *engine) leavesPath(rg, disk string) (string, error) {
	dir := filepath.Join(e.o.StateDir, "convert")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create checkpoint folder: %w", err)
	}
	return filepath.Join(dir, safeName(rg)+"__"+safeName(disk)+".leaves.json"), nil
}

func loadLeaves(path string) (*leafFile, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the state directory's own file
	if err != nil {
		return nil, err
	}
	var lf leafFile
	if err := json.Unmarshal(b, &lf); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if lf.Source == nil {
		lf.Source = map[int64]string{}
	}
	if lf.Managed == nil {
		lf.Managed = map[int64]string{}
	}
	return &lf, nil
}

func (lf *leafFile) save(path string) error {
	b, err := json.Marshal(lf)
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write leaves %s: %w", path, err)
	}
	return nil
}

func hexLeaves(m map[int64][32]byte) map[int64]string {
	out := make(map[int64]string, len(m))
	for k, v := range m {
		out[k] = hex.EncodeToString(v[:])
	}
	return out
}

// root is the content hash (hex) of a disk of size bytes from hex leaves.
func root(size int64, leaves map[int64]string) (string, error) {
	m := make(map[int64][32]byte, len(leaves))
	for k, v := range leaves {
		b, err := hex.DecodeString(v)
		if err != nil || len(b) != 32 {
			return "", fmt.Errorf("leaf of chunk %d: not a SHA-256", k)
		}
		m[k] = [32]byte(b)
	}
	return hexSum(disks.TreeRoot(size, m)), nil
}

func snapTarget(rg, disk string) string { return "snapshot/" + rg + "/" + disk }

// precopy copies every disk of the running VM from a snapshot of its VHD,
// at most Parallel VMs at once.
func (w *vmWork) precopy(ctx context.Context) error {
	select {
	case w.e.copying <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-w.e.copying }()
	if w.e.draining() && !w.rec.anyDisk() {
		return errDrained
	}
	if err := w.eachDisk(ctx, w.precopyDisk); err != nil {
		return err
	}
	w.rec.Step = stepPrecopied
	w.note(OpPrecopy, "every disk copied from a snapshot and verified while the VM runs")
	return w.save()
}

func (w *vmWork) precopyDisk(ctx context.Context, d cloud.VMDisk) error {
	dr := w.rec.Disks[keyOf(d.Name)]
	if !dr.Precopied {
		if !dr.Created {
			if err := w.createDisk(ctx, d, dr, cloud.CreateUpload); err != nil {
				return err
			}
		}
		if dr.Snapshot == "" {
			if err := w.snapshot(ctx, d, dr, func(id string) { dr.Snapshot = id }); err != nil {
				return err
			}
		}
		if !dr.Copied {
			if err := w.copySnapshot(ctx, d, dr); err != nil {
				return err
			}
		}
		if err := w.verifyPrecopy(ctx, d, dr); err != nil {
			return err
		}
	}
	return w.catchUp(ctx, d, dr)
}

// Catch-up passes, as the plan's downtime model counts them (plan.go's
// catchUpTarget and maxCatchUpPasses): while the VM runs, the pages it
// wrote since the last snapshot are copied again from a new one, until a
// pass takes under catchUpTarget (or maxCatchUpPasses were made), so the
// cut-over's delta is what a VM writes in about that long.

// catchUp makes the catch-up passes of a pre-copied disk.
func (w *vmWork) catchUp(ctx context.Context, d cloud.VMDisk, dr *diskRecord) error {
	for !dr.CaughtUp {
		start := w.e.now()
		if err := w.deltaPass(ctx, d, dr, false); err != nil {
			return err
		}
		took := w.e.now().Sub(start)
		dr.Passes++
		dr.CaughtUp = took < catchUpTarget || dr.Passes >= maxCatchUpPasses
		w.note(OpDelta, fmt.Sprintf("disk %s: catch-up pass %d took %s", d.Name, dr.Passes, took.Round(time.Millisecond)))
		if err := w.save(); err != nil {
			return err
		}
	}
	return nil
}

// deltaPass snapshots the VHD again, copies what changed since the last
// snapshot copied and verifies it; a pass while the VM runs then makes the
// new snapshot the base of the next, the cut-over's (final) leaves the
// disk verified.
func (w *vmWork) deltaPass(ctx context.Context, d cloud.VMDisk, dr *diskRecord, final bool) error {
	if dr.Final == "" {
		if err := w.snapshot(ctx, d, dr, func(id string) { dr.Final = id }); err != nil {
			return err
		}
	}
	if !dr.Delta {
		if err := w.copyDelta(ctx, d, dr); err != nil {
			return err
		}
	}
	if err := w.verifyDelta(ctx, d, dr, final); err != nil {
		return err
	}
	if !final {
		dr.Snapshot, dr.Final, dr.Delta = dr.Final, "", false
		return w.save()
	}
	return nil
}

// snapshot snapshots d's VHD, the id journaled with the call's outcome
// before anything uses it. An open intent is sent again: a snapshot taken
// by the lost call is unknown to the journal and left (it costs storage,
// never data); Cleanup removes only what the journal names.
func (w *vmWork) snapshot(ctx context.Context, d cloud.VMDisk, dr *diskRecord, set func(string)) error {
	var id string
	return w.ensure(ctx, OpSnapshot, snapTarget(w.def().ResourceGroup, d.Name), nil,
		func(ctx context.Context) error {
			var err error
			id, err = w.e.o.Snapshots.SnapshotVHD(ctx, d.VHDURI)
			return err
		},
		func() {
			set(id)
			dr.Snapshots = append(dr.Snapshots, id)
			w.note(OpSnapshot, "disk "+d.Name+": snapshot "+id)
		})
}

func (w *vmWork) openSnapshot(ctx context.Context, uri, snap string) (disks.Source, error) {
	var src disks.Source
	err := w.retry(ctx, "open snapshot", func(ctx context.Context) error {
		var err error
		src, err = w.e.o.Snapshots.OpenVHDSnapshot(ctx, uri, snap)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open snapshot %s: %w", snap, err)
	}
	return src, nil
}

func (w *vmWork) openUpload(ctx context.Context, d cloud.VMDisk, resume bool) (disks.Sink, error) {
	var sink disks.Sink
	err := w.retry(ctx, "grant write access", func(ctx context.Context) error {
		var err error
		sink, err = w.e.o.Data.OpenUpload(ctx, w.def().ResourceGroup, d.Name, d.SizeBytes, resume)
		return err
	})
	return sink, err
}

// uploadFrom copies src into d's managed disk open for upload, resumable
// from the checkpoint cp, rate capped, its progress reported under op: the
// one streamed copy into a managed disk, whatever its source (a VHD, a
// staging image, a snapshot).
func (w *vmWork) uploadFrom(ctx context.Context, op string, d cloud.VMDisk, src disks.Source, cp string, bw int64, iops int) (_ disks.Summary, err error) {
	resume := exists(cp)
	sink, err := w.openUpload(ctx, d, resume)
	if err != nil {
		return disks.Summary{}, err
	}
	defer closeWith(sink, &err, "close upload")
	prog := &disks.Progress{}
	w.e.event(Event{Target: w.plan.ID, Part: d.Name, Op: op, Progress: prog})
	return disks.Copy(ctx, src, sink, disks.CopyOptions{MaxBandwidth: bw, MaxIOPS: iops, Workers: w.e.o.Workers,
		Checkpoint: cp, Resume: resume, Progress: prog})
}

// copySnapshot copies the base snapshot into the disk, resumable from its
// checkpoint; its leaves go to the disk's leaves file. An open intent
// without a checkpoint copies again: the snapshot does not change, so the
// same bytes land where they were.
func (w *vmWork) copySnapshot(ctx context.Context, d cloud.VMDisk, dr *diskRecord) error {
	rg := w.def().ResourceGroup
	cp, err := w.e.checkpoint(rg, d.Name, "precopy")
	if err != nil {
		return err
	}
	lp, err := w.e.leavesPath(rg, d.Name)
	if err != nil {
		return err
	}
	bw, iops := w.caps(w.planDisk(d.Name))
	return w.copyLeg(ctx, OpPrecopy, diskTarget(rg, d.Name), func(ctx context.Context) (_ string, err error) {
		src, err := w.openSnapshot(ctx, d.VHDURI, dr.Snapshot)
		if err != nil {
			return "", err
		}
		defer func() { _ = src.Close() }() // read-only
		var sum disks.Summary
		if pc := w.e.pages(); pc != nil {
			sum, err = w.copyServerSide(ctx, pc, d, dr.Snapshot, src)
		} else {
			sum, err = w.uploadFrom(ctx, OpPrecopy, d, src, cp, bw, iops)
		}
		if err != nil {
			return "", err
		}
		lf := &leafFile{Size: sum.Size, Snapshot: dr.Snapshot, Source: hexLeaves(sum.Leaves)}
		if err := lf.save(lp); err != nil {
			return "", err
		}
		return treeSum(sum)
	}, func(sum string) { dr.Copied, dr.SourceSHA256 = true, sum })
}

// pages is the target's server-side page copy, nil where the pre-copy
// streams.
func (e *engine) pages() cloud.PageCopier {
	if e.o.Pages != nil && e.o.Pages.PageCopySupported() {
		return e.o.Pages
	}
	return nil
}

// copyServerSide is the pre-copy's base copy where the target has Put
// Page From URL: the snapshot is read once here for its hash and leaves
// (what verification compares), its non-zero extents are copied by the
// storage service into the disk's upload, cleared first (no checkpoint:
// a copy cut short is done again whole, the snapshot does not change),
// and the upload's fixed VHD footer is written as the streamed copy
// writes it.
func (w *vmWork) copyServerSide(ctx context.Context, pc cloud.PageCopier, d cloud.VMDisk, snap string, src disks.Source) (disks.Summary, error) {
	prog := &disks.Progress{}
	w.e.event(Event{Target: w.plan.ID, Part: d.Name, Op: OpPrecopy, Progress: prog, Note: "hashing the snapshot; the storage service copies its pages"})
	sum, err := disks.Copy(ctx, src, discard{}, disks.CopyOptions{Workers: w.e.o.Workers, Progress: prog})
	if err != nil {
		return disks.Summary{}, fmt.Errorf("hash snapshot %s: %w", snap, err)
	}
	if err := w.pagesInto(ctx, pc, d, snap, sum.Extents, false, sum.Size); err != nil {
		return disks.Summary{}, err
	}
	return sum, nil
}

// pagesInto has the storage service copy extents of the snapshot into d's
// upload (resume keeps what the disk holds, else it is cleared first),
// then finishes the upload's data (its footer). CopyPages is idempotent,
// so a transient fault is simply retried.
func (w *vmWork) pagesInto(ctx context.Context, pc cloud.PageCopier, d cloud.VMDisk, snap string, extents []disks.Extent, resume bool, size int64) (err error) {
	sink, err := w.openUpload(ctx, d, resume)
	if err != nil {
		return err
	}
	defer closeWith(sink, &err, "close upload")
	rg := w.def().ResourceGroup
	err = w.retry(ctx, "copy pages server side", func(ctx context.Context) error {
		return pc.CopyPages(ctx, d.VHDURI, snap, rg, d.Name, extents)
	})
	if err != nil {
		return fmt.Errorf("copy pages of snapshot %s into disk %s (Put Page From URL): %w", snap, d.Name, err)
	}
	if err := sink.Finish(ctx, disks.Summary{Size: size}); err != nil {
		return fmt.Errorf("finish the upload of disk %s: %w", d.Name, err)
	}
	return nil
}

// managedLeaves reads the whole managed disk back.
func (w *vmWork) managedLeaves(ctx context.Context, d cloud.VMDisk) (map[int64]string, error) {
	var leaves map[int64]string
	err := w.retry(ctx, "read the managed disk back", func(ctx context.Context) error {
		src, err := w.e.o.Data.OpenManaged(ctx, w.def().ResourceGroup, d.Name)
		if err != nil {
			return err
		}
		defer func() { _ = src.Close() }() // read-only
		prog := &disks.Progress{}
		w.e.event(Event{Target: w.plan.ID, Part: d.Name, Op: "Verify", Progress: prog})
		sum, err := disks.Copy(ctx, src, discard{}, disks.CopyOptions{Workers: w.e.o.Workers, Progress: prog})
		if err != nil {
			return err
		}
		leaves = hexLeaves(sum.Leaves)
		return nil
	})
	return leaves, err
}

// verifyPrecopy reads the managed disk back and compares it with the base
// snapshot leaf by leaf. A mismatch deletes the disk and fails the VM,
// which runs on as it was.
func (w *vmWork) verifyPrecopy(ctx context.Context, d cloud.VMDisk, dr *diskRecord) error {
	rg := w.def().ResourceGroup
	lp, err := w.e.leavesPath(rg, d.Name)
	if err != nil {
		return err
	}
	lf, err := loadLeaves(lp)
	if errors.Is(err, fs.ErrNotExist) {
		// The snapshot's leaves are lost (a state directory restored
		// from elsewhere): copy it again, which makes them.
		dr.Copied = false
		if err := w.copySnapshot(ctx, d, dr); err != nil {
			return err
		}
		lf, err = loadLeaves(lp)
	}
	if err != nil {
		return fmt.Errorf("leaves of the pre-copy: %w", err)
	}
	got, err := w.managedLeaves(ctx, d)
	if err != nil {
		return err
	}
	src, err := root(lf.Size, lf.Source)
	if err != nil {
		return err
	}
	mine, err := root(lf.Size, got)
	if err != nil {
		return err
	}
	if bad := diffLeaves(lf.Source, got); len(bad) > 0 {
		w.note("Verify", fmt.Sprintf("disk %s pre-copy MISMATCH in %d chunk(s) (first at byte %d): source sha256 %s, managed disk %s", d.Name, len(bad), bad[0]*disks.ChunkSize, src, mine))
		if err := w.save(); err != nil {
			return err
		}
		if err := w.deleteDisk(ctx, d.Name, dr); err != nil {
			return err
		}
		return fmt.Errorf("%w: pre-copy from snapshot differs in %d chunk(s); the managed disk was deleted, the VM is as it was", ErrVerify, len(bad))
	}
	lf.Managed = got
	if err := lf.save(lp); err != nil {
		return err
	}
	dr.Precopied, dr.SourceSHA256, dr.ManagedSHA256 = true, src, mine
	w.note("Verify", "disk "+d.Name+" pre-copy verified: sha256 "+mine)
	return w.save()
}

// diffLeaves lists, sorted, the chunks whose leaves differ.
func diffLeaves(a, b map[int64]string) []int64 {
	var out []int64
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// cutoverDisk finishes a pre-copied disk while the VM is deallocated.
func (w *vmWork) cutoverDisk(ctx context.Context, d cloud.VMDisk) error {
	rg := w.def().ResourceGroup
	dr := w.rec.Disks[keyOf(d.Name)]
	if dr.Mismatch {
		return errMismatch
	}
	if !dr.Verified {
		if !dr.Precopied || !dr.CaughtUp {
			// Its managed disk was dropped while the VM stayed down (a
			// mismatch of a VM deallocated before): copy it whole now;
			// the VM does not run, so nothing changes meanwhile.
			if err := w.precopyDisk(ctx, d); err != nil {
				return err
			}
		}
		if err := w.deltaPass(ctx, d, dr, true); err != nil {
			return err
		}
	}
	if !dr.Uploaded {
		return w.ensure(ctx, OpEndUpload, diskTarget(rg, d.Name),
			func(ctx context.Context) (bool, error) {
				md, err := w.e.o.Compute.GetDisk(ctx, rg, d.Name)
				return err == nil && uploadEnded(md.State), err
			},
			func(ctx context.Context) error { return w.e.o.Data.EndUpload(ctx, rg, d.Name) },
			func() { dr.Uploaded = true })
	}
	return nil
}

// chunkExtents splits sorted extents by chunk, clipped to size.
func chunkExtents(ext []disks.Extent, size int64) map[int64][]disks.Extent {
	out := map[int64][]disks.Extent{}
	for _, e := range ext {
		lo, hi := max(e.Off, 0), min(e.Off+e.Len, size)
		for lo < hi {
			idx := lo / disks.ChunkSize
			end := min(hi, (idx+1)*disks.ChunkSize)
			out[idx] = append(out[idx], disks.Extent{Off: lo, Len: end - lo})
			lo = end
		}
	}
	return out
}

// readChunk fills buf with chunk idx of src: its allocated ranges read,
// the rest zeros.
func readChunk(ctx context.Context, src disks.Source, alloc []disks.Extent, idx int64, buf []byte) error {
	off := idx * disks.ChunkSize
	clear(buf)
	end := off + int64(len(buf))
	for _, a := range alloc {
		lo, hi := max(a.Off, off), min(a.Off+a.Len, end)
		if lo >= hi {
			continue
		}
		if err := src.ReadAt(ctx, buf[lo-off:hi-off], lo); err != nil {
			return fmt.Errorf("read [%d, %d): %w", lo, hi, err)
		}
	}
	return nil
}

// copyDelta copies what changed between the base and the final snapshot:
// each changed range is written whole, zeros included, since pages
// cleared since the base read as zeros and the copier's zero skipping
// would leave the base's data there. The leaves of every chunk touched are
// computed from the final snapshot. Sent again after an interruption: both
// snapshots are fixed, so the same bytes land where they were.
func (w *vmWork) copyDelta(ctx context.Context, d cloud.VMDisk, dr *diskRecord) error {
	rg := w.def().ResourceGroup
	lp, err := w.e.leavesPath(rg, d.Name)
	if err != nil {
		return err
	}
	var note string
	return w.copyLeg(ctx, OpDelta, diskTarget(rg, d.Name), func(ctx context.Context) (_ string, err error) {
		var changed []disks.Extent
		err = w.retry(ctx, "list changed pages", func(ctx context.Context) error {
			var err error
			changed, err = w.e.o.Snapshots.ChangedSince(ctx, d.VHDURI, dr.Final, dr.Snapshot)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("pages changed since the pre-copy: %w", err)
		}
		lf, err := loadLeaves(lp)
		if err != nil {
			return "", fmt.Errorf("leaves of the pre-copy: %w", err)
		}
		src, err := w.openSnapshot(ctx, d.VHDURI, dr.Final)
		if err != nil {
			return "", err
		}
		defer func() { _ = src.Close() }() // read-only
		alloc, err := src.Allocated(ctx)
		if err != nil {
			return "", fmt.Errorf("page ranges of snapshot %s: %w", dr.Final, err)
		}
		// Where the storage service copies pages, the changed chunks are
		// still read here (their leaves are what verifyDelta compares)
		// and the changed ranges copied by the service; else written.
		pc := w.e.pages()
		var sink disks.Sink
		if pc == nil {
			sink, err = w.openUpload(ctx, d, true)
			if err != nil {
				return "", err
			}
			defer closeWith(sink, &err, "close upload")
		}
		byChunk := chunkExtents(changed, lf.Size)
		idxs := slices.Sorted(maps.Keys(byChunk))
		buf := make([]byte, disks.ChunkSize)
		var n int64
		for _, idx := range idxs {
			off := idx * disks.ChunkSize
			data := buf[:min(disks.ChunkSize, lf.Size-off)]
			if err := readChunk(ctx, src, alloc, idx, data); err != nil {
				return "", err
			}
			if leaf, ok := disks.LeafDigest(data, off); ok {
				lf.Source[idx] = hex.EncodeToString(leaf[:])
			} else {
				delete(lf.Source, idx)
			}
			if sink != nil {
				if err := sink.WriteChunk(ctx, &disks.Chunk{Off: off, Data: data, Extents: byChunk[idx]}); err != nil {
					return "", fmt.Errorf("write the delta at %d: %w", off, err)
				}
			}
			for _, e := range byChunk[idx] {
				n += e.Len
			}
		}
		if pc != nil {
			if err := w.pagesInto(ctx, pc, d, dr.Final, changed, true, lf.Size); err != nil {
				return "", err
			}
		} else if err := sink.Finish(ctx, disks.Summary{Size: lf.Size}); err != nil {
			return "", fmt.Errorf("finish the delta: %w", err)
		}
		lf.Snapshot, lf.Delta = dr.Final, idxs
		if err := lf.save(lp); err != nil {
			return "", err
		}
		note = fmt.Sprintf("disk %s: %d byte(s) changed since the pre-copy in %d chunk(s)", d.Name, n, len(idxs))
		return root(lf.Size, lf.Source)
	}, func(sum string) {
		dr.Delta, dr.SourceSHA256 = true, sum
		w.note(OpDelta, note)
	})
}

// verifyDelta reads back the chunks the delta wrote and compares the disk's
// content hash, rebuilt from its leaves, with the final snapshot's: the
// other chunks were read back by the pre-copy and nothing wrote them since.
// The VM stays down only for what changed.
func (w *vmWork) verifyDelta(ctx context.Context, d cloud.VMDisk, dr *diskRecord, final bool) error {
	rg := w.def().ResourceGroup
	lp, err := w.e.leavesPath(rg, d.Name)
	if err != nil {
		return err
	}
	lf, err := loadLeaves(lp)
	if err != nil {
		return fmt.Errorf("leaves of the delta: %w", err)
	}
	err = w.retry(ctx, "read the delta back", func(ctx context.Context) error {
		src, err := w.e.o.Data.OpenManaged(ctx, rg, d.Name)
		if err != nil {
			return err
		}
		defer func() { _ = src.Close() }() // read-only
		alloc, err := src.Allocated(ctx)
		if err != nil {
			return err
		}
		buf := make([]byte, disks.ChunkSize)
		for _, idx := range lf.Delta {
			off := idx * disks.ChunkSize
			data := buf[:min(disks.ChunkSize, lf.Size-off)]
			if err := readChunk(ctx, src, alloc, idx, data); err != nil {
				return err
			}
			if leaf, ok := disks.LeafDigest(data, off); ok {
				lf.Managed[idx] = hex.EncodeToString(leaf[:])
			} else {
				delete(lf.Managed, idx)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the delta back: %w", err)
	}
	src, err := root(lf.Size, lf.Source)
	if err != nil {
		return err
	}
	got, err := root(lf.Size, lf.Managed)
	if err != nil {
		return err
	}
	dr.SourceSHA256, dr.ManagedSHA256 = src, got
	if src == got && !final {
		return lf.save(lp)
	}
	if !final {
		// The VM runs on its VHDs: drop the disk, nothing else changes.
		w.note("Verify", fmt.Sprintf("disk %s MISMATCH after a catch-up pass: source sha256 %s, managed disk %s", d.Name, src, got))
		if err := w.deleteDisk(ctx, d.Name, dr); err != nil {
			return err
		}
		return fmt.Errorf("%w: a catch-up pass differs from its snapshot; the managed disk was deleted, the VM is as it was", ErrVerify)
	}
	if src == got {
		if err := lf.save(lp); err != nil {
			return err
		}
		dr.Verified = true
		w.note("Verify", fmt.Sprintf("disk %s verified (%d chunk(s) changed at cut-over read back): sha256 %s", d.Name, len(lf.Delta), got))
		w.e.event(Event{Target: w.plan.ID, Part: d.Name, Op: "Verify", Note: "sha256 " + got})
		return w.save()
	}
	dr.Mismatch = true
	w.note("Verify", fmt.Sprintf("disk %s MISMATCH after the delta: source sha256 %s, managed disk %s", d.Name, src, got))
	if err := w.save(); err != nil {
		return err
	}
	return errMismatch
}

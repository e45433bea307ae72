package sim

import (
	"context"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
)

// The simulator's server-side page copy (cloud.PageCopier): what Put Page
// From URL does on Azure and on Azure Stack Hub from its 2005 update (both
// profiles model a serviced target), done over the simulator's own files:
// the snapshot's pages read and written into the disk's upload at the same
// offsets, never through the caller.

var _ cloud.PageCopier = (*Sim)(nil)

// PageCopySupported is true on both profiles (cloud.ErrPageCopyUnsupported
// says which targets lack it).
func (s *Sim) PageCopySupported() bool { return true }

// CopyPages writes the snapshot's extents into the open upload of
// resourceGroup/name. An unknown disk, VHD or snapshot, and a disk with no
// upload open, are cloud.ErrNotFound.
func (s *Sim) CopyPages(ctx context.Context, vhdURI, snapshot, resourceGroup, name string, extents []disks.Extent) (err error) {
	what := fmt.Sprintf("copy pages of %s@%s into %s/%s", disks.RedactURL(vhdURI), snapshot, resourceGroup, name)
	var size int64
	err = s.update(func(p *persisted) (bool, error) {
		d, ok := p.Disks[armKey(resourceGroup, name)]
		switch {
		case !ok:
			return false, cloud.ErrNotFound
		case d.State != cloud.DiskActiveUpload:
			return false, fmt.Errorf("disk %s is %s: no upload is open: %w", name, d.State, cloud.ErrNotFound)
		}
		size = d.SizeBytes
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	src, err := s.OpenVHDSnapshot(ctx, vhdURI, snapshot)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer func() { _ = src.Close() }() // read only
	sink, err := vhd.ReopenFixed(s.diskPath(resourceGroup, name), size)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	// Closed without Finish: the upload stays open for the rest of it.
	defer func() {
		if cerr := sink.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", what, cerr)
		}
	}()
	for _, e := range extents {
		if e.Off%512 != 0 || e.Len%512 != 0 || e.Off < 0 || e.Off+e.Len > size || e.Off+e.Len > src.Size() {
			return fmt.Errorf("%s: %w", what, &cloud.OperationError{Code: "InvalidPageRange",
				Message: fmt.Sprintf("range [%d, %d) is not 512-byte aligned inside both disks", e.Off, e.Off+e.Len)})
		}
		for off := e.Off; off < e.Off+e.Len; {
			// One call's worth at most, never across a chunk of the sink.
			chunk := off - off%disks.ChunkSize
			end := min(e.Off+e.Len, off+cloud.PageCopyMaxBytes, chunk+disks.ChunkSize)
			c := &disks.Chunk{Off: chunk, Data: make([]byte, min(disks.ChunkSize, size-chunk)),
				Extents: []disks.Extent{{Off: off, Len: end - off}}}
			if err := src.ReadAt(ctx, c.Data[off-chunk:end-chunk], off); err != nil {
				return fmt.Errorf("%s: read [%d, %d): %w", what, off, end, err)
			}
			if err := sink.WriteChunk(ctx, c); err != nil {
				return fmt.Errorf("%s: write [%d, %d): %w", what, off, end, err)
			}
			off = end
		}
	}
	return nil
}

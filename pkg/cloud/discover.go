package cloud

import (
	"context"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Discoverer reads a classic estate as it now stands. It is a separate,
// optional interface (found by type assertion on a driver) because discovery
// is a different job from migration: a driver may support one without the
// other.
type Discoverer interface {
	// Discover returns the classic resources the cloud holds now: resources
	// of committed units are gone. It changes nothing and is safe for
	// concurrent use; it may return *TransientError.
	Discover(ctx context.Context) (*inventory.Inventory, error)
}

// BlobSizer reads the sizes of classic VHDs' page blobs from the storage
// service. Service Management registers a disk's logical size, never its
// blob's, and the platform warns when the two disagree (the
// disk-size-mismatch rule). It is optional and separate from Discoverer
// because it reads the data plane, and on Azure each account's keys: an
// operator may not reach one or may not want the other read.
type BlobSizer interface {
	// BlobSizes returns the size in bytes (Get Blob Properties'
	// Content-Length: the virtual size plus the 512-byte footer for a
	// well-formed VHD) of each page blob in vhdURIs that exists, keyed by
	// the URI as given; a missing blob is left out. It changes nothing and
	// is safe for concurrent use; it may return *TransientError.
	BlobSizes(ctx context.Context, vhdURIs []string) (map[string]int64, error)
}

// ReadBlobSizes sets each disk's BlobSizeBytes in inv from b, and clears
// it for a disk whose blob b does not find, so an inventory never carries
// a size nobody read.
func ReadBlobSizes(ctx context.Context, b BlobSizer, inv *inventory.Inventory) error {
	var uris []string
	for _, sa := range inv.StorageAccounts {
		for _, d := range sa.Disks {
			if d.VHDURI != "" {
				uris = append(uris, d.VHDURI)
			}
		}
	}
	if len(uris) == 0 {
		return nil
	}
	sizes, err := b.BlobSizes(ctx, uris)
	if err != nil {
		return fmt.Errorf("read blob sizes: %w", err)
	}
	for i := range inv.StorageAccounts {
		for j := range inv.StorageAccounts[i].Disks {
			d := &inv.StorageAccounts[i].Disks[j]
			d.BlobSizeBytes = sizes[d.VHDURI]
		}
	}
	return nil
}

package azure

import (
	"context"
	"fmt"
	"strings"
	"sync"

	azpageblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
)

// uploadGrants holds the write SAS of each upload the driver opened, until
// EndUpload: a server-side page copy writes into the same grant the
// streaming sink does (a second grant of a disk in ActiveUpload is not
// something to rely on). The SAS never leaves the driver.
type uploadGrants struct {
	mu sync.Mutex
	m  map[string]string
}

func uploadKey(rg, name string) string { return strings.ToLower(rg + "/" + name) }

func (u *uploadGrants) set(rg, name, sasURL string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[string]string{}
	}
	u.m[uploadKey(rg, name)] = sasURL
}

func (u *uploadGrants) get(rg, name string) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s, ok := u.m[uploadKey(rg, name)]
	return s, ok
}

func (u *uploadGrants) drop(rg, name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.m, uploadKey(rg, name))
}

// PageCopySupported is true unless the configured Blob service version
// (api.blob) is older than Put Page From URL (cloud.PageCopyMinVersion);
// Azure and every serviced Azure Stack Hub update have it
// (cloud.ErrPageCopyUnsupported cites where).
func (d *Driver) PageCopySupported() bool {
	v := d.ep.api.Blob
	return v == "" || v >= cloud.PageCopyMinVersion
}

// CopyPages copies the snapshot's extents into the open upload with Put
// Page From URL (PUT ?comp=page, x-ms-page-write: update,
// x-ms-copy-source: the snapshot's read SAS, x-ms-source-range and
// x-ms-range the same bytes; azblob's UploadPagesFromURL), at most
// cloud.PageCopyMaxBytes per call. The source SAS is signed with the
// account key like every VHD read; neither SAS is returned or logged.
func (d *Driver) CopyPages(ctx context.Context, vhdURI, snapshot, rg, name string, extents []disks.Extent) error {
	what := fmt.Sprintf("copy pages of %s@%s into %s/%s", disks.RedactURL(vhdURI), snapshot, rg, name)
	if !d.PageCopySupported() {
		return fmt.Errorf("%s: %w", what, cloud.ErrPageCopyUnsupported)
	}
	dst, ok := d.uploads.get(rg, name)
	if !ok {
		return fmt.Errorf("%s: no upload is open for the disk: %w", what, cloud.ErrNotFound)
	}
	src, err := d.vhdSAS(ctx, vhdURI, snapshot, sas.BlobPermissions{Read: true})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c, err := azpageblob.NewClientWithNoCredential(dst, d.blobOptions().Client)
	if err != nil {
		return fmt.Errorf("%s: %w", what, disks.RedactError(err, dst))
	}
	for _, e := range extents {
		for off := e.Off; off < e.Off+e.Len; off += cloud.PageCopyMaxBytes {
			n := min(cloud.PageCopyMaxBytes, e.Off+e.Len-off)
			if _, err := c.UploadPagesFromURL(ctx, src, off, off, n, nil); err != nil {
				return fmt.Errorf("%s: [%d, %d): %w", what, off, off+n, blobErr(disks.RedactError(err, src), dst))
			}
		}
	}
	return nil
}

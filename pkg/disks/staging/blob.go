package staging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// maxPutPage is the most one Put Page call may carry (the service's limit,
// the same as pageblob.MaxPutPage in pkg/disks/pageblob).
const maxPutPage = 4 << 20

// BlobOptions tune the blob-container store's clients.
type BlobOptions struct {
	// Client passes pipeline options (retries, transport) to azblob; nil
	// takes its defaults, which already retry 408, 429 and 5xx answers, so
	// nothing here retries again.
	Client *policy.ClientOptions
}

// BlobStore is the Store of a blob container reached through a SAS:
// NAME.img is a page blob of the disk's virtual size, written only where
// the image has extents (unwritten pages are holes, and Get Page Ranges
// lists exactly the written ones), and NAME.manifest.json is a block blob
// replaced by a single Put Blob.
//
// Durability: a Put Page or Put Blob call is durable when it returns
// success (Azure Storage acknowledges a write only once it is committed to
// its replicas), so WritableImage.Sync has nothing left to do and returns
// at once; a chunk the copier checkpoints after Sync is already stored.
//
// Secrets: the SAS lives only in the clients' URLs. String, every error and
// everything a Sink puts in its State are free of it (the State holds no
// location at all, so a resumed copy may, and after expiry must, come with
// a fresh SAS for the same container and NAME).
//
// The container must exist; the SAS needs read, write, create and delete
// permission on its blobs (sp=rcwd) to write an image, read to open one.
// Safe for concurrent use.
type BlobStore struct {
	display string // scheme://host/container-path/NAME, no query
	secret  string // a URL carrying the SAS, for redacting errors
	imgURL  string
	img     *pageblob.Client
	man     *blockblob.Client
}

var _ Store = (*BlobStore)(nil)

// NewBlobStore returns the Store of staging image name in the container at
// containerURL (https://ACCOUNT.blob.core.windows.net/CONTAINER?SAS, or a
// path-style endpoint such as Azurite's http://127.0.0.1:10000/ACCOUNT/
// CONTAINER?SAS). name is a blob name prefix: NAME.img and
// NAME.manifest.json. It does no I/O.
func NewBlobStore(containerURL, name string, o BlobOptions) (*BlobStore, error) {
	u, err := url.Parse(containerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: %s: want https://ACCOUNT.blob.core.windows.net/CONTAINER?SAS", ErrLocation, disks.RedactURL(containerURL))
	}
	cpath := strings.TrimSuffix(u.EscapedPath(), "/")
	if cpath == "" {
		return nil, fmt.Errorf("%w: %s: no container in the URL", ErrLocation, disks.RedactURL(containerURL))
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\") {
		return nil, fmt.Errorf("%w: staging image name %q is empty, a dot path or holds a slash", ErrLocation, name)
	}
	base := u.Scheme + "://" + u.Host + cpath + "/"
	query := ""
	if u.RawQuery != "" {
		query = "?" + u.RawQuery
	}
	st := &BlobStore{
		display: base + url.PathEscape(name),
		secret:  containerURL,
		imgURL:  base + url.PathEscape(name+".img") + query,
	}
	var co policy.ClientOptions
	if o.Client != nil {
		co = *o.Client
	}
	st.img, err = pageblob.NewClientWithNoCredential(st.imgURL, &pageblob.ClientOptions{ClientOptions: co})
	if err != nil {
		return nil, fmt.Errorf("staging %s: %w", st.display, st.fail("page blob client", err))
	}
	st.man, err = blockblob.NewClientWithNoCredential(base+url.PathEscape(name+".manifest.json")+query, &blockblob.ClientOptions{ClientOptions: co})
	if err != nil {
		return nil, fmt.Errorf("staging %s: %w", st.display, st.fail("block blob client", err))
	}
	return st, nil
}

// String implements Store: the image's location without its SAS.
func (b *BlobStore) String() string { return b.display }

// ImageURL is the URL of the NAME.img page blob WITH the SAS, for a plain
// (--no-encrypt) copy through pkg/disks/pageblob. Never print or log it.
func (b *BlobStore) ImageURL() string { return b.imgURL }

// fail wraps err with what was being done and scrubs the SAS from err's own
// text (azcore puts the request URL in its errors). Like DirStore's, the
// errors do not repeat the location: Sink and Source prefix String.
func (b *BlobStore) fail(what string, err error) error {
	return fmt.Errorf("%s: %w", what, disks.RedactError(err, b.secret))
}

// notFound makes a missing blob (or container) match fs.ErrNotExist, as
// Store's contract asks, keeping the service's error for its message.
func (b *BlobStore) notFound(what string, err error) error {
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return fmt.Errorf("%s: %w: %w", what, fs.ErrNotExist, disks.RedactError(err, b.secret))
	}
	return b.fail(what, err)
}

// OpenImage implements Store. A missing NAME.img wraps fs.ErrNotExist.
func (b *BlobStore) OpenImage(ctx context.Context) (Image, error) {
	if _, err := b.img.GetProperties(ctx, nil); err != nil {
		return nil, b.notFound("open staging image", err)
	}
	return &blobImage{b}, nil
}

// CreateImage implements Store: an empty page blob when NAME.img does not
// exist; an existing blob is kept as it is (Truncate(0) replaces it).
func (b *BlobStore) CreateImage(ctx context.Context) (WritableImage, error) {
	_, err := b.img.GetProperties(ctx, nil)
	switch {
	case bloberror.HasCode(err, bloberror.BlobNotFound):
		if _, err := b.img.Create(ctx, 0, nil); err != nil {
			return nil, b.fail("create staging image", err)
		}
	case err != nil:
		return nil, b.fail("create staging image", err)
	}
	return &blobImage{b}, nil
}

// ReadManifest implements Store. A missing manifest wraps fs.ErrNotExist.
func (b *BlobStore) ReadManifest(ctx context.Context) ([]byte, error) {
	r, err := b.man.DownloadStream(ctx, nil)
	if err != nil {
		return nil, b.notFound("read staging manifest", err)
	}
	body := r.NewRetryReader(ctx, nil)
	defer func() { _ = body.Close() }() // read only
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, b.fail("read staging manifest", err)
	}
	return data, nil
}

// WriteManifest implements Store with one Put Blob, which the service
// applies atomically and durably: readers see the old blob or the new one.
func (b *BlobStore) WriteManifest(ctx context.Context, data []byte) error {
	_, err := b.man.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr("application/json")},
	})
	if err != nil {
		return b.fail("write staging manifest", err)
	}
	return nil
}

// RemoveManifest implements Store: the manifest blob and any snapshots of
// it are deleted; a missing one is not an error.
func (b *BlobStore) RemoveManifest(ctx context.Context) error {
	_, err := b.man.Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude)})
	if err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound) {
		return b.fail("remove stale staging manifest", err)
	}
	return nil
}

// blobImage is NAME.img opened for reading or writing; the clients hold no
// resources, so Close does nothing.
type blobImage struct{ b *BlobStore }

// maxReadGap is the widest hole a Source reads through rather than split a
// read in two: about what a connection moves in one round trip.
const maxReadGap = 512 << 10

// MaxReadGap makes the Source read across holes of up to maxReadGap bytes
// (it zeroes them after): one Get Blob instead of one per extent.
func (i *blobImage) MaxReadGap() int64 { return maxReadGap }

// ReadAt is one ranged Get Blob, its body read through azblob's retry
// reader so a connection lost mid-body resumes where it stopped.
func (i *blobImage) ReadAt(ctx context.Context, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	what := fmt.Sprintf("read staging image at %d (+%d)", off, len(p))
	r, err := i.b.img.DownloadStream(ctx, &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: int64(len(p))}})
	if err != nil {
		return i.b.fail(what, err)
	}
	body := r.NewRetryReader(ctx, nil)
	defer func() { _ = body.Close() }() // read only
	if _, err := io.ReadFull(body, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return i.b.fail(what, err)
	}
	return nil
}

// WriteAt puts p with Put Page calls of at most 4 MiB. Page blobs take
// whole 512-byte pages only, so off and len(p) must be multiples of 512
// (the Sink writes whole sectors).
func (i *blobImage) WriteAt(ctx context.Context, p []byte, off int64) error {
	if off%disks.SectorSize != 0 || len(p)%disks.SectorSize != 0 {
		return fmt.Errorf("write staging image at %d (+%d): not 512-byte aligned", off, len(p))
	}
	for len(p) > 0 {
		n := min(len(p), maxPutPage)
		body := streaming.NopCloser(bytes.NewReader(p[:n]))
		if _, err := i.b.img.UploadPages(ctx, body, blob.HTTPRange{Offset: off, Count: int64(n)}, nil); err != nil {
			return i.b.fail(fmt.Sprintf("write staging image at %d (+%d): put page", off, n), err)
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// Size is the page blob's length; a blob of another type is refused.
func (i *blobImage) Size(ctx context.Context) (int64, error) {
	p, err := i.b.img.GetProperties(ctx, nil)
	if err != nil {
		return 0, i.b.notFound("stat staging image", err)
	}
	if p.BlobType == nil {
		return 0, errors.New("staging image blob: no blob type")
	}
	if *p.BlobType != blob.BlobTypePageBlob {
		return 0, fmt.Errorf("staging image blob is a %s, not a page blob", *p.BlobType)
	}
	if p.ContentLength == nil {
		return 0, errors.New("staging image blob: no length")
	}
	return *p.ContentLength, nil
}

// Truncate sets the page blob's length (Set Blob Properties): growing adds
// unwritten pages, shrinking drops the pages beyond. Truncate(0) instead
// replaces NAME.img with a new empty page blob (Put Blob), which also
// clears a blob of another type or with other properties.
func (i *blobImage) Truncate(ctx context.Context, size int64) error {
	if size == 0 {
		if _, err := i.b.img.Create(ctx, 0, nil); err != nil {
			return i.b.fail("size staging image to 0", err)
		}
		return nil
	}
	if _, err := i.b.img.Resize(ctx, size, nil); err != nil {
		return i.b.fail(fmt.Sprintf("size staging image to %d", size), err)
	}
	return nil
}

// Sync does nothing: every Put Page is durable when it returns, and
// WriteAt returns only after its last one did.
func (i *blobImage) Sync(ctx context.Context) error { return nil }

// Close does nothing: the clients hold no resources.
func (i *blobImage) Close() error { return nil }

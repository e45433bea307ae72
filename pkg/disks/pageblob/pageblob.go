package pageblob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
)

// MaxPutPage is the most one Put Page call may carry.
const MaxPutPage = 4 << 20

// Options tune the blob client.
type Options struct {
	// VHDFooter makes the sink write a fixed VHD footer after the data
	// (the blob is size+512 bytes), as a managed disk upload requires.
	VHDFooter bool
	// Client passes pipeline options (retries, transport) to azblob; nil
	// takes its defaults.
	Client *pageblob.ClientOptions
}

func newClient(blobURL string, o Options) (*pageblob.Client, error) {
	c, err := pageblob.NewClientWithNoCredential(blobURL, o.Client)
	if err != nil {
		return nil, fmt.Errorf("page blob %s: %w", disks.RedactURL(blobURL), disks.RedactError(err, blobURL))
	}
	return c, nil
}

// Sink uploads a disk into a page blob. Safe for concurrent WriteChunk.
type Sink struct {
	c      *pageblob.Client
	url    string
	size   int64
	footer bool
}

var _ disks.Sink = (*Sink)(nil)

// Create creates (or replaces) the page blob at blobURL, sized for a disk of
// size bytes (a multiple of 512) plus a footer when o.VHDFooter.
func Create(ctx context.Context, blobURL string, size int64, o Options) (*Sink, error) {
	s, err := newSink(blobURL, size, o)
	if err != nil {
		return nil, err
	}
	if _, err := s.c.Create(ctx, s.blobSize(), nil); err != nil {
		return nil, s.fail("create page blob", err)
	}
	return s, nil
}

// Reopen continues the page blob an interrupted copy left: it must exist
// with the expected size, and its pages are kept.
func Reopen(ctx context.Context, blobURL string, size int64, o Options) (*Sink, error) {
	s, err := newSink(blobURL, size, o)
	if err != nil {
		return nil, err
	}
	p, err := s.c.GetProperties(ctx, nil)
	if err != nil {
		return nil, s.fail("reopen page blob", err)
	}
	if p.ContentLength == nil || *p.ContentLength != s.blobSize() {
		return nil, fmt.Errorf("reopen page blob %s: it is not %d bytes long", disks.RedactURL(blobURL), s.blobSize())
	}
	return s, nil
}

func newSink(blobURL string, size int64, o Options) (*Sink, error) {
	if size <= 0 || size%pageblob.PageBytes != 0 {
		return nil, fmt.Errorf("page blob %s: disk size %d is not a positive multiple of 512", disks.RedactURL(blobURL), size)
	}
	if o.VHDFooter && size%(1<<20) != 0 {
		return nil, fmt.Errorf("page blob %s of %d bytes: %w", disks.RedactURL(blobURL), size, vhd.ErrSizeNotMiB)
	}
	c, err := newClient(blobURL, o)
	if err != nil {
		return nil, err
	}
	return &Sink{c: c, url: blobURL, size: size, footer: o.VHDFooter}, nil
}

func (s *Sink) blobSize() int64 {
	if s.footer {
		return s.size + vhd.FooterSize
	}
	return s.size
}

// fail wraps err with what was done and the redacted URL, and scrubs the
// SAS from err's own text.
func (s *Sink) fail(what string, err error) error {
	return fmt.Errorf("%s %s: %w", what, disks.RedactURL(s.url), disks.RedactError(err, s.url))
}

// WriteChunk puts each extent with Put Page calls of at most 4 MiB.
func (s *Sink) WriteChunk(ctx context.Context, c *disks.Chunk) error {
	for _, e := range c.Extents {
		for off := e.Off; off < e.Off+e.Len; {
			n := min(e.Off+e.Len-off, MaxPutPage)
			if err := s.put(ctx, c.Data[off-c.Off:off-c.Off+n], off); err != nil {
				return err
			}
			off += n
		}
	}
	return nil
}

func (s *Sink) put(ctx context.Context, b []byte, off int64) error {
	body := streaming.NopCloser(bytes.NewReader(b))
	if _, err := s.c.UploadPages(ctx, body, blob.HTTPRange{Offset: off, Count: int64(len(b))}, nil); err != nil {
		return s.fail(fmt.Sprintf("put pages [%d, +%d) to", off, len(b)), err)
	}
	return nil
}

// Finish writes the VHD footer when asked; pages are durable once put.
func (s *Sink) Finish(ctx context.Context, _ disks.Summary) error {
	if !s.footer {
		return nil
	}
	f, err := vhd.NewFixedFooter(s.size)
	if err != nil {
		return err
	}
	return s.put(ctx, f, s.size)
}

// Close does nothing: the blob client holds no resources.
func (s *Sink) Close() error { return nil }

// Source reads a disk from a page blob. A blob that ends in a fixed VHD
// footer describing the rest is read as that VHD's disk, without the footer.
type Source struct {
	c    *pageblob.Client
	url  string
	size int64
}

var _ disks.Source = (*Source)(nil)

// Open opens the page blob at blobURL for reading.
func Open(ctx context.Context, blobURL string, o Options) (*Source, error) {
	c, err := newClient(blobURL, o)
	if err != nil {
		return nil, err
	}
	s := &Source{c: c, url: blobURL}
	p, err := c.GetProperties(ctx, nil)
	if err != nil {
		return nil, s.fail("open page blob", err)
	}
	if p.ContentLength == nil {
		return nil, fmt.Errorf("open page blob %s: no length", disks.RedactURL(blobURL))
	}
	n := *p.ContentLength
	s.size = n
	if n >= 2*vhd.FooterSize {
		b := make([]byte, vhd.FooterSize)
		if err := s.ReadAt(ctx, b, n-vhd.FooterSize); err != nil {
			return nil, err
		}
		if f, err := vhd.ParseFooter(b, n-vhd.FooterSize); err == nil && f.Type == vhd.TypeFixed && int64(f.CurrentSize) == n-vhd.FooterSize {
			s.size = n - vhd.FooterSize
		}
	}
	return s, nil
}

func (s *Source) fail(what string, err error) error {
	return fmt.Errorf("%s %s: %w", what, disks.RedactURL(s.url), disks.RedactError(err, s.url))
}

// Size is the disk's size (the blob's, less a VHD footer).
func (s *Source) Size() int64 { return s.size }

// Allocated lists the blob's page ranges within the disk, merged.
func (s *Source) Allocated(ctx context.Context) ([]disks.Extent, error) {
	var out []disks.Extent
	pager := s.c.NewGetPageRangesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, s.fail("list page ranges of", err)
		}
		for _, r := range page.PageRange {
			if r.Start == nil || r.End == nil {
				continue
			}
			lo, hi := *r.Start, min(*r.End+1, s.size)
			if lo < hi {
				out = append(out, disks.Extent{Off: lo, Len: hi - lo})
			}
		}
	}
	slices.SortFunc(out, func(a, b disks.Extent) int { return int(a.Off - b.Off) })
	var merged []disks.Extent
	for _, e := range out {
		if n := len(merged); n > 0 && e.Off <= merged[n-1].Off+merged[n-1].Len {
			merged[n-1].Len = max(merged[n-1].Len, e.Off+e.Len-merged[n-1].Off)
			continue
		}
		merged = append(merged, e)
	}
	return merged, nil
}

// ReadAt reads p at off with one ranged Get Blob. Safe for concurrent use.
func (s *Source) ReadAt(ctx context.Context, p []byte, off int64) error {
	r, err := s.c.DownloadStream(ctx, &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: int64(len(p))}})
	if err != nil {
		return s.fail(fmt.Sprintf("read [%d, +%d) of", off, len(p)), err)
	}
	defer func() { _ = r.Body.Close() }() // read only
	if _, err := io.ReadFull(r.Body, p); err != nil {
		return s.fail(fmt.Sprintf("read [%d, +%d) of", off, len(p)), err)
	}
	return nil
}

// Close does nothing: the blob client holds no resources.
func (s *Source) Close() error { return nil }

package cli

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/pageblob"
)

// A page blob destination whose name ends in .vhd gets the fixed VHD
// footer after the data, as an unmanaged disk or a managed-disk upload
// needs; any other name holds the raw disk.
func blobIsVHD(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.HasSuffix(strings.ToLower(u.Path), ".vhd")
}

func openPageBlobSource(ctx context.Context, raw string) (disks.Source, error) {
	s, err := pageblob.Open(ctx, raw, pageblob.Options{})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", disks.RedactURL(raw), disks.RedactError(err, raw))
	}
	return s, nil
}

func openPageBlobSink(ctx context.Context, raw string, size int64, resume bool) (disks.Sink, error) {
	o := pageblob.Options{VHDFooter: blobIsVHD(raw)}
	var (
		s   *pageblob.Sink
		err error
	)
	if resume {
		s, err = pageblob.Reopen(ctx, raw, size, o)
	} else {
		s, err = pageblob.Create(ctx, raw, size, o)
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", disks.RedactURL(raw), disks.RedactError(err, raw))
	}
	return s, nil
}

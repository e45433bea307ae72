package cli

import (
	"context"

	"github.com/migrate-tool/migrate/pkg/disks"
)

func openPageBlobSource(ctx context.Context, url string) (disks.Source, error) {
	return nil, badInputf("%s: %v", disks.RedactURL(url), errNoPageBlob)
}

func openPageBlobSink(ctx context.Context, url string, size int64, resume bool) (disks.Sink, error) {
	return nil, badInputf("%s: %v", disks.RedactURL(url), errNoPageBlob)
}

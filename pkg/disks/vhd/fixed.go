package vhd

import (
	"context"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// FixedSink writes a fixed VHD: the raw data (sparse, only extents written)
// then, at Finish, the 512-byte footer computed from the size with a random
// unique id. It implements disks.Sink and disks.Syncer.
type FixedSink struct {
	*disks.RawSink
	size int64
}

var _ disks.Sink = (*FixedSink)(nil)

// CreateFixed creates (or empties) a fixed VHD at path for a disk of size
// bytes, which must be a whole number of MiB (ErrSizeNotMiB).
func CreateFixed(path string, size int64) (*FixedSink, error) {
	return openFixed(path, size, disks.CreateRaw)
}

// ReopenFixed opens the fixed VHD an interrupted copy left at path, keeping
// its data, so that a resumed copy continues it.
func ReopenFixed(path string, size int64) (*FixedSink, error) {
	return openFixed(path, size, disks.ReopenRaw)
}

func openFixed(path string, size int64, open func(string, int64) (*disks.RawSink, error)) (*FixedSink, error) {
	if size <= 0 || size%(1<<20) != 0 {
		return nil, fmt.Errorf("fixed VHD %s of %d bytes: %w", path, size, ErrSizeNotMiB)
	}
	r, err := open(path, size)
	if err != nil {
		return nil, err
	}
	return &FixedSink{RawSink: r, size: size}, nil
}

// Finish writes the footer after the data and fsyncs the file.
func (s *FixedSink) Finish(ctx context.Context, _ disks.Summary) error {
	footer, err := NewFixedFooter(s.size)
	if err != nil {
		return err
	}
	return s.FinishWithTrailer(ctx, footer)
}

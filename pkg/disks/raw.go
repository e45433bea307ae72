package disks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// RawFile is a raw disk image read as a Source: byte n of the file is byte n
// of the disk.
type RawFile struct {
	f    *os.File
	size int64
}

var _ Source = (*RawFile)(nil)

// OpenRaw opens a raw image: a regular file or a block device (anything
// else is a *NotRegularError, found without blocking on a FIFO). Its
// Allocated comes from SEEK_DATA/SEEK_HOLE where the file system supports
// them, so the holes of a sparse image cost nothing; elsewhere it is the
// whole file.
func OpenRaw(path string) (*RawFile, error) {
	f, err := OpenRegular(path, true)
	if err != nil {
		return nil, fmt.Errorf("open raw image: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close() // read only
		return nil, fmt.Errorf("open raw image: %w", err)
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		// A block device's stat size is 0: its end is its size.
		if size, err = f.Seek(0, io.SeekEnd); err != nil {
			_ = f.Close() // read only
			return nil, fmt.Errorf("open raw image: size of %s: %w", path, err)
		}
	}
	return &RawFile{f: f, size: size}, nil
}

// Size is the file's size.
func (r *RawFile) Size() int64 { return r.size }

// Allocated lists the file's data extents, or the whole file where the file
// system cannot tell.
func (r *RawFile) Allocated(ctx context.Context) ([]Extent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.size == 0 {
		return nil, nil
	}
	ext, ok, err := dataExtents(r.f, r.size)
	if err != nil {
		return nil, fmt.Errorf("list data extents of %s: %w", r.f.Name(), err)
	}
	if !ok {
		return []Extent{{0, r.size}}, nil
	}
	return ext, nil
}

// ReadAt reads p at off; bytes past the end of the file read as zeros.
func (r *RawFile) ReadAt(ctx context.Context, p []byte, off int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := r.f.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s at %d: %w", r.f.Name(), off, err)
	}
	clear(p[n:])
	return nil
}

// Close closes the file.
func (r *RawFile) Close() error { return r.f.Close() }

// RawSink writes a raw image: only the extents are written, the file is
// sized to the virtual size up front (so everything else is a hole), and
// Finish fsyncs it.
type RawSink struct {
	f    *os.File
	size int64
}

var _ Sink = (*RawSink)(nil)

// CreateRaw creates (or empties) the raw image at path for a disk of size
// bytes.
func CreateRaw(path string, size int64) (*RawSink, error) {
	return openRawSink(path, size, os.O_TRUNC|os.O_CREATE)
}

// ReopenRaw opens the raw image a previous, interrupted copy left at path so
// that a resumed copy continues it: its content is kept.
func ReopenRaw(path string, size int64) (*RawSink, error) {
	return openRawSink(path, size, 0)
}

// PlainMode is the mode of every file of plain disk data the tool writes:
// a disk holds whatever its VM kept (keys, password hashes, customer data),
// so it is the owner's alone, as its encrypted staging image is.
const PlainMode = 0o600

func openRawSink(path string, size int64, flags int) (*RawSink, error) {
	if err := CheckWritable(path); err != nil {
		return nil, fmt.Errorf("open raw destination: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|flags, PlainMode)
	if err != nil {
		return nil, fmt.Errorf("open raw destination: %w", err)
	}
	if flags&os.O_TRUNC != 0 {
		// Whatever the umask, and whatever mode a file being replaced
		// had: a fresh copy is created 0600. (A resumed copy keeps the
		// mode its first run gave it.)
		if err := f.Chmod(PlainMode); err != nil {
			_ = f.Close() // already failing: nothing was written
			return nil, fmt.Errorf("open raw destination: %w", err)
		}
	}
	if err := f.Truncate(size); err != nil {
		_ = f.Close() // already failing: nothing was written
		return nil, fmt.Errorf("size raw destination %s to %d: %w", path, size, err)
	}
	return &RawSink{f: f, size: size}, nil
}

// WriteChunk writes the chunk's extents with one pwrite each.
func (s *RawSink) WriteChunk(ctx context.Context, c *Chunk) error {
	for _, e := range c.Extents {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := c.Data[e.Off-c.Off : e.Off-c.Off+e.Len]
		if _, err := s.f.WriteAt(b, e.Off); err != nil {
			return fmt.Errorf("write %s at %d: %w", s.f.Name(), e.Off, err)
		}
	}
	return nil
}

// Sync makes every write so far durable; the copier calls it before it
// records chunks as done.
func (s *RawSink) Sync(ctx context.Context) error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", s.f.Name(), err)
	}
	return nil
}

// Finish fsyncs the image.
func (s *RawSink) Finish(ctx context.Context, _ Summary) error {
	return s.FinishWithTrailer(ctx, nil)
}

// FinishWithTrailer writes trailer right after the virtual size (a fixed
// VHD's footer) and fsyncs the file.
func (s *RawSink) FinishWithTrailer(ctx context.Context, trailer []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.f.Truncate(s.size); err != nil {
		return fmt.Errorf("finish %s: %w", s.f.Name(), err)
	}
	if len(trailer) > 0 {
		if _, err := s.f.WriteAt(trailer, s.size); err != nil {
			return fmt.Errorf("finish %s: write trailer: %w", s.f.Name(), err)
		}
	}
	return s.Sync(ctx)
}

// Close closes the file.
func (s *RawSink) Close() error { return s.f.Close() }

package staging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// Store holds one staging image's two objects, the image and the manifest.
// DirStore keeps them in a local folder; a blob-container store would keep
// them as a page blob and a block blob. Implementations must be safe for
// concurrent use of the images they return.
type Store interface {
	// String names the location for messages; it must not contain a SAS
	// or any other secret.
	String() string
	// OpenImage opens the image for reading; a missing image is an error
	// wrapping fs.ErrNotExist.
	OpenImage(ctx context.Context) (Image, error)
	// CreateImage opens the image for writing, creating it empty if it
	// does not exist; it keeps any existing content (a resumed copy needs
	// it), callers truncate when starting afresh.
	CreateImage(ctx context.Context) (WritableImage, error)
	// ReadManifest returns the manifest bytes; a missing manifest is an
	// error wrapping fs.ErrNotExist.
	ReadManifest(ctx context.Context) ([]byte, error)
	// WriteManifest replaces the manifest atomically and durably: readers
	// see the old one or the new one, never a mix.
	WriteManifest(ctx context.Context, data []byte) error
	// RemoveManifest deletes the manifest; a missing one is not an error.
	RemoveManifest(ctx context.Context) error
}

// Image is the encrypted image opened for reading.
type Image interface {
	// ReadAt fills p from offset off; safe for concurrent use.
	ReadAt(ctx context.Context, p []byte, off int64) error
	Close() error
}

// WritableImage is the encrypted image opened for writing. WriteAt is safe
// for concurrent use on disjoint ranges.
type WritableImage interface {
	Image
	WriteAt(ctx context.Context, p []byte, off int64) error
	// Size is the current size in bytes.
	Size(ctx context.Context) (int64, error)
	// Truncate sets the size; growing adds a hole.
	Truncate(ctx context.Context, size int64) error
	// Sync makes every completed WriteAt durable.
	Sync(ctx context.Context) error
}

// DirStore is the local-folder Store: DIR/NAME.img and
// DIR/NAME.manifest.json.
type DirStore struct {
	Dir  string
	Name string
}

var _ Store = DirStore{}

func (d DirStore) imgPath() string      { return filepath.Join(d.Dir, d.Name+".img") }
func (d DirStore) manifestPath() string { return filepath.Join(d.Dir, d.Name+".manifest.json") }

// String implements Store.
func (d DirStore) String() string { return filepath.Join(d.Dir, d.Name) }

// OpenImage implements Store.
func (d DirStore) OpenImage(ctx context.Context) (Image, error) {
	f, err := os.Open(d.imgPath())
	if err != nil {
		return nil, fmt.Errorf("open staging image: %w", err)
	}
	return fileImage{f}, nil
}

// CreateImage implements Store.
func (d DirStore) CreateImage(ctx context.Context) (WritableImage, error) {
	f, err := os.OpenFile(d.imgPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create staging image: %w", err)
	}
	return fileImage{f}, nil
}

// ReadManifest implements Store.
func (d DirStore) ReadManifest(ctx context.Context) ([]byte, error) {
	b, err := os.ReadFile(d.manifestPath())
	if err != nil {
		return nil, fmt.Errorf("read staging manifest: %w", err)
	}
	return b, nil
}

// WriteManifest implements Store: written with renameio (a temporary file
// in the same folder, fsynced, renamed over the manifest), then the folder
// fsynced so the rename itself survives a crash.
func (d DirStore) WriteManifest(ctx context.Context, data []byte) error {
	if err := renameio.WriteFile(d.manifestPath(), data, 0o600, renameio.WithTempDir(d.Dir)); err != nil {
		return fmt.Errorf("write staging manifest: %w", err)
	}
	return syncDir(d.Dir)
}

// RemoveManifest implements Store.
func (d DirStore) RemoveManifest(ctx context.Context) error {
	if err := os.Remove(d.manifestPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale staging manifest: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync staging folder: %w", err)
	}
	defer func() { _ = f.Close() }() // opened only to fsync, its error is checked
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync staging folder: %w", err)
	}
	return nil
}

// fileImage is an image in a local file. Context is not consulted: local
// file calls do not block for long and cannot be interrupted.
type fileImage struct{ f *os.File }

func (i fileImage) ReadAt(ctx context.Context, p []byte, off int64) error {
	if _, err := i.f.ReadAt(p, off); err != nil {
		if err == io.EOF {
			return fmt.Errorf("read staging image at %d: %w", off, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("read staging image at %d: %w", off, err)
	}
	return nil
}

func (i fileImage) WriteAt(ctx context.Context, p []byte, off int64) error {
	if _, err := i.f.WriteAt(p, off); err != nil {
		return fmt.Errorf("write staging image at %d: %w", off, err)
	}
	return nil
}

func (i fileImage) Size(ctx context.Context) (int64, error) {
	fi, err := i.f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat staging image: %w", err)
	}
	return fi.Size(), nil
}

func (i fileImage) Truncate(ctx context.Context, size int64) error {
	if err := i.f.Truncate(size); err != nil {
		return fmt.Errorf("size staging image: %w", err)
	}
	return nil
}

func (i fileImage) Sync(ctx context.Context) error {
	if err := i.f.Sync(); err != nil {
		return fmt.Errorf("sync staging image: %w", err)
	}
	return nil
}

func (i fileImage) Close() error { return i.f.Close() }

package staging

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// errKilled stands for the process dying: the operation it fails never
// happened, and neither does anything after it.
var errKilled = errors.New("killed (test)")

// dyingStore is a Store, for tests, whose every operation on the store and
// its image counts down left; the one that reaches zero and all later ones
// fail with errKilled, as if the process had been killed just before it.
type dyingStore struct {
	Store
	left *atomic.Int64
	ops  *atomic.Int64
}

func newDyingStore(st Store, killAt int64) dyingStore {
	d := dyingStore{Store: st, left: new(atomic.Int64), ops: new(atomic.Int64)}
	d.left.Store(killAt)
	return d
}

func (d dyingStore) step() error {
	d.ops.Add(1)
	if d.left.Add(-1) <= 0 {
		return errKilled
	}
	return nil
}

func (d dyingStore) CreateImage(ctx context.Context) (WritableImage, error) {
	if err := d.step(); err != nil {
		return nil, err
	}
	img, err := d.Store.CreateImage(ctx)
	if err != nil {
		return nil, err
	}
	return dyingImage{img, d}, nil
}

func (d dyingStore) WriteManifest(ctx context.Context, data []byte) error {
	if err := d.step(); err != nil {
		return err
	}
	return d.Store.WriteManifest(ctx, data)
}

func (d dyingStore) RemoveManifest(ctx context.Context) error {
	if err := d.step(); err != nil {
		return err
	}
	return d.Store.RemoveManifest(ctx)
}

type dyingImage struct {
	WritableImage
	d dyingStore
}

func (i dyingImage) WriteAt(ctx context.Context, p []byte, off int64) error {
	if err := i.d.step(); err != nil {
		return err
	}
	return i.WritableImage.WriteAt(ctx, p, off)
}

func (i dyingImage) Size(ctx context.Context) (int64, error) {
	if err := i.d.step(); err != nil {
		return 0, err
	}
	return i.WritableImage.Size(ctx)
}

func (i dyingImage) Truncate(ctx context.Context, size int64) error {
	if err := i.d.step(); err != nil {
		return err
	}
	return i.WritableImage.Truncate(ctx, size)
}

func (i dyingImage) Sync(ctx context.Context) error {
	if err := i.d.step(); err != nil {
		return err
	}
	return i.WritableImage.Sync(ctx)
}

// copyToStaging is what disks copy SRC staging:... does: NewSink, then the
// copier with a checkpoint.
func copyToStaging(ctx context.Context, st Store, kek, plain []byte, cp string, resume bool) (disks.Summary, error) {
	sink, err := NewSink(ctx, st, kek, "", int64(len(plain)))
	if err != nil {
		return disks.Summary{}, err
	}
	defer sink.Close()
	src := &memDisk{plain}
	return disks.Copy(ctx, src, sink, disks.CopyOptions{Workers: 2, Checkpoint: cp, Resume: resume})
}

// memDisk is a whole-disk in-memory disks.Source, for tests.
type memDisk struct{ p []byte }

func (m *memDisk) Size() int64 { return int64(len(m.p)) }
func (m *memDisk) Allocated(context.Context) ([]disks.Extent, error) {
	return []disks.Extent{{Off: 0, Len: int64(len(m.p))}}, nil
}
func (m *memDisk) ReadAt(_ context.Context, p []byte, off int64) error {
	copy(p, m.p[off:])
	return nil
}
func (m *memDisk) Close() error { return nil }

// crashAndResume kills a copy to staging before each of its store
// operations in turn (creating the image, emptying and sizing it, each
// write, each sync, the manifest), leaves the checkpoint as the kill left
// it, missing, torn or empty, and checks that --resume finishes the copy
// every time: the image decrypts to the plain disk and verifies.
func crashAndResume(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	kek, plain := newKEK(t), testDisk(t)

	checkpoints := map[string]func(path string){
		"as left": func(string) {},
		"missing": func(p string) { os.Remove(p) },
		"torn": func(p string) {
			if b, err := os.ReadFile(p); err == nil {
				os.WriteFile(p, b[:len(b)/2], 0o600)
			}
		},
		"empty": func(p string) { os.WriteFile(p, nil, 0o600) },
	}
	// The number of syncs depends on how the checkpointer batches, so the
	// kill point moves on until a copy is no longer killed.
	killed := 0
	for killAt := int64(1); ; killAt++ {
		for name, damage := range checkpoints {
			st := newStore(t)
			cp := filepath.Join(t.TempDir(), "cp")
			_, err := copyToStaging(ctx, newDyingStore(st, killAt), kek, plain, cp, false)
			if err == nil {
				if killed < 6 {
					t.Fatalf("only %d kill points before the copy finished", killed)
				}
				return
			}
			if !errors.Is(err, errKilled) {
				t.Fatalf("kill before operation %d: copy returned %v", killAt, err)
			}
			killed++
			damage(cp)
			sum, err := copyToStaging(ctx, st, kek, plain, cp, true)
			if err != nil {
				t.Fatalf("kill before operation %d, checkpoint %s: resume: %v", killAt, name, err)
			}
			src, err := OpenStore(ctx, st, kek)
			if err != nil {
				t.Fatalf("kill at %d, checkpoint %s: %v", killAt, name, err)
			}
			if err := src.Verify(ctx); err != nil {
				t.Fatalf("kill at %d, checkpoint %s: %v", killAt, name, err)
			}
			got := make([]byte, len(plain))
			if err := src.ReadAt(ctx, got, 0); err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("kill at %d, checkpoint %s: the resumed image decrypts to something else (%v)", killAt, name, err)
			}
			if err := VerifyContent(src.Manifest(), sum); err != nil {
				t.Fatalf("kill at %d, checkpoint %s: %v", killAt, name, err)
			}
			src.Close()
		}
	}
}

func TestCrashWhileCreatingAndResume(t *testing.T) {
	crashAndResume(t, func(t *testing.T) Store { return DirStore{Dir: t.TempDir(), Name: "disk"} })
}

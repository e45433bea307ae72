package disks_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
)

const benchMiB = 1 << 20

var benchVHD struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// halfVHD is the benchmark disk of scripts/bench-disks.sh: a 1 GiB dynamic
// VHD whose first and third quarters hold data (two 256 MiB runs), the rest
// unallocated. It is built once per test binary run.
func halfVHD(b *testing.B) string {
	b.Helper()
	benchVHD.once.Do(func() {
		benchVHD.dir, benchVHD.err = os.MkdirTemp("", "disks-bench-")
		if benchVHD.err != nil {
			return
		}
		benchVHD.path = filepath.Join(benchVHD.dir, "half.vhd")
		w, err := vhd.CreateDynamic(benchVHD.path, 1<<30, vhd.DynamicOptions{})
		if err != nil {
			benchVHD.err = err
			return
		}
		buf := make([]byte, 4*benchMiB)
		for _, r := range []struct {
			off int64
			b   byte
		}{{0, 0xab}, {512 * benchMiB, 0xcd}} {
			for i := range buf {
				buf[i] = r.b
			}
			for off := r.off; off < r.off+256*benchMiB; off += int64(len(buf)) {
				if _, err := w.WriteAt(buf, off); err != nil {
					benchVHD.err = err
					return
				}
			}
		}
		benchVHD.err = w.Close()
	})
	if benchVHD.err != nil {
		b.Fatal(benchVHD.err)
	}
	return benchVHD.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchVHD.dir != "" {
		os.RemoveAll(benchVHD.dir)
	}
	os.Exit(code)
}

// discardSink is a Sink that keeps nothing, for benchmarks of the engine
// without a destination's cost.
type discardSink struct{}

func (discardSink) WriteChunk(ctx context.Context, c *disks.Chunk) error { return nil }
func (discardSink) Finish(ctx context.Context, s disks.Summary) error    { return nil }
func (discardSink) Close() error                                         { return nil }

func benchCopy(b *testing.B, sink func(dir string, size int64) (disks.Sink, error)) {
	benchCopyHash(b, disks.HashTree, sink)
}

func benchCopyHash(b *testing.B, hash string, sink func(dir string, size int64) (disks.Sink, error)) {
	path := halfVHD(b)
	dir := b.TempDir()
	b.SetBytes(512 * benchMiB) // the data moved
	b.ResetTimer()
	for b.Loop() {
		src, err := vhd.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		dst, err := sink(dir, src.Size())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := disks.Copy(b.Context(), src, dst, disks.CopyOptions{Hash: hash}); err != nil {
			b.Fatal(err)
		}
		dst.Close()
		src.Close()
	}
}

// BenchmarkCopyDynamicVHDToRaw is scripts/bench-disks.sh's first number in
// Go: the 1 GiB half-allocated dynamic VHD to a raw file, fsync included.
func BenchmarkCopyDynamicVHDToRaw(b *testing.B) {
	benchCopy(b, func(dir string, size int64) (disks.Sink, error) {
		return disks.CreateRaw(filepath.Join(dir, "out.raw"), size)
	})
}

// BenchmarkCopyDynamicVHDToDiscard is the same copy with no destination:
// reading, zero detection and the content hash alone.
func BenchmarkCopyDynamicVHDToDiscard(b *testing.B) {
	benchCopy(b, func(string, int64) (disks.Sink, error) { return discardSink{}, nil })
}

// BenchmarkCopyDynamicVHDToDiscardBLAKE3 is the same with --hash blake3.
func BenchmarkCopyDynamicVHDToDiscardBLAKE3(b *testing.B) {
	benchCopyHash(b, disks.HashTreeBLAKE3, func(string, int64) (disks.Sink, error) { return discardSink{}, nil })
}

// BenchmarkCopyDynamicVHDToStaging encrypts the same disk into a staging
// image (XTS-AES-128, chunk MACs, manifest), fsync included.
func BenchmarkCopyDynamicVHDToStaging(b *testing.B) {
	kek := make([]byte, 32)
	rand.Read(kek)
	benchCopy(b, func(dir string, size int64) (disks.Sink, error) {
		return staging.Create(context.Background(), dir, "out", kek, "", size)
	})
}

// BenchmarkZeroDetection copies an in-memory disk whose sectors alternate
// between data and zeros to a discarding sink: the per-sector scan
// dominates.
func BenchmarkZeroDetection(b *testing.B) {
	data := make([]byte, 64*benchMiB)
	for i := 0; i < len(data); i += 2 * disks.SectorSize {
		data[i+disks.SectorSize-1] = 1 // a late non-zero byte: worst case
	}
	benchMem(b, data)
}

// BenchmarkContentHash copies an in-memory disk that is one run of data:
// the content hash dominates.
func BenchmarkContentHash(b *testing.B) {
	data := bytes.Repeat([]byte{0x5a}, 64*benchMiB)
	benchMem(b, data)
}

func benchMem(b *testing.B, data []byte) {
	src := memSource(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := disks.Copy(b.Context(), src, discardSink{}, disks.CopyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// memSource is an in-memory Source for benchmarks.
type memSource []byte

func (m memSource) Size() int64 { return int64(len(m)) }
func (m memSource) Allocated(context.Context) ([]disks.Extent, error) {
	return []disks.Extent{{Off: 0, Len: int64(len(m))}}, nil
}
func (m memSource) ReadAt(ctx context.Context, p []byte, off int64) error {
	copy(p, m[off:])
	return nil
}
func (m memSource) Close() error { return nil }

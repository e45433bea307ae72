package staging

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// BenchmarkWriteChunk measures a full 4 MiB chunk through the sink
// (encrypt, write, MAC), chunks in parallel as the copier sends them; the
// fsync is the copier's Sync, once per checkpoint.
func BenchmarkWriteChunk(b *testing.B) {
	ctx := context.Background()
	const chunks = 16
	s, err := Create(ctx, b.TempDir(), "bench", newKEK(b), "", chunks*disks.ChunkSize)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := make([]byte, disks.ChunkSize)
	rand.Read(data)
	b.SetBytes(disks.ChunkSize)
	b.RunParallel(func(pb *testing.PB) {
		for i := int64(0); pb.Next(); i++ {
			off := i % chunks * disks.ChunkSize
			c := &disks.Chunk{Off: off, Data: data, Extents: []disks.Extent{{Off: off, Len: disks.ChunkSize}}}
			if err := s.WriteChunk(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify measures Verify over a fully written 64 MiB image.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	dir, kek := b.TempDir(), newKEK(b)
	plain := make([]byte, 16*disks.ChunkSize)
	rand.Read(plain)
	writeImage(b, dir, "bench", kek, "", plain)
	src, err := Open(ctx, dir, "bench", kek)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if err := src.Verify(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

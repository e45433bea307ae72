package staging

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// testSize is three whole chunks and a 1 MiB tail chunk.
const testSize = 3*disks.ChunkSize + 1<<20

// testDisk returns a plain disk with data at the start, a run crossing the
// chunk 0/1 boundary, a scattered sector, an all-hole chunk 2, and data at
// the very end of the short tail chunk.
func testDisk(t testing.TB) []byte {
	t.Helper()
	p := make([]byte, testSize)
	fill := func(off, n int) {
		rand.Read(p[off : off+n])
		// Make sure every sector is non-zero so extents are predictable.
		for s := off; s < off+n; s += disks.SectorSize {
			p[s] |= 1
		}
	}
	fill(0, 1<<20)
	fill(disks.ChunkSize-4096, 12288)
	fill(disks.ChunkSize+1<<20, disks.SectorSize)
	fill(testSize-8192, 8192)
	return p
}

// sectorRuns returns the runs of non-zero sectors of p[lo:hi) as absolute
// extents, the way the copier describes a chunk.
func sectorRuns(p []byte, lo, hi int64) []disks.Extent {
	var out []disks.Extent
	zero := make([]byte, disks.SectorSize)
	for s := lo; s < hi; s += disks.SectorSize {
		if bytes.Equal(p[s:s+disks.SectorSize], zero) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Off+out[n-1].Len == s {
			out[n-1].Len += disks.SectorSize
			continue
		}
		out = append(out, disks.Extent{Off: s, Len: disks.SectorSize})
	}
	return out
}

// chunksOfDisk splits p into copier chunks.
func chunksOfDisk(p []byte) []*disks.Chunk {
	var out []*disks.Chunk
	for off := int64(0); off < int64(len(p)); off += disks.ChunkSize {
		end := min(off+disks.ChunkSize, int64(len(p)))
		// A copy: a sink may encrypt in the chunk's buffer.
		out = append(out, &disks.Chunk{Off: off, Data: slices.Clone(p[off:end]), Extents: sectorRuns(p, off, end)})
	}
	return out
}

// summaryOf computes the copier's Summary independently, per disks.md: the
// extents and the sha256-tree-4m content hash.
func summaryOf(p []byte) disks.Summary {
	ext := sectorRuns(p, 0, int64(len(p)))
	s := disks.Summary{Size: int64(len(p)), Extents: ext, ContentAlg: disks.HashTree}
	copy(s.ContentSHA256[:], treeHash(p))
	return s
}

// treeHash is sha256-tree-4m over the plain disk p, by its definition.
func treeHash(p []byte) []byte { return treeHashWith(p, sha256.New) }

// treeHashWith is the tree of disks.md with newHash for the leaves and the
// root (blake3-tree-4m with a BLAKE3).
func treeHashWith(p []byte, newHash func() hash.Hash) []byte {
	root := newHash()
	root.Write([]byte{1})
	root.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
	for off := int64(0); off < int64(len(p)); off += disks.ChunkSize {
		runs := sectorRuns(p, off, min(off+disks.ChunkSize, int64(len(p))))
		if len(runs) == 0 {
			continue
		}
		leaf := newHash()
		leaf.Write([]byte{0})
		for _, e := range runs {
			leaf.Write(binary.BigEndian.AppendUint64(nil, uint64(e.Off)))
			leaf.Write(binary.BigEndian.AppendUint64(nil, uint64(e.Len)))
			leaf.Write(p[e.Off : e.Off+e.Len])
		}
		root.Write(binary.BigEndian.AppendUint64(nil, uint64(off)))
		root.Write(leaf.Sum(nil))
	}
	return root.Sum(nil)
}

// writeChunks writes chunks concurrently, as the copier does.
func writeChunks(t testing.TB, s *Sink, chunks []*disks.Chunk) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(chunks))
	for i, c := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.WriteChunk(t.Context(), c)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func newKEK(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, KEKSize)
	rand.Read(k)
	return k
}

// writeImage writes p as staging image dir/name and returns its summary.
func writeImage(t testing.TB, dir, name string, kek []byte, cipherName string, p []byte) disks.Summary {
	t.Helper()
	return writeStore(t, DirStore{Dir: dir, Name: name}, kek, cipherName, p)
}

// writeStore writes p as the staging image in st and returns its summary.
func writeStore(t testing.TB, st Store, kek []byte, cipherName string, p []byte) disks.Summary {
	t.Helper()
	ctx := t.Context()
	s, err := NewSink(ctx, st, kek, cipherName, int64(len(p)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeChunks(t, s, chunksOfDisk(p))
	sum := summaryOf(p)
	if err := s.Finish(ctx, sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func manifestPath(dir, name string) string { return filepath.Join(dir, name+".manifest.json") }
func imgPath(dir, name string) string      { return filepath.Join(dir, name+".img") }

// checkpointOf is what the copier's checkpoint keeps of a sink after the
// given chunks were written and synced: State, and each chunk's
// ChunkState.
func checkpointOf(t testing.TB, s *Sink, chunks []*disks.Chunk) ([]byte, map[int64][]byte) {
	t.Helper()
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	state, err := s.State()
	if err != nil {
		t.Fatal(err)
	}
	recs := map[int64][]byte{}
	for _, c := range chunks {
		cs, err := s.ChunkState(c.Off)
		if err != nil {
			t.Fatal(err)
		}
		if cs != nil {
			recs[c.Off] = cs
		}
	}
	return state, recs
}

// resumeSink hands a checkpoint back as the copier does.
func resumeSink(ctx context.Context, s *Sink, state []byte, recs map[int64][]byte) error {
	if err := s.Restore(ctx, state); err != nil {
		return err
	}
	return s.RestoreChunks(recs)
}

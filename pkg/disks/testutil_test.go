package disks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
)

// memSource is an in-memory Source for tests.
type memSource struct {
	data  []byte
	alloc []Extent // nil: the whole disk
	reads atomic.Int64
}

func (m *memSource) Size() int64 { return int64(len(m.data)) }
func (m *memSource) Allocated(context.Context) ([]Extent, error) {
	if m.alloc == nil {
		return []Extent{{0, int64(len(m.data))}}, nil
	}
	return m.alloc, nil
}
func (m *memSource) ReadAt(ctx context.Context, p []byte, off int64) error {
	m.reads.Add(int64(len(p)))
	copy(p, m.data[off:])
	return ctx.Err()
}
func (m *memSource) Close() error { return nil }

// memSink is an in-memory Sink for tests; it records every write.
type memSink struct {
	mu       sync.Mutex
	data     []byte
	chunks   map[int64]int // writes per chunk offset
	finished *Summary
	// failAfter, when > 0, cancels after that many chunk writes (the
	// write that reaches it still succeeds).
	failAfter int
	cancel    context.CancelFunc
	syncs     int
	synced    map[int64]bool // chunks written before some Sync began
}

func newMemSink(size int64) *memSink {
	return &memSink{data: make([]byte, size), chunks: map[int64]int{}}
}

func (m *memSink) WriteChunk(ctx context.Context, c *Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range c.Extents {
		if e.Off < c.Off || e.Off+e.Len > c.Off+int64(len(c.Data)) || e.Off%SectorSize != 0 {
			return fmt.Errorf("extent %v outside chunk %d+%d", e, c.Off, len(c.Data))
		}
		copy(m.data[e.Off:e.Off+e.Len], c.Data[e.Off-c.Off:])
	}
	m.chunks[c.Off]++
	if m.failAfter > 0 && len(m.chunks) >= m.failAfter && m.cancel != nil {
		m.cancel()
	}
	return nil
}

func (m *memSink) Sync(context.Context) error {
	m.mu.Lock()
	m.syncs++
	if m.synced == nil {
		m.synced = map[int64]bool{}
	}
	for off := range m.chunks {
		m.synced[off] = true
	}
	m.mu.Unlock()
	return nil
}

func (m *memSink) Finish(_ context.Context, s Summary) error {
	m.finished = &s
	return nil
}
func (m *memSink) Close() error { return nil }

// reference computes the extents and the HashTree content hash by the
// definition in disks.md, sector by sector over the whole disk.
func reference(data []byte) ([]Extent, [32]byte) {
	ext := sectorRuns(data, 0, int64(len(data)))
	root := sha256.New()
	root.Write([]byte{1})
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(len(data)))
	root.Write(b[:])
	for off := 0; off < len(data); off += ChunkSize {
		end := min(off+ChunkSize, len(data))
		runs := sectorRuns(data, int64(off), int64(end))
		if len(runs) == 0 {
			continue
		}
		leaf := sha256.New()
		leaf.Write([]byte{0})
		for _, e := range runs {
			var h [16]byte
			binary.BigEndian.PutUint64(h[:], uint64(e.Off))
			binary.BigEndian.PutUint64(h[8:], uint64(e.Len))
			leaf.Write(h[:])
			leaf.Write(data[e.Off : e.Off+e.Len])
		}
		binary.BigEndian.PutUint64(b[:], uint64(off))
		root.Write(b[:])
		root.Write(leaf.Sum(nil))
	}
	var s [32]byte
	copy(s[:], root.Sum(nil))
	return ext, s
}

// referenceRuns is staging v1's HashRuns over the whole disk.
func referenceRuns(data []byte) [32]byte {
	h := sha256.New()
	for _, e := range sectorRuns(data, 0, int64(len(data))) {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:], uint64(e.Off))
		binary.BigEndian.PutUint64(b[8:], uint64(e.Len))
		h.Write(b[:])
		h.Write(data[e.Off : e.Off+e.Len])
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// sectorRuns is the runs of non-zero sectors of data[lo:hi) (a short last
// sector counts by its own length), merged.
func sectorRuns(data []byte, lo, hi int64) []Extent {
	var ext []Extent
	for i := lo; i < hi; i += SectorSize {
		end := min(i+SectorSize, hi)
		if bytes.Count(data[i:end], []byte{0}) == int(end-i) {
			continue
		}
		if n := len(ext); n > 0 && ext[n-1].Off+ext[n-1].Len == i {
			ext[n-1].Len += end - i
		} else {
			ext = append(ext, Extent{i, end - i})
		}
	}
	return ext
}

// runsSource is a memSource declaring its exact runs and HashRuns, as a v1
// staging image does; for tests.
type runsSource struct{ *memSource }

func (runsSource) ContentHash() string { return HashRuns }

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

// reference computes the extents and content hash by the definition in
// disks.md, sector by sector over the whole disk.
func reference(data []byte) ([]Extent, [32]byte) {
	var ext []Extent
	for i := 0; i < len(data); i += SectorSize {
		end := min(i+SectorSize, len(data))
		if bytes.Count(data[i:end], []byte{0}) == end-i {
			continue
		}
		if n := len(ext); n > 0 && ext[n-1].Off+ext[n-1].Len == int64(i) {
			ext[n-1].Len += int64(end - i)
		} else {
			ext = append(ext, Extent{int64(i), int64(end - i)})
		}
	}
	h := sha256.New()
	for _, e := range ext {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:], uint64(e.Off))
		binary.BigEndian.PutUint64(b[8:], uint64(e.Len))
		h.Write(b[:])
		h.Write(data[e.Off : e.Off+e.Len])
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return ext, s
}

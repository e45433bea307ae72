package disks

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/renameio/v2"
)

// ErrNoCheckpoint is returned by a resumed copy that finds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint to resume from")

// ErrCheckpointMismatch is returned by a resumed copy whose checkpoint was
// made for another source (size, chunk size or allocated ranges differ).
var ErrCheckpointMismatch = errors.New("checkpoint belongs to another copy")

// errTornCheckpoint is a checkpoint whose header does not parse: written by
// a process that died while writing it, or emptied since. It records
// nothing usable.
var errTornCheckpoint = fmt.Errorf("checkpoint is torn or empty: %w", ErrNoCheckpoint)

const checkpointVersion = 2

// The checkpoint is a log of JSON lines: a header, written atomically when
// a fresh copy starts, then one record per finished chunk, appended in
// batches after the sink is synced (and, for a HashRuns copy, the hash
// state as it advances). A record costs the same whatever the disk size,
// so checkpointing is constant work per chunk; a torn last line (a kill
// mid-append) is dropped on resume, which then writes that chunk again.
// A resume compacts the log (one rewrite, atomically) before appending.
// It holds no secret: offsets, digests, a hash state, the sink's state.
type cpHeader struct {
	Version   int    `json:"version"`
	Size      int64  `json:"size"`
	ChunkSize int64  `json:"chunkSize"`
	Source    string `json:"source"` // fingerprint of size and allocated ranges
	Hash      string `json:"hash"`
	Sink      []byte `json:"sink,omitempty"`
}

// cpRecord is one finished chunk (Chunk >= 0) or a HashRuns state (Chunk
// -1, Hash set).
type cpRecord struct {
	Chunk int64      `json:"c"`
	Ext   [][2]int64 `json:"e,omitempty"`
	Leaf  string     `json:"l,omitempty"`
	Sink  []byte     `json:"s,omitempty"`
	Hash  *runsState `json:"h,omitempty"`
}

// fingerprint identifies a source by its size and allocated ranges.
func fingerprint(size int64, alloc []Extent) string {
	h := sha256.New()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(size))
	h.Write(b[:8])
	for _, e := range alloc {
		binary.BigEndian.PutUint64(b[:8], uint64(e.Off))
		binary.BigEndian.PutUint64(b[8:], uint64(e.Len))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadedCheckpoint is what a resume reads back.
type loadedCheckpoint struct {
	cpHeader
	records []cpRecord
	// hash is the latest HashRuns state, if any.
	hash *runsState
}

// loadCheckpoint reads the log, dropping a torn tail: a last line without
// its newline or one that does not parse, and anything after it.
func loadCheckpoint(path string) (*loadedCheckpoint, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoCheckpoint)
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	r := bufio.NewReader(f)
	line, err := r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	var c loadedCheckpoint
	if !bytes.HasSuffix(line, []byte{'\n'}) || json.Unmarshal(line, &c.cpHeader) != nil {
		var old struct {
			Version int `json:"version"`
		}
		if json.Unmarshal(line, &old) == nil && old.Version != checkpointVersion {
			return nil, fmt.Errorf("checkpoint %s: version %d, want %d: %w", path, old.Version, checkpointVersion, ErrCheckpointMismatch)
		}
		return nil, fmt.Errorf("checkpoint %s: %w", path, errTornCheckpoint)
	}
	if c.Version != checkpointVersion {
		return nil, fmt.Errorf("checkpoint %s: version %d, want %d: %w", path, c.Version, checkpointVersion, ErrCheckpointMismatch)
	}
	for {
		line, err := r.ReadBytes('\n')
		if !bytes.HasSuffix(line, []byte{'\n'}) {
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
			}
			return &c, nil // end, or a torn last line
		}
		var rec cpRecord
		if json.Unmarshal(line, &rec) != nil {
			return &c, nil // torn: nothing after it counts
		}
		if rec.Hash != nil {
			c.hash = rec.Hash
			continue
		}
		c.records = append(c.records, rec)
	}
}

// checkpointLog appends records to the checkpoint file. Not safe for
// concurrent use: the copier's checkpointer goroutine owns it.
type checkpointLog struct {
	f   *os.File
	buf []byte
}

// createCheckpoint writes the header and the records atomically (a fresh
// copy: none; a resume: what survived, compacted) and opens the file for
// appending.
func createCheckpoint(path string, h cpHeader, recs []cpRecord, hash *runsState) (*checkpointLog, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(h); err != nil {
		return nil, fmt.Errorf("encode checkpoint: %w", err)
	}
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return nil, fmt.Errorf("encode checkpoint: %w", err)
		}
	}
	if hash != nil {
		if err := enc.Encode(cpRecord{Chunk: -1, Hash: hash}); err != nil {
			return nil, fmt.Errorf("encode checkpoint: %w", err)
		}
	}
	if err := renameio.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint %s: %w", path, err)
	}
	return &checkpointLog{f: f}, nil
}

// append writes recs as one write and makes them durable.
func (l *checkpointLog) append(recs []cpRecord) error {
	l.buf = l.buf[:0]
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode checkpoint: %w", err)
		}
		l.buf = append(append(l.buf, b...), '\n')
	}
	if _, err := l.f.Write(l.buf); err != nil {
		return fmt.Errorf("append to checkpoint %s: %w", l.f.Name(), err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("sync checkpoint %s: %w", l.f.Name(), err)
	}
	return nil
}

func (l *checkpointLog) close() error { return l.f.Close() }

// bitset marks completed chunks.
type bitset []uint64

func newBitset(n int64) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int64)      { b[i/64] |= 1 << (i % 64) }

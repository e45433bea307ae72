package disks

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoCheckpoint is returned by a resumed copy that finds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint to resume from")

// ErrCheckpointMismatch is returned by a resumed copy whose checkpoint was
// made for another source (size, chunk size or allocated ranges differ).
var ErrCheckpointMismatch = errors.New("checkpoint belongs to another copy")

// errTornCheckpoint is a checkpoint file that does not parse: written by a
// process that died while writing it (on a file system that does not order
// the rename after the data) or emptied since. It records nothing usable.
var errTornCheckpoint = fmt.Errorf("checkpoint is torn or empty: %w", ErrNoCheckpoint)

const checkpointVersion = 1

// checkpoint is the JSON file a copy keeps so that it can resume. It holds
// no secret: offsets, a hash state, and the sink's own Resumable state.
type checkpoint struct {
	Version   int    `json:"version"`
	Size      int64  `json:"size"`
	ChunkSize int64  `json:"chunkSize"`
	Source    string `json:"source"` // fingerprint of size and allocated ranges
	// Done lists completed chunks as [first, last+1) chunk index ranges.
	Done [][2]int64    `json:"done"`
	Hash *hashSnapshot `json:"hash,omitempty"`
	Sink []byte        `json:"sink,omitempty"`
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

// bitset marks completed chunks.
type bitset []uint64

func newBitset(n int64) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int64)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) ranges() [][2]int64 {
	var out [][2]int64
	for w, v := range b {
		if v == 0 {
			continue
		}
		for k := int64(0); k < 64; k++ {
			if v&(1<<k) == 0 {
				continue
			}
			i := int64(w)*64 + k
			if n := len(out); n > 0 && out[n-1][1] == i {
				out[n-1][1]++
			} else {
				out = append(out, [2]int64{i, i + 1})
			}
		}
	}
	return out
}

func loadCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoCheckpoint)
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var c checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w: %v", path, errTornCheckpoint, err)
	}
	if c.Version != checkpointVersion {
		return nil, fmt.Errorf("checkpoint %s: version %d, want %d: %w", path, c.Version, checkpointVersion, ErrCheckpointMismatch)
	}
	return &c, nil
}

// writeFileAtomic replaces path with b so that a crash leaves the old or the
// new file, never a torn one: temp file, fsync, rename, fsync the directory.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

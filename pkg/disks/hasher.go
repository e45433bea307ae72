package disks

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"

	"github.com/zeebo/blake3"
)

// Content hash algorithms, by the names a staging manifest and a checkpoint
// give them.
const (
	// HashTree is the content hash of every copy and of staging format
	// v2 (disks.md): a two-level SHA-256 tree over ChunkSize leaves. A
	// leaf covers the runs of non-zero sectors inside its chunk, each as
	// its absolute offset and length (8 bytes big-endian each) then its
	// plain bytes, after a 0x00 byte; a chunk without data has no leaf.
	// The root is SHA-256 of 0x01, the virtual size (8 bytes big-endian),
	// then each leaf's chunk offset (8 bytes big-endian) and digest, in
	// disk order. Leaves are independent, so they are computed by the
	// workers in parallel; holes are never hashed.
	HashTree = "sha256-tree-4m"
	// HashRuns is staging format v1's contentSha256: SHA-256 over every
	// maximal run of non-zero sectors in order, each as its offset and
	// length (8 bytes big-endian each) then its bytes. A run's length
	// comes before its bytes, so the copier computes it only for a source
	// whose allocated ranges are exactly those runs (a v1 staging image,
	// whose manifest lists them): it then knows each length up front and
	// reads every byte once.
	HashRuns = "sha256-runs"
	// HashTreeBLAKE3 is HashTree with BLAKE3-256 in place of SHA-256 for
	// the leaves and the root (same bytes hashed, same layout), chosen by
	// CopyOptions.Hash. It exists for CPU: on this project's benchmark
	// machine SHA-256 (with SHA-NI) costs about 0.6 ns a byte on one core
	// and BLAKE3 (AVX-512) about a third of that, which is what separates
	// a plain copy from qemu-img's cost (BENCHMARKS.md). SHA-256 stays the
	// default because a verifier recomputes it with Python's hashlib
	// alone; BLAKE3 needs the blake3 package (github.com/zeebo/blake3
	// here: assembly for AVX-512/AVX2/SSE4.1, pure Go elsewhere).
	HashTreeBLAKE3 = "blake3-tree-4m"
)

// IsTreeHash reports whether alg is one of the tree content hashes
// (leaves per ChunkSize, computed in parallel).
func IsTreeHash(alg string) bool { return alg == HashTree || alg == HashTreeBLAKE3 }

// newTreeHash is the hash of a tree algorithm's leaves and root.
func newTreeHash(alg string) hash.Hash {
	if alg == HashTreeBLAKE3 {
		return blake3.New()
	}
	return sha256.New()
}

// ContentHashSource is implemented by a Source whose content hash is not
// HashTree (a v1 staging image: HashRuns). Its Allocated ranges must then
// be exactly its runs of non-zero sectors.
type ContentHashSource interface {
	ContentHash() string
}

// ErrSourceChanged is returned when what a source holds contradicts what it
// said it holds (data outside the runs a HashRuns source declared).
var ErrSourceChanged = errors.New("source changed during the copy")

func putExtentHeader(h hash.Hash, off, n int64) {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:], uint64(off))
	binary.BigEndian.PutUint64(b[8:], uint64(n))
	h.Write(b[:])
}

// leafDigest is chunk data's HashTree leaf: data holds the disk from off,
// ext are its non-zero runs inside it. h is the caller's scratch hash.
func leafDigest(h hash.Hash, data []byte, off int64, ext []Extent) [32]byte {
	h.Reset()
	h.Write([]byte{0})
	for _, e := range ext {
		putExtentHeader(h, e.Off, e.Len)
		h.Write(data[e.Off-off : e.Off-off+e.Len])
	}
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// LeafDigest is the HashTree leaf of the chunk whose plain bytes are data,
// read from virtual offset off (a multiple of ChunkSize); ok is false for a
// chunk without data, which has no leaf.
func LeafDigest(data []byte, off int64) (leaf [32]byte, ok bool) {
	ext := appendNonZero(nil, data, off)
	if len(ext) == 0 {
		return leaf, false
	}
	return leafDigest(sha256.New(), data, off, ext), true
}

// TreeRoot is the HashTree content hash of a disk of size bytes from its
// leaves by chunk index (Summary.Leaves).
func TreeRoot(size int64, leaves map[int64][32]byte) [32]byte {
	return treeRoot(HashTree, size, leaves)
}

// treeRoot is the root of tree algorithm alg over the leaves of a disk of
// size bytes, keyed by chunk index.
func treeRoot(alg string, size int64, leaves map[int64][32]byte) [32]byte {
	idx := make([]int64, 0, len(leaves))
	for i := range leaves {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	h := newTreeHash(alg)
	h.Write([]byte{1})
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(size))
	h.Write(b[:])
	for _, i := range idx {
		binary.BigEndian.PutUint64(b[:], uint64(i*ChunkSize))
		h.Write(b[:])
		l := leaves[i]
		h.Write(l[:])
	}
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// runsState is a runsHasher's progress at a chunk boundary, for a
// checkpoint: constant size whatever the disk.
type runsState struct {
	// Pos is where the next chunk to hash starts.
	Pos int64 `json:"pos"`
	// State is the SHA-256 state (encoding.BinaryMarshaler).
	State []byte `json:"state"`
	// Run is the index of the first run not wholly hashed; Open says its
	// header is hashed already.
	Run  int  `json:"run"`
	Open bool `json:"open,omitempty"`
}

// runsHasher computes HashRuns over chunks fed in disk order, with the runs
// known up front.
type runsHasher struct {
	h    hash.Hash
	runs []Extent
	st   runsState
}

func newRunsHasher(runs []Extent) *runsHasher {
	return &runsHasher{h: sha256.New(), runs: runs}
}

func (r *runsHasher) restore(s runsState) error {
	if s.Run < 0 || s.Run > len(r.runs) {
		return fmt.Errorf("checkpoint hash state: run %d of %d: %w", s.Run, len(r.runs), ErrCheckpointMismatch)
	}
	if err := r.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(s.State); err != nil {
		return fmt.Errorf("restore content hash state: %w", err)
	}
	r.st = s
	return nil
}

// chunk hashes the runs' bytes inside data, the disk from off; ext are the
// non-zero runs the copier found there, which must lie inside the declared
// runs. It returns the state at the chunk's end.
func (r *runsHasher) chunk(data []byte, off int64, ext []Extent) (runsState, error) {
	end := off + int64(len(data))
	for _, e := range ext {
		i, _ := slices.BinarySearchFunc(r.runs, e.Off, func(x Extent, t int64) int {
			if x.Off+x.Len <= t {
				return -1
			}
			return 1
		})
		if i == len(r.runs) || r.runs[i].Off > e.Off || r.runs[i].Off+r.runs[i].Len < e.Off+e.Len {
			return runsState{}, fmt.Errorf("data at [%d, +%d) outside the runs the source declared: %w", e.Off, e.Len, ErrSourceChanged)
		}
	}
	for r.st.Run < len(r.runs) && r.runs[r.st.Run].Off < end {
		e := r.runs[r.st.Run]
		if !r.st.Open {
			putExtentHeader(r.h, e.Off, e.Len)
			r.st.Open = true
		}
		lo, hi := max(e.Off, off), min(e.Off+e.Len, end)
		r.h.Write(data[lo-off : hi-off])
		if hi < e.Off+e.Len {
			break
		}
		r.st.Run++
		r.st.Open = false
	}
	r.st.Pos = end
	st, err := r.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return runsState{}, fmt.Errorf("save content hash state: %w", err)
	}
	s := r.st
	s.State = st
	return s, nil
}

func (r *runsHasher) sum() ([32]byte, error) {
	var s [32]byte
	if r.st.Run != len(r.runs) {
		return s, fmt.Errorf("content hash: %d of %d runs hashed: %w", r.st.Run, len(r.runs), ErrSourceChanged)
	}
	r.h.Sum(s[:0])
	return s, nil
}

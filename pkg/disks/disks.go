package disks

import "context"

// SectorSize is the unit of sparseness and of encryption.
const SectorSize = 512

// ChunkSize is the unit of pipelining, checkpointing and staging MACs: the
// copier never lets a chunk cross a ChunkSize boundary of the virtual disk.
const ChunkSize = 4 << 20

// Extent is the byte range [Off, Off+Len) of a virtual disk.
type Extent struct {
	Off int64
	Len int64
}

// Source is a virtual disk to copy from.
type Source interface {
	// Size is the virtual size in bytes.
	Size() int64
	// Allocated lists, sorted and non-overlapping, the ranges that may hold
	// data (a dynamic VHD's allocated blocks, a page blob's page ranges);
	// everything else reads as zeros and is never read. A source that cannot
	// tell returns one extent covering the whole disk.
	Allocated(ctx context.Context) ([]Extent, error)
	// ReadAt fills p from virtual offset off. Safe for concurrent use.
	ReadAt(ctx context.Context, p []byte, off int64) error
	Close() error
}

// Chunk is one aligned piece of the virtual disk in flight.
type Chunk struct {
	// Off is a multiple of ChunkSize.
	Off int64
	// Data holds the plain bytes of [Off, Off+len(Data)) inside Extents;
	// len(Data) <= ChunkSize, shorter only at the end of the disk. Bytes
	// outside Extents are undefined (holes are never cleared). A sink may
	// overwrite the bytes inside Extents (encrypt in place): the copier
	// has hashed them already and does not read them again.
	Data []byte
	// Extents are the runs of non-zero 512-byte sectors inside the chunk,
	// absolute offsets, sorted. Only these are written; the rest are holes.
	Extents []Extent
}

// Sink is a virtual disk to copy to.
type Sink interface {
	// WriteChunk writes c.Extents of c. Called concurrently for different
	// chunks, in any order; a sink must not keep c.Data after returning.
	WriteChunk(ctx context.Context, c *Chunk) error
	// Finish completes the copy (footer, manifest, flush, fsync) once every
	// chunk has been written.
	Finish(ctx context.Context, s Summary) error
	// Close releases resources; after Close without Finish the sink is
	// incomplete and a resumed copy may continue it.
	Close() error
}

// Summary is what the copier knows at the end of a copy.
type Summary struct {
	Size int64
	// Extents are every non-zero sector run of the disk, sorted, merged.
	Extents []Extent
	// ContentSHA256 is the content hash of disks.md computed with
	// ContentAlg: HashTree, unless the source asked for another
	// (ContentHashSource).
	ContentSHA256 [32]byte
	// ContentAlg names the content hash algorithm.
	ContentAlg string
	// Tree is the root of the tree hash TreeAlg (HashTree unless
	// CopyOptions.Hash chose another): ContentSHA256 itself for a tree
	// algorithm, and computed beside HashRuns for a v1 staging source, so
	// a disk step compares hashes of one kind whatever the source's
	// format. TreeAlg is "" when a resumed copy's older checkpoint holds
	// no leaves to build it from.
	Tree    [32]byte
	TreeAlg string
	// Leaves are the tree hash's leaf digests by chunk index (a chunk
	// without data has none); nil when TreeAlg is "". With them a copy that
	// changes only some chunks later (the pre-copy's cut-over delta) is
	// verified by hashing those chunks alone (LeafDigest, TreeRoot).
	Leaves map[int64][32]byte
}

// Resumable is implemented by sinks that carry state across an interrupted
// copy (the staging sink's wrapped key and chunk MACs). The copier stores
// State in its checkpoint when the copy starts and hands it back to
// Restore, once, before any WriteChunk of the resumed copy; the copy's
// chunks are recorded done only after Syncer.Sync when the sink is one. State must hold no secret in the clear;
// Restore may do I/O (check the destination it continues) under ctx.
type Resumable interface {
	State() ([]byte, error)
	Restore(ctx context.Context, state []byte) error
}

// ChunkResumable is a Resumable whose state grows with the chunks written
// (the staging sink's chunk MACs). The copier takes State once, when a
// fresh copy starts, and ChunkState of each chunk after its WriteChunk
// returned, appending it to the checkpoint with the chunk: constant work
// per chunk. A resume calls Restore, then RestoreChunks with the states of
// the chunks recorded done (keyed by chunk offset), before any WriteChunk.
type ChunkResumable interface {
	Resumable
	ChunkState(off int64) ([]byte, error)
	RestoreChunks(chunks map[int64][]byte) error
}

// Restarter is implemented by sinks that can start a copy afresh over
// whatever an interrupted one left, because their first write empties the
// destination (the staging sink). A resumed copy whose checkpoint is
// missing or unreadable (the process died before or while writing it)
// calls Restart, once, before any WriteChunk, and copies everything; a sink
// that is not a Restarter makes that resume fail with ErrNoCheckpoint, since
// stale bytes in what the copy skips as zeros would be a hole.
type Restarter interface {
	Restart(ctx context.Context) error
}

package disks

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"maps"
	"os"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// DefaultWorkers is the number of chunks in flight when CopyOptions.Workers
// is 0.
const DefaultWorkers = 4

// Syncer is implemented by sinks whose writes are not durable when
// WriteChunk returns (a local file). The copier calls Sync before it
// records chunks as done in a checkpoint.
type Syncer interface {
	Sync(ctx context.Context) error
}

// CopyOptions tune Copy.
type CopyOptions struct {
	// MaxBandwidth caps the bytes written per second; 0 means no cap.
	MaxBandwidth int64
	// MaxIOPS caps the write calls per second (one per extent written);
	// 0 means no cap.
	MaxIOPS int
	// Workers is how many chunks are in flight at once, each read, hashed
	// and written by one goroutine; 0 means DefaultWorkers. The copier
	// holds Workers+2 chunk buffers, allocated once.
	Workers int
	// Checkpoint is the path of the checkpoint file; "" means none. It is
	// removed when the copy succeeds.
	Checkpoint string
	// Resume continues from Checkpoint; the sink must hold what the
	// interrupted copy wrote (see ReopenRaw). A missing or torn checkpoint
	// restarts the copy if the sink is a Restarter, else is ErrNoCheckpoint.
	Resume bool
	// Progress, when set, is updated as the copy goes.
	Progress *Progress
	// Hash is the tree content hash: HashTree ("" too) or
	// HashTreeBLAKE3. A source that names its own (a staging image,
	// ContentHashSource) is hashed with that one, so the copy verifies
	// against its manifest.
	Hash string

	// clock replaces the wall clock in tests of the rate caps.
	clock clock
}

// item is one chunk in flight.
type item struct {
	seq   int // dispatch order, for the HashRuns turnstile
	idx   int64
	off   int64
	buf   []byte
	reads []Extent // allocated ranges inside the chunk
	hash  bool     // feed the HashRuns hasher (HashRuns copies only)
	write bool     // not done by an earlier run
}

func (it *item) allocated() int64 {
	var n int64
	for _, r := range it.reads {
		n += r.Len
	}
	return n
}

// Copy copies src to dst: only allocated ranges are read, each once, and
// only non-zero sectors written, chunk by chunk, Workers chunks in flight,
// with memory bounded by Workers+2 chunk buffers. It returns the extents
// and content hash.
//
// When ctx is cancelled, Copy starts no new chunk, lets the chunks in flight
// finish (their I/O no longer bound to ctx), records them in the checkpoint
// and returns an error wrapping ctx's: a resume then sends only what is
// missing. Errors from dst or src are returned wrapped; on any error the
// sink is left unfinished (the caller closes it) and, with a checkpoint,
// resumable.
func Copy(ctx context.Context, src Source, dst Sink, o CopyOptions) (Summary, error) {
	c, err := newCopier(ctx, src, dst, o)
	if err != nil {
		return Summary{}, err
	}
	return c.run(ctx)
}

type copier struct {
	src   Source
	dst   Sink
	o     CopyOptions
	size  int64
	alloc []Extent
	fp    string
	alg   string
	// treeAlg hashes the leaves: alg when it is a tree hash, HashTree
	// beside HashRuns, "" when a resumed checkpoint has no leaves.
	treeAlg string
	thr     *throttle

	nbuf int
	pool chan []byte
	made int

	prior  bitset // chunks an earlier run completed; read-only once running
	runs   *runsHasher
	hashAt int64 // HashRuns: where the restored hash state stands

	mu     sync.Mutex
	exts   map[int64][]Extent // per chunk, non-zero runs found
	leaves map[int64][32]byte // HashTree leaves
	sinkSt map[int64][]byte   // restored ChunkState, for compaction

	turnMu sync.Mutex
	turn   *sync.Cond
	next   int  // seq whose turn it is to hash
	broken bool // a worker failed: the turnstile lets everyone out
}

func newCopier(ctx context.Context, src Source, dst Sink, o CopyOptions) (*copier, error) {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.clock == nil {
		o.clock = realClock{}
	}
	if o.Resume && o.Checkpoint == "" {
		return nil, fmt.Errorf("resume a copy: %w (no checkpoint path given)", ErrNoCheckpoint)
	}
	size := src.Size()
	if size < 0 {
		return nil, fmt.Errorf("source size %d is negative", size)
	}
	raw, err := src.Allocated(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the source's allocated ranges: %w", err)
	}
	alloc, err := normalize(raw, size)
	if err != nil {
		return nil, err
	}
	alg := o.Hash
	if alg == "" {
		alg = HashTree
	}
	if !IsTreeHash(alg) {
		return nil, fmt.Errorf("content hash %q: want %q or %q", alg, HashTree, HashTreeBLAKE3)
	}
	if h, ok := src.(ContentHashSource); ok {
		alg = h.ContentHash()
	}
	if !IsTreeHash(alg) && alg != HashRuns {
		return nil, fmt.Errorf("source asks for content hash %q, want %q, %q or %q", alg, HashTree, HashTreeBLAKE3, HashRuns)
	}
	treeAlg := alg
	if alg == HashRuns {
		treeAlg = HashTree
	}
	c := &copier{
		src: src, dst: dst, o: o, size: size, alloc: alloc, alg: alg, treeAlg: treeAlg,
		fp:     fingerprint(size, alloc),
		thr:    newThrottle(o.clock, o.MaxBandwidth, o.MaxIOPS),
		nbuf:   o.Workers + 2,
		prior:  newBitset((size + ChunkSize - 1) / ChunkSize),
		exts:   map[int64][]Extent{},
		leaves: map[int64][32]byte{},
		sinkSt: map[int64][]byte{},
	}
	if alg == HashRuns {
		c.runs = newRunsHasher(alloc)
	}
	c.turn = sync.NewCond(&c.turnMu)
	c.pool = make(chan []byte, c.nbuf)
	return c, nil
}

// normalize checks a source's Allocated list and aligns it to sectors.
func normalize(in []Extent, size int64) ([]Extent, error) {
	var out []Extent
	var prev int64
	for i, e := range in {
		if e.Len <= 0 || e.Off < prev || e.Off+e.Len > size {
			return nil, fmt.Errorf("source's allocated range %d [%d, +%d) is empty, unsorted, overlapping or beyond the size %d", i, e.Off, e.Len, size)
		}
		prev = e.Off + e.Len
		lo := e.Off &^ (SectorSize - 1)
		hi := min((e.Off+e.Len+SectorSize-1)&^(SectorSize-1), size)
		if n := len(out); n > 0 && lo <= out[n-1].Off+out[n-1].Len {
			out[n-1].Len = hi - out[n-1].Off
			continue
		}
		out = append(out, Extent{Off: lo, Len: hi - lo})
	}
	return out, nil
}

// chunks calls yield for every chunk holding allocated ranges, in order.
func (c *copier) chunks(yield func(off int64, reads []Extent) bool) {
	var reads []Extent
	cur := int64(-1)
	for _, e := range c.alloc {
		for off := e.Off; off < e.Off+e.Len; {
			base := off &^ (ChunkSize - 1)
			n := min(e.Off+e.Len, base+ChunkSize) - off
			if base != cur {
				if cur >= 0 && !yield(cur, reads) {
					return
				}
				cur, reads = base, nil
			}
			reads = append(reads, Extent{Off: off, Len: n})
			off += n
		}
	}
	if cur >= 0 {
		yield(cur, reads)
	}
}

func (c *copier) chunkLen(off int64) int64 { return min(ChunkSize, c.size-off) }

// acquire takes a chunk buffer, making one while fewer than nbuf exist.
func (c *copier) acquire(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.pool:
		return b, nil
	default:
	}
	if c.made < c.nbuf {
		c.made++
		return make([]byte, ChunkSize), nil
	}
	select {
	case b := <-c.pool:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// restore continues from the checkpoint. A checkpoint that is missing or
// unreadable (the process died before or while writing it) records nothing
// done: a sink that can start afresh (Restarter) does, and the copy copies
// everything; any other sink is refused, since what it holds is unknown.
// It returns the records to keep in the compacted log.
func (c *copier) restore(ctx context.Context) ([]cpRecord, *runsState, error) {
	cp, err := loadCheckpoint(c.o.Checkpoint)
	if errors.Is(err, ErrNoCheckpoint) {
		r, ok := c.dst.(Restarter)
		if !ok {
			return nil, nil, err
		}
		if err := r.Restart(ctx); err != nil {
			return nil, nil, fmt.Errorf("restart the copy (%w): %w", ErrNoCheckpoint, err)
		}
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if cp.Size != c.size || cp.ChunkSize != ChunkSize || cp.Source != c.fp || cp.Hash != c.alg {
		return nil, nil, fmt.Errorf("checkpoint %s: made for a source of %d bytes (fingerprint %.12s, hash %s), this one has %d (%.12s, %s): %w",
			c.o.Checkpoint, cp.Size, cp.Source, cp.Hash, c.size, c.fp, c.alg, ErrCheckpointMismatch)
	}
	nchunks := (c.size + ChunkSize - 1) / ChunkSize
	keep := cp.records[:0]
	for _, r := range cp.records {
		if r.Chunk < 0 || r.Chunk >= nchunks || c.prior.has(r.Chunk) {
			return nil, nil, fmt.Errorf("checkpoint %s: chunk %d out of bounds or twice: %w", c.o.Checkpoint, r.Chunk, ErrCheckpointMismatch)
		}
		ext, err := recordExtents(r, c.chunkLen(r.Chunk*ChunkSize))
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint %s: %w: %w", c.o.Checkpoint, err, ErrCheckpointMismatch)
		}
		c.prior.set(r.Chunk)
		if len(ext) > 0 {
			c.exts[r.Chunk] = ext
		}
		if c.alg == HashRuns && len(ext) > 0 && r.Leaf == "" {
			// Written by a build that kept no leaves beside HashRuns:
			// the copy ends without a tree root.
			c.treeAlg = ""
		}
		if c.treeAlg != "" && len(ext) > 0 {
			l, err := hex.DecodeString(r.Leaf)
			if err != nil || len(l) != 32 {
				return nil, nil, fmt.Errorf("checkpoint %s: chunk %d: bad leaf: %w", c.o.Checkpoint, r.Chunk, ErrCheckpointMismatch)
			}
			c.leaves[r.Chunk] = [32]byte(l)
		}
		if r.Sink != nil {
			c.sinkSt[r.Chunk*ChunkSize] = r.Sink
		}
		keep = append(keep, r)
	}
	if c.runs != nil && cp.hash != nil {
		if err := c.runs.restore(*cp.hash); err != nil {
			return nil, nil, err
		}
		c.hashAt = cp.hash.Pos
	}
	// A wrapper that passes Resumable through to a sink that is not (a
	// test's counting sink over a raw file) has no state to restore.
	if r, ok := c.dst.(Resumable); ok && len(cp.Sink) > 0 {
		if err := r.Restore(ctx, cp.Sink); err != nil {
			return nil, nil, fmt.Errorf("restore the destination's state: %w", err)
		}
		if cr, ok := c.dst.(ChunkResumable); ok {
			if err := cr.RestoreChunks(c.sinkSt); err != nil {
				return nil, nil, fmt.Errorf("restore the destination's state: %w", err)
			}
		}
	} else if len(cp.Sink) > 0 && !ok {
		return nil, nil, fmt.Errorf("checkpoint %s holds sink state but the destination cannot resume: %w", c.o.Checkpoint, ErrCheckpointMismatch)
	}
	var hs *runsState
	if c.runs != nil && cp.hash != nil {
		hs = cp.hash
	}
	return keep, hs, nil
}

// recordExtents checks a record's extents against its chunk.
func recordExtents(r cpRecord, n int64) ([]Extent, error) {
	lo, hi := r.Chunk*ChunkSize, r.Chunk*ChunkSize+n
	out := make([]Extent, 0, len(r.Ext))
	at := lo
	for _, e := range r.Ext {
		if e[1] <= 0 || e[0] < at || e[0]+e[1] > hi || e[0]%SectorSize != 0 || (e[1]%SectorSize != 0 && e[0]+e[1] != hi) {
			return nil, fmt.Errorf("chunk %d: extent [%d, +%d) unsorted, unaligned or outside it", r.Chunk, e[0], e[1])
		}
		out = append(out, Extent{Off: e[0], Len: e[1]})
		at = e[0] + e[1]
	}
	return out, nil
}

func (c *copier) header() (cpHeader, error) {
	h := cpHeader{Version: checkpointVersion, Size: c.size, ChunkSize: ChunkSize, Source: c.fp, Hash: c.alg}
	if r, ok := c.dst.(Resumable); ok {
		st, err := r.State()
		if err != nil {
			return h, fmt.Errorf("save the destination's state: %w", err)
		}
		h.Sink = st
	}
	return h, nil
}

// done is what a finished chunk reports to the checkpointer.
type done struct {
	rec  cpRecord
	hash *runsState
}

func (c *copier) run(ctx context.Context) (Summary, error) {
	var (
		kept []cpRecord
		hs   *runsState
	)
	if c.o.Resume {
		var err error
		if kept, hs, err = c.restore(ctx); err != nil {
			return Summary{}, err
		}
	}
	var total int64
	for _, e := range c.alloc {
		total += e.Len
	}
	c.o.Progress.begin(total, c.o.clock.Now())

	// The log exists before anything is written, so a copy killed at once
	// still resumes; a resume rewrites it compacted.
	var log *checkpointLog
	if c.o.Checkpoint != "" {
		h, err := c.header()
		if err != nil {
			return Summary{}, err
		}
		if log, err = createCheckpoint(c.o.Checkpoint, h, kept, hs); err != nil {
			return Summary{}, err
		}
		// append synced every record it wrote: a failed close loses none.
		defer func() { _ = log.close() }()
	}

	// In-flight work outlives a cancelled ctx: it finishes and is
	// recorded. Only dispatch watches ctx.
	work := context.WithoutCancel(ctx)
	g, gctx := errgroup.WithContext(work)
	workCh := make(chan *item)
	doneCh := make(chan done, c.nbuf)

	g.Go(func() error {
		defer close(workCh)
		seq := 0
		var err error
		c.chunks(func(off int64, reads []Extent) bool {
			if ctx.Err() != nil {
				return false
			}
			idx := off / ChunkSize
			it := &item{idx: idx, off: off, reads: reads}
			it.write = !c.prior.has(idx)
			it.hash = c.runs != nil && off+c.chunkLen(off) > c.hashAt
			if !it.write {
				c.o.Progress.add(it.allocated())
			}
			if !it.write && !it.hash {
				return true
			}
			if it.buf, err = c.acquire(gctx); err != nil {
				return false
			}
			it.seq = seq
			seq++
			select {
			case workCh <- it:
				return true
			case <-gctx.Done():
				err = gctx.Err()
				return false
			}
		})
		return err
	})

	var workers sync.WaitGroup
	for range c.o.Workers {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			h := newTreeHash(c.treeAlg)
			var ext []Extent
			for it := range workCh {
				var err error
				if ext, err = c.process(gctx, h, it, ext[:0], doneCh); err != nil {
					c.breakTurnstile()
					return err
				}
			}
			return nil
		})
	}
	go func() { workers.Wait(); close(doneCh) }()

	// The checkpointer records finished chunks in batches: everything that
	// finished while the previous batch was being made durable. It keeps
	// going after a failure so that chunks already written are recorded.
	saveErr := make(chan error, 1)
	go func() {
		var err error
		var batch []cpRecord
		for d := range doneCh {
			batch = c.collect(batch[:0], d)
		drain:
			for {
				select {
				case d, ok := <-doneCh:
					if !ok {
						break drain
					}
					batch = c.collect(batch, d)
				default:
					break drain
				}
			}
			if err == nil && log != nil {
				err = c.save(work, log, batch)
			}
		}
		saveErr <- err
	}()

	err := g.Wait()
	if serr := <-saveErr; err == nil {
		err = serr
	}
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("copy stopped, chunks in flight finished and recorded: %w", ctx.Err())
	}
	if err != nil {
		return Summary{}, err
	}
	sum, err := c.summary()
	if err != nil {
		return Summary{}, err
	}
	if err := c.dst.Finish(ctx, sum); err != nil {
		return Summary{}, fmt.Errorf("finish the destination: %w", err)
	}
	if c.o.Checkpoint != "" {
		_ = log.close() // every record is synced, and the log goes next
		if err := os.Remove(c.o.Checkpoint); err != nil && !os.IsNotExist(err) {
			return sum, fmt.Errorf("remove checkpoint: %w", err)
		}
	}
	return sum, nil
}

// collect adds a finished chunk to the copier's state and to batch.
func (c *copier) collect(batch []cpRecord, d done) []cpRecord {
	if d.hash != nil {
		return append(batch, cpRecord{Chunk: -1, Hash: d.hash})
	}
	return append(batch, d.rec)
}

// save makes the sink's writes durable, then appends the batch.
func (c *copier) save(ctx context.Context, log *checkpointLog, batch []cpRecord) error {
	if s, ok := c.dst.(Syncer); ok {
		if err := s.Sync(ctx); err != nil {
			return fmt.Errorf("sync the destination before a checkpoint: %w", err)
		}
	}
	return log.append(batch)
}

// process reads one chunk's allocated ranges (only those: the gaps are
// never touched), finds its non-zero runs while the data is in cache,
// hashes it and writes it, then reports it done.
func (c *copier) process(ctx context.Context, h hash.Hash, it *item, ext []Extent, doneCh chan<- done) ([]Extent, error) {
	data := it.buf[:c.chunkLen(it.off)]
	for _, r := range it.reads {
		p := data[r.Off-it.off : r.Off-it.off+r.Len]
		if err := c.src.ReadAt(ctx, p, r.Off); err != nil {
			c.pool <- it.buf
			return ext, fmt.Errorf("read source at %d: %w", r.Off, err)
		}
		ext = appendNonZero(ext, p, r.Off)
	}
	var rec cpRecord
	rec.Chunk = it.idx
	if c.runs != nil {
		if it.hash {
			st, err := c.hashInTurn(it, data, ext)
			if err != nil {
				c.pool <- it.buf
				return ext, err
			}
			doneCh <- done{hash: &st}
		}
	}
	if len(ext) > 0 && c.treeAlg != "" {
		l := leafDigest(h, data, it.off, ext)
		rec.Leaf = hex.EncodeToString(l[:])
		c.mu.Lock()
		c.leaves[it.idx] = l
		c.mu.Unlock()
	}
	if !it.write {
		c.pool <- it.buf
		return ext, nil
	}
	if len(ext) > 0 {
		if err := c.write(ctx, it, data, ext); err != nil {
			c.pool <- it.buf
			return ext, err
		}
		if cr, ok := c.dst.(ChunkResumable); ok {
			st, err := cr.ChunkState(it.off)
			if err != nil {
				c.pool <- it.buf
				return ext, fmt.Errorf("chunk %d: the destination's state: %w", it.off, err)
			}
			rec.Sink = st
		}
		own := slices.Clone(ext)
		rec.Ext = make([][2]int64, len(own))
		for i, e := range own {
			rec.Ext[i] = [2]int64{e.Off, e.Len}
		}
		c.mu.Lock()
		c.exts[it.idx] = own
		c.mu.Unlock()
	}
	c.pool <- it.buf
	c.o.Progress.add(it.allocated())
	doneCh <- done{rec: rec}
	return ext, nil
}

// hashInTurn feeds the HashRuns hasher, chunks in dispatch order: a worker
// waits for the chunks dispatched before its own. Reading and writing stay
// parallel; only the hash is serial, as HashRuns is.
func (c *copier) hashInTurn(it *item, data []byte, ext []Extent) (runsState, error) {
	c.turnMu.Lock()
	defer c.turnMu.Unlock()
	for c.next != it.seq && !c.broken {
		c.turn.Wait()
	}
	if c.broken {
		return runsState{}, errors.New("copy failed in another chunk")
	}
	st, err := c.runs.chunk(data, it.off, ext)
	if err != nil {
		c.broken = true
	}
	c.next++
	c.turn.Broadcast()
	return st, err
}

func (c *copier) breakTurnstile() {
	c.turnMu.Lock()
	c.broken = true
	c.turn.Broadcast()
	c.turnMu.Unlock()
}

// summary merges the chunks' runs and computes the content hash.
func (c *copier) summary() (Summary, error) {
	idx := make([]int64, 0, len(c.exts))
	for i := range c.exts {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var out []Extent
	for _, i := range idx {
		for _, e := range c.exts[i] {
			if n := len(out); n > 0 && out[n-1].Off+out[n-1].Len == e.Off {
				out[n-1].Len += e.Len
				continue
			}
			out = append(out, e)
		}
	}
	s := Summary{Size: c.size, Extents: out, ContentAlg: c.alg, TreeAlg: c.treeAlg}
	if c.treeAlg != "" {
		s.Tree = treeRoot(c.treeAlg, c.size, c.leaves)
		s.Leaves = maps.Clone(c.leaves)
	}
	if c.runs != nil {
		h, err := c.runs.sum()
		if err != nil {
			return Summary{}, err
		}
		s.ContentSHA256 = h
		return s, nil
	}
	s.ContentSHA256 = s.Tree
	return s, nil
}

// write sends one chunk to the sink within the rate caps.
func (c *copier) write(ctx context.Context, it *item, data []byte, ext []Extent) error {
	var n int64
	for _, e := range ext {
		n += e.Len
	}
	if err := c.thr.wait(ctx, n, len(ext)); err != nil {
		return err
	}
	ch := &Chunk{Off: it.off, Data: data, Extents: slices.Clip(ext)}
	if err := c.dst.WriteChunk(ctx, ch); err != nil {
		return fmt.Errorf("write chunk at %d: %w", it.off, err)
	}
	return nil
}

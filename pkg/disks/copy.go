package disks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// DefaultWorkers is the number of concurrent reads and of concurrent writes
// when CopyOptions.Workers is 0.
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
	// Workers is how many chunks are read and how many written at once;
	// 0 means DefaultWorkers. Memory is about (Workers+5) chunks.
	Workers int
	// Checkpoint is the path of the checkpoint file; "" means none. It is
	// removed when the copy succeeds.
	Checkpoint string
	// Resume continues from Checkpoint; the sink must hold what the
	// interrupted copy wrote (see ReopenRaw).
	Resume bool
	// Progress, when set, is updated as the copy goes.
	Progress *Progress

	// clock replaces the wall clock in tests of the rate caps.
	clock clock
}

// item is one chunk in flight. refs counts the stages (hash, write) still
// using buf; the last one returns it to the pool.
type item struct {
	seq     int
	idx     int64
	off     int64
	buf     []byte
	data    []byte
	reads   []Extent // allocated ranges inside the chunk
	extents []Extent // non-zero sector runs
	hash    bool
	write   bool
	refs    atomic.Int32
}

func (it *item) allocated() int64 {
	var n int64
	for _, r := range it.reads {
		n += r.Len
	}
	return n
}

// Copy copies src to dst: only allocated ranges are read and only non-zero
// sectors written, chunk by chunk, several in flight, with memory bounded by
// a fixed pool of chunk buffers. It returns the extents and content hash.
// Errors from dst or src are returned wrapped; on any error the sink is left
// unfinished (the caller closes it) and, with a checkpoint, resumable.
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
	thr   *throttle

	nbuf    int
	pool    chan []byte
	made    int
	prior   bitset // chunks an earlier run completed; read-only once running
	done    bitset // chunks completed (earlier runs and this one), under mu
	hasher  *contentHasher
	hashPos int64

	lookBufs [][]byte // lookahead's segment buffers, made on first use

	mu       sync.Mutex
	snap     *hashSnapshot // latest consistent hash state
	lastSave *hashSnapshot
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
	c := &copier{
		src: src, dst: dst, o: o, size: size, alloc: alloc,
		fp:    fingerprint(size, alloc),
		thr:   newThrottle(o.clock, o.MaxBandwidth, o.MaxIOPS),
		nbuf:  o.Workers + 4,
		prior: newBitset((size + ChunkSize - 1) / ChunkSize),
		done:  newBitset((size + ChunkSize - 1) / ChunkSize),
	}
	c.pool = make(chan []byte, c.nbuf)
	c.hasher = newContentHasher(size, c.nbuf/2, c.lookahead, c.release)
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

func (c *copier) release(it *item) {
	if it.refs.Add(-1) == 0 {
		c.pool <- it.buf
	}
}

// fill reads the chunk's allocated ranges and clears the gaps between
// them (which read as zeros), then finds its non-zero sector runs. Only the
// gaps are cleared: a fully allocated chunk is written once, by the read.
func (c *copier) fill(ctx context.Context, buf []byte, off int64, reads []Extent) ([]byte, []Extent, error) {
	data := buf[:c.chunkLen(off)]
	var ext []Extent
	at := off
	for _, r := range reads {
		clear(data[at-off : r.Off-off])
		p := data[r.Off-off : r.Off-off+r.Len]
		if err := c.src.ReadAt(ctx, p, r.Off); err != nil {
			return nil, nil, fmt.Errorf("read source at %d: %w", r.Off, err)
		}
		ext = appendNonZero(ext, p, r.Off)
		at = r.Off + r.Len
	}
	clear(data[at-off:])
	return data, ext, nil
}

// lookSegment is the unit of a read ahead: small enough that a run ending
// early is found without reading much past it, large enough for big reads.
const lookSegment = 1 << 20

// lookahead finds where a run of non-zero sectors that reaches from (a
// chunk boundary) ends. It reads ahead in segments, Workers of them at a
// time with its own buffers, and stops at the first batch holding the end.
// Only the sequencer calls it.
func (c *copier) lookahead(ctx context.Context, from int64) (int64, error) {
	w := c.o.Workers
	if c.lookBufs == nil {
		c.lookBufs = make([][]byte, w)
		for i := range c.lookBufs {
			c.lookBufs[i] = make([]byte, lookSegment)
		}
	}
	type result struct {
		end   int64
		found bool
		err   error
	}
	res := make([]result, w)
	for off := from; off < c.size; off += int64(w) * lookSegment {
		var wg sync.WaitGroup
		for i := range w {
			lo := off + int64(i)*lookSegment
			if lo >= c.size {
				res[i] = result{}
				continue
			}
			wg.Go(func() {
				e, ok, err := c.runEnd(ctx, c.lookBufs[i], lo, min(lo+lookSegment, c.size))
				res[i] = result{e, ok, err}
			})
		}
		wg.Wait()
		for _, r := range res {
			if r.err != nil {
				return 0, r.err
			}
			if r.found {
				return r.end, nil
			}
		}
	}
	return c.size, nil
}

// runEnd reports the first zero sector in [lo, hi), if any: an unallocated
// byte or an all-zero sector of data. It reads only the allocated prefix.
func (c *copier) runEnd(ctx context.Context, buf []byte, lo, hi int64) (int64, bool, error) {
	i, _ := slices.BinarySearchFunc(c.alloc, lo, func(e Extent, t int64) int {
		if e.Off+e.Len <= t {
			return -1
		}
		return 1
	})
	if i == len(c.alloc) || c.alloc[i].Off > lo {
		return lo, true, nil
	}
	end := min(hi, c.alloc[i].Off+c.alloc[i].Len)
	p := buf[:end-lo]
	if err := c.src.ReadAt(ctx, p, lo); err != nil {
		return 0, false, fmt.Errorf("read source at %d: %w", lo, err)
	}
	if z := firstZeroSector(p); z >= 0 {
		return lo + int64(z), true, nil
	}
	if end < hi {
		return end, true, nil // unallocated from end on
	}
	return 0, false, nil
}

// restore continues from the checkpoint. A checkpoint that is missing or
// unreadable (the process died before or while writing it) records nothing
// done: a sink that can start afresh (Restarter) does, and the copy copies
// everything; any other sink is refused, since what it holds is unknown.
func (c *copier) restore(ctx context.Context) error {
	cp, err := loadCheckpoint(c.o.Checkpoint)
	if errors.Is(err, ErrNoCheckpoint) || errors.Is(err, errTornCheckpoint) {
		r, ok := c.dst.(Restarter)
		if !ok {
			return err
		}
		if err := r.Restart(ctx); err != nil {
			return fmt.Errorf("restart the copy (%w): %w", ErrNoCheckpoint, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if cp.Size != c.size || cp.ChunkSize != ChunkSize || cp.Source != c.fp {
		return fmt.Errorf("checkpoint %s: made for a source of %d bytes (fingerprint %.12s), this one has %d (%.12s): %w",
			c.o.Checkpoint, cp.Size, cp.Source, c.size, c.fp, ErrCheckpointMismatch)
	}
	for _, r := range cp.Done {
		if r[0] < 0 || r[1] > (c.size+ChunkSize-1)/ChunkSize || r[0] > r[1] {
			return fmt.Errorf("checkpoint %s: chunk range %v out of bounds: %w", c.o.Checkpoint, r, ErrCheckpointMismatch)
		}
		for i := r[0]; i < r[1]; i++ {
			c.prior.set(i)
			c.done.set(i)
		}
	}
	if cp.Hash != nil {
		if err := c.hasher.restore(cp.Hash); err != nil {
			return err
		}
		c.hashPos = cp.Hash.Pos
		c.snap = cp.Hash
	}
	if len(cp.Sink) > 0 {
		r, ok := c.dst.(Resumable)
		if !ok {
			return fmt.Errorf("checkpoint %s holds sink state but the destination cannot resume: %w", c.o.Checkpoint, ErrCheckpointMismatch)
		}
		if err := r.Restore(ctx, cp.Sink); err != nil {
			return fmt.Errorf("restore the destination's state: %w", err)
		}
	}
	return nil
}

// save syncs the sink and writes the checkpoint.
func (c *copier) save(ctx context.Context) error {
	if c.o.Checkpoint == "" {
		return nil
	}
	if s, ok := c.dst.(Syncer); ok {
		if err := s.Sync(ctx); err != nil {
			return fmt.Errorf("sync the destination before a checkpoint: %w", err)
		}
	}
	c.mu.Lock()
	cp := checkpoint{Version: checkpointVersion, Size: c.size, ChunkSize: ChunkSize, Source: c.fp, Done: c.done.ranges(), Hash: c.snap}
	c.mu.Unlock()
	if r, ok := c.dst.(Resumable); ok {
		st, err := r.State()
		if err != nil {
			return fmt.Errorf("save the destination's state: %w", err)
		}
		cp.Sink = st
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	return writeFileAtomic(c.o.Checkpoint, b)
}

func (c *copier) run(ctx context.Context) (Summary, error) {
	if c.o.Resume {
		if err := c.restore(ctx); err != nil {
			return Summary{}, err
		}
	}
	var total int64
	for _, e := range c.alloc {
		total += e.Len
	}
	c.o.Progress.begin(total, c.o.clock.Now())
	// A checkpoint from the start means a copy killed at once still
	// resumes rather than finding nothing.
	if err := c.save(ctx); err != nil {
		return Summary{}, err
	}

	g, gctx := errgroup.WithContext(ctx)
	readCh := make(chan *item)
	seqCh := make(chan *item, c.nbuf)
	writeCh := make(chan *item, c.nbuf)
	doneCh := make(chan int64, c.nbuf)

	// Dispatch chunks in order, each with a buffer taken in order so the
	// sequencer's next chunk always has one.
	g.Go(func() error {
		defer close(readCh)
		seq := 0
		var err error
		c.chunks(func(off int64, reads []Extent) bool {
			idx := off / ChunkSize
			it := &item{idx: idx, off: off, reads: reads}
			it.hash = off+c.chunkLen(off) > c.hashPos
			it.write = !c.prior.has(idx)
			if !it.write {
				c.o.Progress.add(it.allocated())
			}
			if !it.hash && !it.write {
				return true
			}
			if it.buf, err = c.acquire(gctx); err != nil {
				return false
			}
			it.seq = seq
			seq++
			select {
			case readCh <- it:
				return true
			case <-gctx.Done():
				err = gctx.Err()
				return false
			}
		})
		return err
	})

	// Readers fill chunks concurrently.
	var readers sync.WaitGroup
	for range c.o.Workers {
		readers.Add(1)
		g.Go(func() error {
			defer readers.Done()
			for it := range readCh {
				var err error
				if it.data, it.extents, err = c.fill(gctx, it.buf, it.off, it.reads); err != nil {
					return err
				}
				select {
				case seqCh <- it:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() { readers.Wait(); close(seqCh) }()

	// The sequencer puts chunks back in order, hands them to writers and
	// feeds the in-order content hash.
	var sum Summary
	seqDone := make(chan struct{})
	g.Go(func() error {
		defer close(seqDone)
		defer close(writeCh)
		pending := map[int]*item{}
		next := 0
		for it := range seqCh {
			pending[it.seq] = it
			for {
				it, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if err := c.sequence(gctx, it, writeCh, doneCh); err != nil {
					return err
				}
			}
		}
		if gctx.Err() != nil {
			return gctx.Err()
		}
		ext, h, err := c.hasher.finish()
		if err != nil {
			return err
		}
		sum = Summary{Size: c.size, Extents: ext, ContentSHA256: h}
		return nil
	})

	// Writers.
	var writers sync.WaitGroup
	for range c.o.Workers {
		writers.Add(1)
		g.Go(func() error {
			defer writers.Done()
			for it := range writeCh {
				if err := c.write(gctx, it); err != nil {
					return err
				}
				doneCh <- it.idx
			}
			return nil
		})
	}
	go func() { writers.Wait(); <-seqDone; close(doneCh) }()

	// The checkpointer records completed chunks, batched: everything that
	// completed while the previous checkpoint was being written. It keeps
	// going after a failure so that chunks already written are recorded.
	saveErr := make(chan error, 1)
	go func() {
		var err error
		keep := context.WithoutCancel(ctx)
		for idx := range doneCh {
			c.mu.Lock()
			c.done.set(idx)
			c.mu.Unlock()
		drain:
			for {
				select {
				case i, ok := <-doneCh:
					if !ok {
						break drain
					}
					c.mu.Lock()
					c.done.set(i)
					c.mu.Unlock()
				default:
					break drain
				}
			}
			if err == nil {
				err = c.save(keep)
			}
		}
		saveErr <- err
	}()

	err := g.Wait()
	if serr := <-saveErr; err == nil {
		err = serr
	}
	if err != nil {
		return Summary{}, err
	}
	if err := c.dst.Finish(ctx, sum); err != nil {
		return Summary{}, fmt.Errorf("finish the destination: %w", err)
	}
	if c.o.Checkpoint != "" {
		if err := os.Remove(c.o.Checkpoint); err != nil && !os.IsNotExist(err) {
			return sum, fmt.Errorf("remove checkpoint: %w", err)
		}
	}
	return sum, nil
}

// sequence handles the next chunk in disk order.
func (c *copier) sequence(ctx context.Context, it *item, writeCh chan<- *item, doneCh chan<- int64) error {
	writes := it.write && len(it.extents) > 0
	var refs int32
	if it.hash {
		refs++
	}
	if writes {
		refs++
	}
	if refs == 0 {
		c.pool <- it.buf
	}
	it.refs.Store(refs)
	if it.write && !writes {
		// All zeros: nothing to write, done already.
		c.o.Progress.add(it.allocated())
		select {
		case doneCh <- it.idx:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if writes {
		select {
		case writeCh <- it:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !it.hash {
		return nil
	}
	if err := c.hasher.process(ctx, it); err != nil {
		return err
	}
	if c.o.Checkpoint != "" {
		s, err := c.hasher.snapshot(it.off + int64(len(it.data)))
		if err != nil {
			return err
		}
		if s != nil {
			c.mu.Lock()
			c.snap = s
			c.mu.Unlock()
		}
	}
	return nil
}

// write sends one chunk to the sink within the rate caps.
func (c *copier) write(ctx context.Context, it *item) error {
	defer c.release(it)
	var n int64
	for _, e := range it.extents {
		n += e.Len
	}
	if err := c.thr.wait(ctx, n, len(it.extents)); err != nil {
		return err
	}
	ch := &Chunk{Off: it.off, Data: it.data, Extents: slices.Clip(it.extents)}
	if err := c.dst.WriteChunk(ctx, ch); err != nil {
		return fmt.Errorf("write chunk at %d: %w", it.off, err)
	}
	c.o.Progress.add(it.allocated())
	return nil
}

package disks

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// ErrSourceChanged is returned when two reads of the same range disagree
// about where data is: the source changed under the copy.
var ErrSourceChanged = errors.New("source changed during the copy")

// hashSnapshot is the content hash's progress at a chunk boundary with no
// bytes waiting: what a checkpoint records so a resumed copy carries on.
type hashSnapshot struct {
	// Pos is where the next chunk to hash starts.
	Pos int64 `json:"pos"`
	// State is the SHA-256 state (encoding.BinaryMarshaler).
	State []byte `json:"state"`
	// Extents are the runs closed so far.
	Extents []Extent `json:"extents"`
	// Run is an open run whose header is hashed: [Off, End) with bytes up
	// to Cur hashed.
	Run *openRun `json:"run,omitempty"`
}

type openRun struct {
	Off int64 `json:"off"`
	Cur int64 `json:"cur"`
	End int64 `json:"end"`
}

// contentHasher computes Summary.ContentSHA256 over chunks fed in order.
// Each maximal run of non-zero sectors is hashed as offset, length, bytes;
// the length comes first, so a run that reaches the end of a chunk is held
// (its chunks kept) until it ends, and when more than holdMax chunks would
// be held, lookahead reads ahead to find the end instead, and the run is then
// streamed. Memory stays bounded whatever the run length.
type contentHasher struct {
	h       hash.Hash
	size    int64
	extents []Extent

	open      bool
	streaming bool
	run       openRun
	held      []*item

	holdMax   int
	lookahead func(ctx context.Context, from int64) (int64, error)
	release   func(*item)
}

func newContentHasher(size int64, holdMax int, lookahead func(context.Context, int64) (int64, error), release func(*item)) *contentHasher {
	return &contentHasher{h: sha256.New(), size: size, holdMax: holdMax, lookahead: lookahead, release: release}
}

// restore continues from a checkpoint's snapshot.
func (c *contentHasher) restore(s *hashSnapshot) error {
	if err := c.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(s.State); err != nil {
		return fmt.Errorf("restore content hash state: %w", err)
	}
	c.extents = append([]Extent(nil), s.Extents...)
	if s.Run != nil {
		c.open, c.streaming, c.run = true, true, *s.Run
	}
	return nil
}

// snapshot returns the state at chunk boundary pos, or nil while chunks are
// held (then no consistent state exists without them).
func (c *contentHasher) snapshot(pos int64) (*hashSnapshot, error) {
	if len(c.held) > 0 {
		return nil, nil
	}
	st, err := c.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("save content hash state: %w", err)
	}
	n := len(c.extents)
	s := &hashSnapshot{Pos: pos, State: st, Extents: c.extents[:n:n]}
	if c.open {
		r := c.run
		s.Run = &r
	}
	return s, nil
}

func (c *contentHasher) header(off, n int64) {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:], uint64(off))
	binary.BigEndian.PutUint64(b[8:], uint64(n))
	c.h.Write(b[:])
}

// hashRange hashes [lo, hi) out of chunk it.
func (c *contentHasher) hashRange(it *item, lo, hi int64) {
	lo, hi = max(lo, it.off), min(hi, it.off+int64(len(it.data)))
	if lo < hi {
		c.h.Write(it.data[lo-it.off : hi-it.off])
	}
}

// closeRun ends the open run at c.run.Cur.
func (c *contentHasher) closeRun(cur *item) error {
	if !c.open {
		return nil
	}
	if c.streaming {
		if c.run.Cur != c.run.End {
			return fmt.Errorf("run at %d: data ends at %d, a read ahead found it ending at %d: %w", c.run.Off, c.run.Cur, c.run.End, ErrSourceChanged)
		}
	} else {
		c.header(c.run.Off, c.run.Cur-c.run.Off)
		for _, h := range c.held {
			c.hashRange(h, c.run.Off, c.run.Cur)
		}
		c.dropHeld(cur)
	}
	c.extents = append(c.extents, Extent{Off: c.run.Off, Len: c.run.Cur - c.run.Off})
	c.open, c.streaming = false, false
	return nil
}

// dropHeld releases the held chunks except cur, whose reference the caller
// of process still owns.
func (c *contentHasher) dropHeld(cur *item) {
	for _, h := range c.held {
		if h != cur {
			c.release(h)
		}
	}
	c.held = c.held[:0]
}

// process hashes chunk it (the next one in disk order among those holding
// data) and releases its hash reference unless it must be held.
func (c *contentHasher) process(ctx context.Context, it *item) error {
	end := it.off + int64(len(it.data))
	for _, e := range it.extents {
		if c.open && e.Off == c.run.Cur {
			if c.streaming {
				if e.Off+e.Len > c.run.End {
					return fmt.Errorf("run at %d: data goes past %d where a read ahead found its end: %w", c.run.Off, c.run.End, ErrSourceChanged)
				}
				c.hashRange(it, e.Off, e.Off+e.Len)
				c.run.Cur = e.Off + e.Len
				if c.run.Cur == c.run.End {
					if err := c.closeRun(it); err != nil {
						return err
					}
				}
				continue
			}
			c.run.Cur = e.Off + e.Len
			if n := len(c.held); n == 0 || c.held[n-1] != it {
				c.held = append(c.held, it)
			}
			continue
		}
		if err := c.closeRun(it); err != nil {
			return err
		}
		c.open, c.streaming = true, false
		c.run = openRun{Off: e.Off, Cur: e.Off + e.Len}
		c.held = append(c.held[:0], it)
	}
	if c.open {
		switch {
		case c.streaming:
			if c.run.Cur != end {
				return c.closeRun(it) // reports the mismatch
			}
		case c.run.Cur < end || end == c.size:
			if err := c.closeRun(it); err != nil {
				return err
			}
		case len(c.held) >= c.holdMax:
			if err := c.stream(ctx, it, end); err != nil {
				return err
			}
		}
	}
	if n := len(c.held); n == 0 || c.held[n-1] != it {
		c.release(it)
	}
	return nil
}

// stream finds the open run's end by reading ahead from end, hashes its
// header and the held bytes, and lets the rest of the run be hashed as it
// arrives.
func (c *contentHasher) stream(ctx context.Context, it *item, end int64) error {
	runEnd, err := c.lookahead(ctx, end)
	if err != nil {
		return err
	}
	c.header(c.run.Off, runEnd-c.run.Off)
	for _, h := range c.held {
		c.hashRange(h, c.run.Off, c.run.Cur)
	}
	c.dropHeld(it)
	c.streaming = true
	c.run.End = runEnd
	if c.run.Cur == runEnd {
		return c.closeRun(it)
	}
	return nil
}

// finish closes the last run and returns the extents and the hash.
func (c *contentHasher) finish() ([]Extent, [32]byte, error) {
	var sum [32]byte
	if err := c.closeRun(nil); err != nil {
		return nil, sum, err
	}
	copy(sum[:], c.h.Sum(nil))
	return c.extents, sum, nil
}

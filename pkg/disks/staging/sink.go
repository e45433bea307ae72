package staging

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// Sink writes a version 2 staging image; it is a disks.Sink and a
// disks.ChunkResumable. WriteChunk may be called concurrently: each call
// encrypts its own chunk in place, in the copier's buffer, on the caller's
// goroutine, so the copier's parallelism spreads encryption over the cores
// and the sink holds no buffer of its own.
//
// A fresh copy: Create, WriteChunk..., Finish, Close. A resumed copy:
// Create, Restore(state from the checkpoint), RestoreChunks, WriteChunk for
// what is left, Finish, Close. Create leaves an existing image alone until
// the first WriteChunk without Restore, which empties it and removes its
// manifest.
type Sink struct {
	store      Store
	cipherName string
	size       int64
	kek        []byte

	mu       sync.Mutex
	key      KeyInfo
	keys     *keys
	img      WritableImage
	started  bool // the image was prepared (emptied or checked for resume)
	finished bool
	macs     map[int64]string
}

var (
	_ disks.Sink           = (*Sink)(nil)
	_ disks.ChunkResumable = (*Sink)(nil)
	_ disks.Syncer         = (*Sink)(nil)
	_ disks.Restarter      = (*Sink)(nil)
)

// Create returns a Sink writing DIR/NAME.img and DIR/NAME.manifest.json for
// a disk of size bytes, with a fresh random data key for cipherName
// (CipherXTS128 when empty) wrapped under kek.
func Create(ctx context.Context, dir, name string, kek []byte, cipherName string, size int64) (*Sink, error) {
	return NewSink(ctx, DirStore{Dir: dir, Name: name}, kek, cipherName, size)
}

// NewSink is Create for any Store.
func NewSink(ctx context.Context, st Store, kek []byte, cipherName string, size int64) (*Sink, error) {
	if err := checkKEK(kek); err != nil {
		return nil, err
	}
	if cipherName == "" {
		cipherName = CipherXTS128
	}
	if size <= 0 || size%disks.SectorSize != 0 {
		return nil, fmt.Errorf("staging: virtual size %d is not a positive multiple of %d", size, disks.SectorSize)
	}
	info, k, err := newKey(kek, cipherName, Format)
	if err != nil {
		return nil, err
	}
	img, err := st.CreateImage(ctx)
	if err != nil {
		return nil, fmt.Errorf("staging %s: %w", st, err)
	}
	return &Sink{
		store:      st,
		cipherName: cipherName,
		size:       size,
		kek:        slices.Clone(kek),
		key:        info,
		keys:       k,
		img:        img,
		macs:       map[int64]string{},
	}, nil
}

// start prepares the image once, before the first chunk: emptied to a hole
// of the virtual size for a fresh copy (with any stale manifest removed so
// a crash cannot leave a manifest that looks valid), or checked for size
// after Restore.
func (s *Sink) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return errors.New("staging: write after Finish")
	}
	if s.started {
		return nil
	}
	if err := s.store.RemoveManifest(ctx); err != nil {
		return fmt.Errorf("staging %s: %w", s.store, err)
	}
	if err := s.img.Truncate(ctx, 0); err != nil {
		return fmt.Errorf("staging %s: %w", s.store, err)
	}
	if err := s.img.Truncate(ctx, s.size); err != nil {
		return fmt.Errorf("staging %s: %w", s.store, err)
	}
	s.started = true
	return nil
}

// WriteChunk encrypts c's extents in place (c.Data is the copier's buffer,
// which it does not read again), packs their ciphertext to the front of
// c.Data, MACs the packed bytes with GMAC, and writes each extent at its
// offset. The writes are not durable until Sync (which the copier calls
// before it checkpoints a chunk) or Finish. A chunk without extents writes
// nothing and has no MAC.
func (s *Sink) WriteChunk(ctx context.Context, c *disks.Chunk) error {
	if err := s.checkChunk(c); err != nil {
		return err
	}
	if err := s.start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	k := s.keys
	s.mu.Unlock()
	if len(c.Extents) == 0 {
		s.mu.Lock()
		delete(s.macs, c.Off)
		s.mu.Unlock()
		return nil
	}
	// Encrypt and pack: extent i's ciphertext moves to data[at:at+len],
	// at never past its source, so copy (a memmove) is safe in place.
	var at int64
	for _, e := range c.Extents {
		rel := e.Off - c.Off
		p := c.Data[rel : rel+e.Len]
		k.xts.EncryptSectors(p, p, uint64(e.Off/disks.SectorSize))
		copy(c.Data[at:], p)
		at += e.Len
	}
	mac, err := k.gmacSign(c.Data[:at])
	if err != nil {
		return err
	}
	at = 0
	for _, e := range c.Extents {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.img.WriteAt(ctx, c.Data[at:at+e.Len], e.Off); err != nil {
			return fmt.Errorf("staging %s: chunk %d: %w", s.store, c.Off, err)
		}
		at += e.Len
	}
	s.mu.Lock()
	s.macs[c.Off] = mac
	s.mu.Unlock()
	return nil
}

func (s *Sink) checkChunk(c *disks.Chunk) error {
	switch {
	case c.Off < 0 || c.Off%disks.ChunkSize != 0 || c.Off >= s.size:
		return fmt.Errorf("staging: chunk offset %d is not a ChunkSize multiple inside the disk", c.Off)
	case int64(len(c.Data)) > min(disks.ChunkSize, s.size-c.Off):
		return fmt.Errorf("staging: chunk at %d holds %d bytes, beyond its chunk or the disk", c.Off, len(c.Data))
	}
	end := c.Off
	for _, e := range c.Extents {
		if e.Off%disks.SectorSize != 0 || e.Len%disks.SectorSize != 0 || e.Len <= 0 ||
			e.Off < end || e.Off+e.Len > c.Off+int64(len(c.Data)) {
			return fmt.Errorf("staging: chunk at %d: extent [%d, +%d] is unaligned, unsorted or outside the chunk's data", c.Off, e.Off, e.Len)
		}
		end = e.Off + e.Len
	}
	return nil
}

// Sync implements disks.Syncer: every chunk whose WriteChunk returned is
// durable when Sync returns. The copier calls it before each checkpoint and
// only then records those chunks (and their ChunkState, the MACs) as done,
// so a crash never leaves a checkpointed chunk that is not on disk.
func (s *Sink) Sync(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil // nothing written yet: the image is not even prepared
	}
	if err := s.img.Sync(ctx); err != nil {
		return fmt.Errorf("staging %s: %w", s.store, err)
	}
	return nil
}

// Finish syncs the image, then writes the manifest atomically. Every chunk
// that s.Extents touch must have been written (here or before a Restore),
// and no other.
func (s *Sink) Finish(ctx context.Context, sum disks.Summary) error {
	if sum.Size != s.size {
		return fmt.Errorf("staging: summary size %d, image size %d", sum.Size, s.size)
	}
	if !disks.IsTreeHash(sum.ContentAlg) {
		return fmt.Errorf("staging: content hash %q, format %s needs %q or %q", sum.ContentAlg, Format, disks.HashTree, disks.HashTreeBLAKE3)
	}
	if err := checkExtents(sum.Extents, s.size); err != nil {
		return fmt.Errorf("staging: summary extents: %w", err)
	}
	if len(sum.Extents) == 0 {
		// An all-zero disk has no chunks; the image is still created.
		if err := s.start(ctx); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return errors.New("staging: Finish called twice")
	}
	want := chunksOf(sum.Extents)
	if len(want) != len(s.macs) {
		return fmt.Errorf("staging: %d chunks hold data, %d were written", len(want), len(s.macs))
	}
	m := &Manifest{
		Format:        Format,
		Cipher:        s.cipherName,
		SectorSize:    disks.SectorSize,
		VirtualSize:   s.size,
		Extents:       make([][2]int64, len(sum.Extents)),
		Key:           s.key,
		ContentSHA256: hex.EncodeToString(sum.ContentSHA256[:]),
		ContentAlg:    sum.ContentAlg,
		ChunkSize:     disks.ChunkSize,
		ChunkMACs:     make([]ChunkMAC, 0, len(want)),
	}
	for i, e := range sum.Extents {
		m.Extents[i] = [2]int64{e.Off, e.Len}
	}
	for _, off := range want {
		mac, ok := s.macs[off]
		if !ok {
			return fmt.Errorf("staging: chunk at %d holds data but was never written", off)
		}
		m.ChunkMACs = append(m.ChunkMACs, ChunkMAC{Off: off, MAC: mac})
	}
	in, err := m.macInput()
	if err != nil {
		return err
	}
	if m.MAC, err = s.keys.gmacSign(in); err != nil {
		return err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m.wireV2(&AlgValue{Alg: MACGMAC, Value: m.MAC})); err != nil {
		return fmt.Errorf("staging: serialize manifest: %w", err)
	}
	if err := s.img.Sync(ctx); err != nil {
		return fmt.Errorf("staging %s: %w", s.store, err)
	}
	if err := s.store.WriteManifest(ctx, out.Bytes()); err != nil {
		return fmt.Errorf("staging %s: %w", s.store, err)
	}
	s.finished = true
	return nil
}

// Close releases the image. Without Finish the image is incomplete and has
// no manifest; Restore on a new Sink continues it.
func (s *Sink) Close() error {
	clear(s.kek)
	return s.img.Close()
}

// stateFormat tags State's JSON so a checkpoint from another version is
// refused.
const stateFormat = "migrate-staging/2 state"

// sinkState is State's JSON: the wrapped key, nothing secret. The chunk
// MACs travel as ChunkState, one per chunk record of the checkpoint.
type sinkState struct {
	Format      string  `json:"format"`
	Cipher      string  `json:"cipher"`
	VirtualSize int64   `json:"virtualSize"`
	Key         KeyInfo `json:"key"`
}

// State implements disks.Resumable: the wrapped data key and its nonce. It
// holds no plain key.
func (s *Sink) State() ([]byte, error) {
	s.mu.Lock()
	st := sinkState{Format: stateFormat, Cipher: s.cipherName, VirtualSize: s.size, Key: s.key}
	s.mu.Unlock()
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("staging: serialize state: %w", err)
	}
	return b, nil
}

// ChunkState implements disks.ChunkResumable: the chunk's MAC (a nonce
// and a tag, nothing secret), nil for a chunk without one.
func (s *Sink) ChunkState(off int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mac, ok := s.macs[off]
	if !ok {
		return nil, nil
	}
	return []byte(mac), nil
}

// RestoreChunks implements disks.ChunkResumable: the MACs of the chunks an
// earlier run wrote. It comes after Restore, before any WriteChunk.
func (s *Sink) RestoreChunks(chunks map[int64][]byte) error {
	macs := make(map[int64]string, len(chunks))
	for off, b := range chunks {
		if off < 0 || off%disks.ChunkSize != 0 || off >= s.size || !isHexN(string(b), nonceSize+gcmTag) {
			return formatErr("resume state chunk MAC at %d", off)
		}
		macs[off] = string(b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return errors.New("staging: RestoreChunks after Finish")
	}
	if !s.started && len(macs) > 0 {
		// Restore found the image unsized, which only a copy that never
		// wrote a chunk leaves.
		return fmt.Errorf("staging %s: the image was never sized but the checkpoint records %d written chunks: not the image being resumed", s.store, len(macs))
	}
	s.macs = macs
	return nil
}

// Restore implements disks.Resumable: it takes the data key back from state
// (unwrapping it with the KEK given to Create; another KEK is ErrWrongKey)
// and keeps the existing image. An image of the wrong size (0 bytes, or
// what the location held before) means the copy died while creating it:
// start recreates it, and RestoreChunks refuses chunk MACs then. It must
// come before any WriteChunk.
func (s *Sink) Restore(ctx context.Context, state []byte) error {
	var st sinkState
	dec := json.NewDecoder(bytes.NewReader(state))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return formatErr("resume state: %v", err)
	}
	switch {
	case st.Format != stateFormat:
		return formatErr("resume state format %q, want %q", st.Format, stateFormat)
	case st.Cipher != s.cipherName:
		return fmt.Errorf("staging: resume state is for cipher %s, this copy uses %s", st.Cipher, s.cipherName)
	case st.VirtualSize != s.size:
		return fmt.Errorf("staging: resume state is for a %d-byte disk, this one is %d", st.VirtualSize, s.size)
	}
	k, err := openKey(s.kek, st.Cipher, Format, st.Key)
	if err != nil {
		return err
	}
	// Restore runs once, before the copier's workers start; the lock is
	// for the race detector's sake and for misuse.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("staging: Restore after the copy started")
	}
	size, err := s.img.Size(ctx)
	if err != nil {
		return fmt.Errorf("staging %s: %w", s.store, err)
	}
	s.key, s.keys = st.Key, k
	// start sizes the image before the first write, so an image of the
	// right size is ours; any other holds nothing this copy wrote.
	s.started = size == s.size
	return nil
}

// Restart implements disks.Restarter: the copy has no usable checkpoint
// (the process died before it was written, or while it was), so nothing
// written before counts. The first write empties the image and removes any
// manifest, as for a fresh copy; the data key is the one Create drew.
func (s *Sink) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("staging: Restart after the copy started")
	}
	return nil
}

package staging

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// Source reads a staging image back as the plain disk; it is a
// disks.Source. Call Verify before using a byte of what it returns.
type Source struct {
	store   Store
	m       *Manifest
	extents []disks.Extent
	keys    *keys
	img     Image
	bufs    sync.Pool
}

var (
	_ disks.Source            = (*Source)(nil)
	_ disks.ContentHashSource = (*Source)(nil)
)

// ContentHash implements disks.ContentHashSource: the manifest's content
// hash algorithm, so a copy out of the image computes the hash VerifyContent
// compares (version 1's HashRuns needs the extents to be exactly the runs of
// non-zero sectors, which the writer made them).
func (s *Source) ContentHash() string { return s.m.ContentAlg }

// Open opens DIR/NAME as written by a Sink, with the key-encryption key kek.
func Open(ctx context.Context, dir, name string, kek []byte) (*Source, error) {
	return OpenStore(ctx, DirStore{Dir: dir, Name: name}, kek)
}

// OpenStore opens the staging image in st. In order, before the image is
// touched: the manifest is parsed strictly (errors wrap ErrFormat), kek is
// checked against kekSha256 and unwraps the data key (else ErrWrongKey), and
// the manifest MAC is verified (else ErrManifestMAC).
func OpenStore(ctx context.Context, st Store, kek []byte) (*Source, error) {
	if err := checkKEK(kek); err != nil {
		return nil, err
	}
	raw, err := st.ReadManifest(ctx)
	if err != nil {
		return nil, fmt.Errorf("staging %s: %w", st, err)
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("staging %s: %w", st, err)
	}
	k, err := openKey(kek, m.Cipher, m.Format, m.Key)
	if err != nil {
		return nil, fmt.Errorf("staging %s: %w", st, err)
	}
	ok, err := m.verifyMAC(k)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("staging %s: %w", st, ErrManifestMAC)
	}
	img, err := st.OpenImage(ctx)
	if err != nil {
		return nil, fmt.Errorf("staging %s: %w", st, err)
	}
	s := &Source{store: st, m: m, extents: m.DiskExtents(), keys: k, img: img}
	s.bufs.New = func() any { return new([disks.ChunkSize]byte) }
	return s, nil
}

// Manifest returns the verified manifest. Callers must not modify it.
func (s *Source) Manifest() *Manifest { return s.m }

// Size implements disks.Source.
func (s *Source) Size() int64 { return s.m.VirtualSize }

// Allocated implements disks.Source: the manifest's extents.
func (s *Source) Allocated(ctx context.Context) ([]disks.Extent, error) {
	return append([]disks.Extent(nil), s.extents...), nil
}

// Verify reads the whole image and checks every chunk MAC, chunks in
// parallel over GOMAXPROCS goroutines. A mismatch is a *TamperError naming
// the lowest failing chunk.
func (s *Source) Verify(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	var mu sync.Mutex
	var bad *TamperError
	for _, c := range s.m.ChunkMACs {
		g.Go(func() error {
			buf := s.bufs.Get().(*[disks.ChunkSize]byte)
			defer s.bufs.Put(buf)
			ct := buf[:min(disks.ChunkSize, s.m.VirtualSize-c.Off)]
			var ok bool
			if s.m.Format == FormatV1 {
				if err := s.readCiphertext(gctx, ct, c.Off); err != nil {
					return err
				}
				ok = hmac.Equal([]byte(s.keys.chunkMAC(ct)), []byte(c.MAC))
			} else {
				n, err := s.readPacked(gctx, ct, c.Off)
				if err != nil {
					return err
				}
				ok = s.keys.gmacVerify(c.MAC, ct[:n])
			}
			if !ok {
				mu.Lock()
				if bad == nil || c.Off < bad.ChunkOffset {
					bad = &TamperError{ChunkOffset: c.Off}
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("staging %s: verify: %w", s.store, err)
	}
	if bad != nil {
		return fmt.Errorf("staging %s: %w", s.store, bad)
	}
	return nil
}

// gapReader is implemented by an Image for which one read spanning a short
// hole costs less than two reads, because each read is a round trip (a
// blob): readCiphertext then reads across holes of up to MaxReadGap bytes
// and zeroes them afterwards, so what the image holds there never counts.
type gapReader interface{ MaxReadGap() int64 }

// readCiphertext fills p with the image's bytes at off, reading only the
// extents (and, for a gapReader, the short holes between them); the rest of
// p is zeroed.
func (s *Source) readCiphertext(ctx context.Context, p []byte, off int64) error {
	gap := int64(-1) // extents never overlap, so -1 merges nothing
	if g, ok := s.img.(gapReader); ok {
		gap = g.MaxReadGap()
	}
	end := off + int64(len(p))
	at := off // p is zeroed or read up to here
	i := sort.Search(len(s.extents), func(i int) bool { return s.extents[i].Off+s.extents[i].Len > off })
	for i < len(s.extents) && s.extents[i].Off < end {
		e := s.extents[i]
		a, b := max(e.Off, off), min(e.Off+e.Len, end)
		clear(p[at-off : a-off])
		j := i + 1
		for ; j < len(s.extents) && s.extents[j].Off < end && s.extents[j].Off-b <= gap; j++ {
			b = min(s.extents[j].Off+s.extents[j].Len, end)
		}
		if err := s.img.ReadAt(ctx, p[a-off:b-off], a); err != nil {
			return err
		}
		for k := i; k+1 < j; k++ {
			clear(p[s.extents[k].Off+s.extents[k].Len-off : s.extents[k+1].Off-off])
		}
		i, at = j, b
	}
	clear(p[at-off:])
	return nil
}

// readPacked reads the ciphertext of the extents inside the chunk at off
// into p, packed one after the other in disk order: version 2's chunk MAC
// message. It returns the packed length.
func (s *Source) readPacked(ctx context.Context, p []byte, off int64) (int, error) {
	end := min(off+disks.ChunkSize, s.m.VirtualSize)
	i := sort.Search(len(s.extents), func(i int) bool { return s.extents[i].Off+s.extents[i].Len > off })
	n := 0
	for ; i < len(s.extents) && s.extents[i].Off < end; i++ {
		e := s.extents[i]
		a, b := max(e.Off, off), min(e.Off+e.Len, end)
		if err := s.img.ReadAt(ctx, p[n:n+int(b-a)], a); err != nil {
			return 0, err
		}
		n += int(b - a)
	}
	return n, nil
}

// ReadAt implements disks.Source: the plain bytes of [off, off+len(p)),
// holes as zeros. Any offset and length inside the disk work; sector
// aligned ones avoid a copy.
func (s *Source) ReadAt(ctx context.Context, p []byte, off int64) error {
	if off < 0 || off > s.m.VirtualSize-int64(len(p)) {
		return fmt.Errorf("staging %s: read [%d, +%d] outside the %d-byte disk", s.store, off, len(p), s.m.VirtualSize)
	}
	if off%disks.SectorSize == 0 && len(p)%disks.SectorSize == 0 {
		// Sector aligned (what the copier asks): read and decrypt in p
		// itself, no buffer of ours.
		if err := s.readCiphertext(ctx, p, off); err != nil {
			return fmt.Errorf("staging %s: %w", s.store, err)
		}
		s.decryptExtents(p, off)
		return nil
	}
	buf := s.bufs.Get().(*[disks.ChunkSize]byte)
	defer s.bufs.Put(buf)
	for len(p) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		// One sector-aligned window of at most ChunkSize at a time.
		a := off / disks.SectorSize * disks.SectorSize
		b := min((off+int64(len(p))+disks.SectorSize-1)/disks.SectorSize*disks.SectorSize, a+disks.ChunkSize)
		w := buf[:b-a]
		if err := s.readCiphertext(ctx, w, a); err != nil {
			return fmt.Errorf("staging %s: %w", s.store, err)
		}
		s.decryptExtents(w, a)
		n := copy(p, w[off-a:])
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// decryptExtents decrypts in place the parts of w (the window at a) that
// lie in extents; holes stay zero.
func (s *Source) decryptExtents(w []byte, a int64) {
	end := a + int64(len(w))
	i := sort.Search(len(s.extents), func(i int) bool { return s.extents[i].Off+s.extents[i].Len > a })
	for ; i < len(s.extents) && s.extents[i].Off < end; i++ {
		e := s.extents[i]
		x, y := max(e.Off, a), min(e.Off+e.Len, end)
		s.keys.xts.DecryptSectors(w[x-a:y-a], w[x-a:y-a], uint64(x/disks.SectorSize))
	}
}

// Close implements disks.Source.
func (s *Source) Close() error { return s.img.Close() }

// VerifyContent checks a copy's Summary against the manifest: the same
// size and the same content hash (else ErrContentMismatch). The decrypt
// command calls it after copying out of a Source.
func VerifyContent(m *Manifest, sum disks.Summary) error {
	if sum.Size != m.VirtualSize {
		return fmt.Errorf("staging: copied %d bytes, the manifest says %d: %w", sum.Size, m.VirtualSize, ErrContentMismatch)
	}
	if sum.ContentAlg != m.ContentAlg {
		return fmt.Errorf("staging: the copy hashed with %s, the manifest with %s: %w", sum.ContentAlg, m.ContentAlg, ErrContentMismatch)
	}
	if hex.EncodeToString(sum.ContentSHA256[:]) != m.ContentSHA256 {
		return fmt.Errorf("staging: %w", ErrContentMismatch)
	}
	return nil
}

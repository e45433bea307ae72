package vhd

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
	"unicode/utf16"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// DefaultBlockSize is the block size of dynamic disks made by Hyper-V and
// Azure tools.
const DefaultBlockSize = 2 << 20

// DynamicOptions shape a dynamic or differencing VHD.
type DynamicOptions struct {
	// BlockSize is a power of two >= 512; 0 means DefaultBlockSize.
	BlockSize int64
	// Parent, when set, makes a differencing disk over the VHD at this path:
	// its unique id, name and W2ru, W2ku and MacX locators are recorded.
	Parent string
}

// DynamicWriter writes a dynamic or differencing VHD: blocks are appended as
// they are first written, the table and footers are written by Close. It is
// meant for fixtures and small tools, not for concurrent use.
type DynamicWriter struct {
	f          *os.File
	size       int64
	blockSize  int64
	bitmapSize int64
	bat        []uint32
	tableOff   int64
	next       int64 // where the next block goes
	footer     []byte
	header     []byte
}

// CreateDynamic creates a dynamic (or, with o.Parent, differencing) VHD of
// the given virtual size at path.
func CreateDynamic(path string, size int64, o DynamicOptions) (*DynamicWriter, error) {
	bs := o.BlockSize
	if bs == 0 {
		bs = DefaultBlockSize
	}
	if bs < 512 || bs&(bs-1) != 0 || bs > maxBlockSize {
		return nil, fmt.Errorf("create dynamic VHD: block size %d is not a power of two between 512 and %d", bs, maxBlockSize)
	}
	if size <= 0 || size%512 != 0 || size > maxVirtualSize {
		return nil, fmt.Errorf("create dynamic VHD: size %d is not a positive multiple of 512", size)
	}
	n := (size + bs - 1) / bs
	tableBytes := roundUp(n*4, 512)
	w := &DynamicWriter{
		size: size, blockSize: bs, bitmapSize: roundUp((bs/512+7)/8, 512),
		bat: make([]uint32, n), tableOff: FooterSize + HeaderSize,
	}
	for i := range w.bat {
		w.bat[i] = unallocated
	}
	w.next = w.tableOff + tableBytes
	var id UUID
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("create dynamic VHD: %w", err)
	}
	typ := TypeDynamic
	h := make([]byte, HeaderSize)
	copy(h, headerCookie)
	binary.BigEndian.PutUint64(h[8:], noDataOffset)
	binary.BigEndian.PutUint64(h[16:], uint64(w.tableOff))
	binary.BigEndian.PutUint32(h[24:], formatVersion)
	binary.BigEndian.PutUint32(h[28:], uint32(n))
	binary.BigEndian.PutUint32(h[32:], uint32(bs))
	var locs [][]byte
	var codes []uint32
	if o.Parent != "" {
		typ = TypeDifferencing
		p, err := Open(o.Parent)
		if err != nil {
			return nil, fmt.Errorf("create differencing VHD: %w", err)
		}
		pf := p.Footer()
		_ = p.Close() // the parent is only read
		if int64(pf.CurrentSize) != size {
			return nil, fmt.Errorf("create differencing VHD of %d bytes: parent has %d", size, pf.CurrentSize)
		}
		copy(h[40:], pf.UniqueID[:])
		binary.BigEndian.PutUint32(h[56:], pf.Timestamp)
		name := utf16.Encode([]rune(filepath.Base(o.Parent)))
		for i, c := range name {
			if 64+2*i+2 > offHeaderLocators {
				break
			}
			binary.BigEndian.PutUint16(h[64+2*i:], c)
		}
		abs, err := filepath.Abs(o.Parent)
		if err != nil {
			return nil, fmt.Errorf("create differencing VHD: %w", err)
		}
		rel, err := filepath.Rel(filepath.Dir(path), o.Parent)
		if err != nil {
			rel = abs
		}
		locs = [][]byte{utf16LE(rel), utf16LE(abs), []byte((&url.URL{Scheme: "file", Host: "localhost", Path: abs}).String())}
		codes = []uint32{PlatformW2ru, PlatformW2ku, PlatformMacX}
	}
	// Locator data goes right after the table, each in whole sectors.
	for i, l := range locs {
		e := h[offHeaderLocators+i*locatorSize:]
		space := roundUp(int64(len(l)), 512)
		binary.BigEndian.PutUint32(e[0:], codes[i])
		binary.BigEndian.PutUint32(e[4:], uint32(space))
		binary.BigEndian.PutUint32(e[8:], uint32(len(l)))
		binary.BigEndian.PutUint64(e[16:], uint64(w.next))
		w.next += space
	}
	binary.BigEndian.PutUint32(h[36:], checksum(h, offHeaderChecksum))
	w.header = h
	w.footer = buildFooter(typ, size, FooterSize, id, time.Now())
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, disks.PlainMode)
	if err != nil {
		return nil, fmt.Errorf("create dynamic VHD: %w", err)
	}
	if err := f.Chmod(disks.PlainMode); err != nil {
		_ = f.Close() // already failing: the VHD is incomplete anyway
		return nil, fmt.Errorf("create dynamic VHD: %w", err)
	}
	w.f = f
	for i, l := range locs {
		e := h[offHeaderLocators+i*locatorSize:]
		if _, err := f.WriteAt(l, int64(binary.BigEndian.Uint64(e[16:]))); err != nil {
			_ = f.Close() // already failing: the VHD is incomplete anyway
			return nil, fmt.Errorf("create dynamic VHD: write parent locator: %w", err)
		}
	}
	return w, nil
}

func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// WriteAt writes p at virtual offset off (both multiples of 512),
// allocating blocks and setting their sector bitmap bits.
func (w *DynamicWriter) WriteAt(p []byte, off int64) (int, error) {
	if off%512 != 0 || len(p)%512 != 0 || off < 0 || off+int64(len(p)) > w.size {
		return 0, fmt.Errorf("write dynamic VHD [%d, +%d): not sector aligned or beyond %d", off, len(p), w.size)
	}
	done := 0
	for done < len(p) {
		bi := off / w.blockSize
		bo := off % w.blockSize
		n := min(int64(len(p)-done), w.blockSize-bo)
		if w.bat[bi] == unallocated {
			w.bat[bi] = uint32(w.next / 512)
			// Extend with a zeroed bitmap and block.
			if err := w.f.Truncate(w.next + w.bitmapSize + w.blockSize); err != nil {
				return done, fmt.Errorf("write dynamic VHD: allocate block %d: %w", bi, err)
			}
			w.next += w.bitmapSize + w.blockSize
		}
		base := int64(w.bat[bi]) * 512
		if _, err := w.f.WriteAt(p[done:done+int(n)], base+w.bitmapSize+bo); err != nil {
			return done, fmt.Errorf("write dynamic VHD block %d: %w", bi, err)
		}
		bm := make([]byte, w.bitmapSize)
		if _, err := w.f.ReadAt(bm, base); err != nil {
			return done, fmt.Errorf("write dynamic VHD bitmap %d: %w", bi, err)
		}
		for s := bo / 512; s < (bo+n)/512; s++ {
			bm[s/8] |= 0x80 >> (s % 8)
		}
		if _, err := w.f.WriteAt(bm, base); err != nil {
			return done, fmt.Errorf("write dynamic VHD bitmap %d: %w", bi, err)
		}
		done += int(n)
		off += n
	}
	return done, nil
}

// UniqueID is the new disk's unique id (what a child's header names).
func (w *DynamicWriter) UniqueID() UUID {
	var u UUID
	copy(u[:], w.footer[68:84])
	return u
}

// Close writes the footer copy, header, table and footer and closes the file.
func (w *DynamicWriter) Close() error {
	tb := make([]byte, roundUp(int64(len(w.bat))*4, 512))
	for i := range tb {
		tb[i] = 0xFF
	}
	for i, e := range w.bat {
		binary.BigEndian.PutUint32(tb[i*4:], e)
	}
	var err error
	for _, part := range []struct {
		b   []byte
		off int64
	}{{w.footer, 0}, {w.header, FooterSize}, {tb, w.tableOff}, {w.footer, w.next}} {
		if _, werr := w.f.WriteAt(part.b, part.off); werr != nil {
			err = werr
			break
		}
	}
	err = errors.Join(err, w.f.Close())
	if err != nil {
		return fmt.Errorf("finish dynamic VHD: %w", err)
	}
	return nil
}

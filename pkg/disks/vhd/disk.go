package vhd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf16"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// MaxChainDepth bounds a differencing chain (the child counts as one), so a
// loop of parents or an absurd chain fails cleanly.
const MaxChainDepth = 16

// maxLocatorLen bounds a parent locator's data; a path is far shorter.
const maxLocatorLen = 64 << 10

const unallocated = 0xFFFFFFFF

// Disk is an open VHD (with its parent chain for a differencing disk). It
// implements disks.Source and is safe for concurrent reads.
type Disk struct {
	path     string
	f        backing
	fileSize int64
	footer   *Footer
	header   *Header // nil for a fixed disk
	size     int64

	// Dynamic and differencing disks only.
	blockSize  int64
	bitmapSize int64
	bat        []uint32 // one entry per block of the virtual size
	// full caches, per block, whether its sector bitmap was found all set
	// (blockFull) or not (blockMixed), so that a block whose sectors are
	// all present (the usual case) costs one pread of its data, and its
	// bitmap is read once whatever the number of reads.
	full   []atomic.Uint32
	parent *Disk
	// above are the disks of the chain above this one, the child first:
	// a parent locator leading back to one of them is a loop.
	above []link

	checks []string
}

var _ disks.Source = (*Disk)(nil)

// Open opens and validates the VHD at path, following a differencing disk's
// parent locators. A file that breaks the format gives a *FormatError, a
// chain that loops a *LoopError, and a path (or a parent) that is not a
// regular file a *disks.NotRegularError, found without blocking.
func Open(path string) (*Disk, error) {
	return open(path, nil)
}

// link is one disk of a chain being opened: its path and what stat said.
type link struct {
	path string
	fi   os.FileInfo
}

// backing is the file under a Disk: an *os.File, or bytes in the fuzz test.
type backing interface {
	io.ReaderAt
	io.Closer
}

func open(path string, above []link) (*Disk, error) {
	f, err := disks.OpenRegular(path, false)
	if err != nil {
		return nil, fmt.Errorf("open VHD: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close() // read only
		return nil, fmt.Errorf("stat VHD: %w", err)
	}
	return openFrom(path, f, st, st.Size(), above)
}

// openFrom validates the VHD held by f, of size bytes, named path (for
// messages and to find a differencing disk's parent), fi its stat (nil in
// the fuzz test), above the disks of the chain above it. It closes f on
// error.
func openFrom(path string, f backing, fi os.FileInfo, size int64, above []link) (*Disk, error) {
	d := &Disk{path: path, f: f, fileSize: size}
	d.above = append(append([]link(nil), above...), link{path, fi})
	if err := d.load(len(d.above)); err != nil {
		_ = d.Close() // opened read only, and err says why it failed
		var fe *FormatError
		if errors.As(err, &fe) && fe.Path == "" {
			fe.Path = path
		}
		return nil, err
	}
	return d, nil
}

func (d *Disk) pass(check string) { d.checks = append(d.checks, check) }

func (d *Disk) readFull(p []byte, off int64, field string) error {
	n, err := d.f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return formatErr("", off, field, "file ends after %d of %d bytes", n, len(p))
	}
	return fmt.Errorf("read %s at %d: %w", field, off, err)
}

func (d *Disk) load(depth int) error {
	if d.fileSize < FooterSize {
		return formatErr("", 0, "footer", "file is %d bytes, shorter than a %d-byte footer", d.fileSize, FooterSize)
	}
	end := d.fileSize - FooterSize
	fb := make([]byte, FooterSize)
	if err := d.readFull(fb, end, "footer"); err != nil {
		return err
	}
	var err error
	d.footer, err = ParseFooter(fb, end)
	if err != nil {
		// A dynamic disk whose copy at offset 0 is intact but whose end is
		// not was truncated; say so rather than just "bad cookie".
		cb := make([]byte, FooterSize)
		var fe *FormatError
		if d.readFull(cb, 0, "footer copy") == nil && errors.As(err, &fe) {
			if c, cerr := ParseFooter(cb, 0); cerr == nil && c.Type != TypeFixed {
				fe.Problem += "; a valid footer copy is at offset 0, so the file is truncated or its end overwritten"
			}
		}
		return err
	}
	d.pass("footer cookie, checksum, version, disk type and size")
	d.size = int64(d.footer.CurrentSize)
	if d.footer.Type == TypeFixed {
		if d.size > end {
			return formatErr("", end+offFooterCurrent, "footer.currentSize", "fixed disk of %d bytes needs %d bytes of data, the file holds %d: truncated", d.size, d.size, end)
		}
		d.pass("fixed data fits the file")
		return nil
	}
	return d.loadDynamic(fb, depth)
}

func (d *Disk) loadDynamic(fb []byte, depth int) error {
	end := d.fileSize - FooterSize
	cb := make([]byte, FooterSize)
	if err := d.readFull(cb, 0, "footer copy"); err != nil {
		return err
	}
	if !sameFooter(fb, cb) {
		return formatErr("", 0, "footer copy", "the copy at offset 0 differs from the footer at offset %d", end)
	}
	d.pass("footer copy at offset 0 matches")
	do := d.footer.DataOffset
	if do < FooterSize || do%512 != 0 || do > uint64(end) || uint64(end)-do < HeaderSize {
		return formatErr("", end+offFooterDataOffset, "footer.dataOffset", "%#x does not leave room for a %d-byte header between the footer copy and the footer (file %d bytes)", do, HeaderSize, d.fileSize)
	}
	hoff := int64(do)
	hb := make([]byte, HeaderSize)
	if err := d.readFull(hb, hoff, "header"); err != nil {
		return err
	}
	h, err := parseHeader(hb, hoff)
	if err != nil {
		return err
	}
	d.header = h
	d.pass("header cookie, checksum, version, block size")
	d.blockSize = int64(h.BlockSize)
	d.bitmapSize = roundUp((d.blockSize/512+7)/8, 512)
	nBlocks := (d.size + d.blockSize - 1) / d.blockSize
	if int64(h.MaxTableEntries) < nBlocks {
		return formatErr("", hoff+offHeaderMaxEntries, "header.maxTableEntries", "%d entries cannot map %d bytes in blocks of %d (need %d)", h.MaxTableEntries, d.size, d.blockSize, nBlocks)
	}
	tableBytes := roundUp(int64(h.MaxTableEntries)*4, 512)
	to := h.TableOffset
	if to < FooterSize || to%512 != 0 || to > uint64(end) || uint64(end)-to < uint64(tableBytes) {
		return formatErr("", hoff+offHeaderTableOffset, "header.tableOffset", "%#x with %d entries does not fit between the footer copy and the footer (file %d bytes)", to, h.MaxTableEntries, d.fileSize)
	}
	toff := int64(to)
	if overlaps(toff, tableBytes, hoff, HeaderSize) {
		return formatErr("", hoff+offHeaderTableOffset, "header.tableOffset", "the table [%d, %d) overlaps the header [%d, %d)", toff, toff+tableBytes, hoff, hoff+HeaderSize)
	}
	d.pass("table offset and size fit the file and the virtual size")
	raw := make([]byte, nBlocks*4)
	if err := d.readFull(raw, toff, "bat"); err != nil {
		return err
	}
	d.bat = make([]uint32, nBlocks)
	type placed struct {
		i   int64
		off int64
		len int64
	}
	var blocks []placed
	for i := range d.bat {
		e := binary.BigEndian.Uint32(raw[i*4:])
		d.bat[i] = e
		if e == unallocated {
			continue
		}
		boff := int64(e) * 512
		span := d.bitmapSize + min(d.blockSize, d.size-int64(i)*d.blockSize)
		field := fmt.Sprintf("bat[%d]", i)
		at := toff + int64(i)*4
		switch {
		case boff < FooterSize || boff > end || end-boff < span:
			return formatErr("", at, field, "block at byte %d (+%d) is outside the data area [%d, %d)", boff, span, FooterSize, end)
		case overlaps(boff, span, hoff, HeaderSize):
			return formatErr("", at, field, "block at byte %d overlaps the header at %d", boff, hoff)
		case overlaps(boff, span, toff, tableBytes):
			return formatErr("", at, field, "block at byte %d overlaps the table at %d", boff, toff)
		}
		blocks = append(blocks, placed{int64(i), boff, span})
	}
	slices.SortFunc(blocks, func(a, b placed) int { return int(a.off - b.off) })
	for k := 1; k < len(blocks); k++ {
		p, q := blocks[k-1], blocks[k]
		if q.off < p.off+p.len {
			return formatErr("", toff+q.i*4, fmt.Sprintf("bat[%d]", q.i), "block at byte %d overlaps block %d at byte %d", q.off, p.i, p.off)
		}
	}
	d.pass("BAT entries inside the file and not overlapping")
	d.full = make([]atomic.Uint32, nBlocks)
	if d.footer.Type == TypeDifferencing {
		return d.openParent(depth)
	}
	return nil
}

// openParent finds the parent through the locators (or the parent name),
// opens it and checks its identity and size.
func (d *Disk) openParent(depth int) error {
	hoff := int64(d.footer.DataOffset)
	if depth >= MaxChainDepth {
		return formatErr("", hoff+offHeaderParentID, "header.parentUniqueId", "differencing chain deeper than %d disks", MaxChainDepth)
	}
	candidates, err := d.parentCandidates()
	if err != nil {
		return err
	}
	var tried []string
	for _, c := range candidates {
		fi, err := os.Stat(c)
		if err != nil {
			tried = append(tried, c)
			continue
		}
		for _, l := range d.above {
			if l.fi != nil && os.SameFile(l.fi, fi) {
				chain := make([]string, 0, len(d.above)+1)
				for _, l := range d.above {
					chain = append(chain, l.path)
				}
				return &LoopError{Chain: append(chain, c)}
			}
		}
		p, err := open(c, d.above)
		if err != nil {
			var le *LoopError
			if errors.As(err, &le) {
				// Said once, naming the whole loop, not once per disk.
				return err
			}
			return fmt.Errorf("parent of %s: %w", d.path, err)
		}
		d.parent = p
		if p.footer.UniqueID != d.header.ParentID {
			return formatErr("", hoff+offHeaderParentID, "header.parentUniqueId", "expects parent %s, but %s has unique id %s", d.header.ParentID, c, p.footer.UniqueID)
		}
		if p.size != d.size {
			return formatErr("", d.fileSize-FooterSize+offFooterCurrent, "footer.currentSize", "differencing disk of %d bytes, parent %s of %d bytes", d.size, c, p.size)
		}
		d.pass("parent unique id and size match")
		return nil
	}
	return formatErr("", hoff+offHeaderLocators, "header.parentLocator", "parent %q not found (tried %s)", d.header.ParentName, strings.Join(tried, ", "))
}

// parentCandidates decodes every usable parent locator into a local path,
// most specific first, with the parent's name next to the child last.
func (d *Disk) parentCandidates() ([]string, error) {
	hoff := int64(d.footer.DataOffset)
	dir := filepath.Dir(d.path)
	var out []string
	for i, l := range d.header.Locators {
		field := fmt.Sprintf("header.parentLocator[%d]", i)
		at := hoff + offHeaderLocators + int64(i)*locatorSize
		end := uint64(d.fileSize - FooterSize)
		if l.DataLength > maxLocatorLen || l.DataOffset > end || end-l.DataOffset < uint64(l.DataLength) {
			return nil, formatErr("", at, field, "data [%d, +%d) outside the file or longer than %d", l.DataOffset, l.DataLength, maxLocatorLen)
		}
		b := make([]byte, l.DataLength)
		if err := d.readFull(b, int64(l.DataOffset), field); err != nil {
			return nil, err
		}
		var p string
		switch l.Platform {
		case PlatformW2ru, PlatformW2ku:
			p = decodeUTF16LE(b)
		case PlatformMacX:
			u, err := url.Parse(strings.TrimRight(string(b), "\x00"))
			if err != nil || u.Scheme != "file" {
				continue
			}
			p = u.Path
		default:
			// Mac aliases and the deprecated ANSI codes are not paths we
			// can resolve here.
			continue
		}
		p = strings.ReplaceAll(p, `\`, "/")
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, p)
	}
	if d.header.ParentName != "" {
		out = append(out, filepath.Join(dir, filepath.Base(strings.ReplaceAll(d.header.ParentName, `\`, "/"))))
	}
	return out, nil
}

func decodeUTF16LE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

func overlaps(a, alen, b, blen int64) bool { return a < b+blen && b < a+alen }

// Size is the virtual size in bytes (the footer's current size, as Azure and
// Hyper-V read it, not the CHS geometry).
func (d *Disk) Size() int64 { return d.size }

// Type is the disk's type.
func (d *Disk) Type() DiskType { return d.footer.Type }

// Footer returns the parsed footer.
func (d *Disk) Footer() Footer { return *d.footer }

// Allocated lists the allocated blocks (fixed: the whole disk; differencing:
// the union over the chain), merged, clipped to the virtual size.
func (d *Disk) Allocated(ctx context.Context) ([]disks.Extent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d.footer.Type == TypeFixed {
		return []disks.Extent{{Off: 0, Len: d.size}}, nil
	}
	var out []disks.Extent
	for i, e := range d.bat {
		if e == unallocated {
			continue
		}
		off := int64(i) * d.blockSize
		out = append(out, disks.Extent{Off: off, Len: min(d.blockSize, d.size-off)})
	}
	if d.parent != nil {
		pa, err := d.parent.Allocated(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, pa...)
		slices.SortFunc(out, func(a, b disks.Extent) int { return int(a.Off - b.Off) })
	}
	return mergeExtents(out), nil
}

func mergeExtents(in []disks.Extent) []disks.Extent {
	var out []disks.Extent
	for _, e := range in {
		if n := len(out); n > 0 && e.Off <= out[n-1].Off+out[n-1].Len {
			out[n-1].Len = max(out[n-1].Len, e.Off+e.Len-out[n-1].Off)
			continue
		}
		out = append(out, e)
	}
	return out
}

// ReadAt fills p from virtual offset off: unallocated blocks and clear
// bitmap bits read as zeros (dynamic) or from the parent (differencing).
func (d *Disk) ReadAt(ctx context.Context, p []byte, off int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if off < 0 || off > d.size || int64(len(p)) > d.size-off {
		return fmt.Errorf("read %s [%d, +%d): beyond the virtual size %d", d.path, off, len(p), d.size)
	}
	if d.footer.Type == TypeFixed {
		if _, err := d.f.ReadAt(p, off); err != nil {
			return fmt.Errorf("read %s at %d: %w", d.path, off, err)
		}
		return nil
	}
	for len(p) > 0 {
		bi := off / d.blockSize
		bo := off % d.blockSize
		n := min(int64(len(p)), d.blockSize-bo)
		if err := d.readBlock(ctx, p[:n], bi, bo); err != nil {
			return err
		}
		p, off = p[n:], off+n
	}
	return nil
}

// Block bitmap states cached in Disk.full.
const (
	blockUnknown = iota
	blockFull
	blockMixed
)

// readBlock reads p from offset bo inside block bi.
func (d *Disk) readBlock(ctx context.Context, p []byte, bi, bo int64) error {
	e := d.bat[bi]
	if e == unallocated {
		return d.fromParent(ctx, p, bi*d.blockSize+bo)
	}
	base := int64(e) * 512
	if d.full[bi].Load() == blockFull {
		return d.readFull(p, base+d.bitmapSize+bo, "block data")
	}
	// The whole bitmap is read once (a sector's worth for 2 MiB blocks)
	// and the block's state cached; only a block with clear bits pays for
	// a bitmap read again.
	bm := make([]byte, d.bitmapSize)
	if err := d.readFull(bm, base, "sector bitmap"); err != nil {
		return err
	}
	sectors := (min(d.blockSize, d.size-bi*d.blockSize) + 511) / 512
	if allSet(bm, sectors) {
		d.full[bi].Store(blockFull)
		return d.readFull(p, base+d.bitmapSize+bo, "block data")
	}
	d.full[bi].Store(blockMixed)
	first, last := bo/512, (bo+int64(len(p))-1)/512
	bit := func(s int64) bool { return bm[s/8]&(0x80>>(s%8)) != 0 }
	// Walk runs of equal bits: set bits are in this file, clear bits are
	// zeros or the parent's.
	for s := first; s <= last; {
		set := bit(s)
		t := s + 1
		for t <= last && bit(t) == set {
			t++
		}
		lo, hi := max(s*512, bo), min(t*512, bo+int64(len(p)))
		q := p[lo-bo : hi-bo]
		if set {
			if err := d.readFull(q, base+d.bitmapSize+lo, "block data"); err != nil {
				return err
			}
		} else if err := d.fromParent(ctx, q, bi*d.blockSize+lo); err != nil {
			return err
		}
		s = t
	}
	return nil
}

// allSet reports whether the first n bits of the bitmap are set.
func allSet(bm []byte, n int64) bool {
	for _, b := range bm[:n/8] {
		if b != 0xFF {
			return false
		}
	}
	if r := n % 8; r != 0 {
		mask := byte(0xFF) << (8 - r)
		return bm[n/8]&mask == mask
	}
	return true
}

func (d *Disk) fromParent(ctx context.Context, p []byte, off int64) error {
	if d.parent == nil {
		clear(p)
		return nil
	}
	return d.parent.ReadAt(ctx, p, off)
}

// Files lists the files of the disk and its parent chain, this disk first,
// as they were opened: everything a copy from it reads.
func (d *Disk) Files() []string {
	var out []string
	for p := d; p != nil; p = p.parent {
		out = append(out, p.path)
	}
	return out
}

// Close closes the file and the parent chain.
func (d *Disk) Close() error {
	var err error
	if d.parent != nil {
		err = d.parent.Close()
	}
	if d.f != nil {
		err = errors.Join(d.f.Close(), err)
	}
	return err
}

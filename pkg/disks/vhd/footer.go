package vhd

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// FooterSize is the size of the VHD footer (and of its copy at offset 0 of
// dynamic and differencing disks).
const FooterSize = 512

// DiskType is the footer's disk type field.
type DiskType uint32

// The disk types the specification defines that carry data.
const (
	TypeFixed        DiskType = 2
	TypeDynamic      DiskType = 3
	TypeDifferencing DiskType = 4
)

// String names the disk type the way the specification does.
func (t DiskType) String() string {
	switch t {
	case TypeFixed:
		return "fixed"
	case TypeDynamic:
		return "dynamic"
	case TypeDifferencing:
		return "differencing"
	default:
		return fmt.Sprintf("type(%d)", uint32(t))
	}
}

// MarshalText renders the type as its name, for JSON and YAML output.
func (t DiskType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UUID is the footer's 16-byte unique id, kept as bytes because the
// specification only compares it.
type UUID [16]byte

// String renders the id in the usual 8-4-4-4-12 form.
func (u UUID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// MarshalText renders the id as String does.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// Footer is the parsed 512-byte footer.
type Footer struct {
	Features        uint32
	Version         uint32
	DataOffset      uint64
	Timestamp       uint32
	CreatorApp      [4]byte
	CreatorVersion  uint32
	CreatorHostOS   [4]byte
	OriginalSize    uint64
	CurrentSize     uint64
	Cylinders       uint16
	Heads           uint8
	SectorsPerTrack uint8
	Type            DiskType
	Checksum        uint32
	UniqueID        UUID
	SavedState      uint8
}

const (
	footerCookie  = "conectix"
	headerCookie  = "cxsparse"
	formatVersion = 0x00010000
	// noDataOffset is the data offset of a fixed disk, and the header's
	// unused data offset.
	noDataOffset = ^uint64(0)
	// maxVirtualSize bounds a disk's size (64 TiB) so that a corrupt size
	// cannot ask for absurd tables; Azure's largest disk is 32 TiB.
	maxVirtualSize = 64 << 40
)

// Field offsets inside the footer, used both to parse and to report.
const (
	offFooterCookie     = 0
	offFooterVersion    = 12
	offFooterDataOffset = 16
	offFooterCurrent    = 48
	offFooterType       = 60
	offFooterChecksum   = 64
)

// vhdEpoch is the footer timestamp's origin.
var vhdEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checksum is the one's complement of the byte sum of b, with the four bytes
// at skip (the checksum field itself) taken as zero.
func checksum(b []byte, skip int) uint32 {
	var sum uint32
	for i, c := range b {
		if i >= skip && i < skip+4 {
			continue
		}
		sum += uint32(c)
	}
	return ^sum
}

// ParseFooter checks and decodes a 512-byte footer found at file offset at
// (only used in errors). It checks the cookie, checksum, version, disk type
// and the size bounds.
func ParseFooter(b []byte, at int64) (*Footer, error) {
	if len(b) < FooterSize {
		return nil, formatErr("", at, "footer", "only %d bytes, want %d", len(b), FooterSize)
	}
	b = b[:FooterSize]
	if string(b[0:8]) != footerCookie {
		return nil, formatErr("", at+offFooterCookie, "footer.cookie", "got %q, want %q", b[0:8], footerCookie)
	}
	f := &Footer{
		Features:        binary.BigEndian.Uint32(b[8:]),
		Version:         binary.BigEndian.Uint32(b[12:]),
		DataOffset:      binary.BigEndian.Uint64(b[16:]),
		Timestamp:       binary.BigEndian.Uint32(b[24:]),
		CreatorVersion:  binary.BigEndian.Uint32(b[32:]),
		OriginalSize:    binary.BigEndian.Uint64(b[40:]),
		CurrentSize:     binary.BigEndian.Uint64(b[48:]),
		Cylinders:       binary.BigEndian.Uint16(b[56:]),
		Heads:           b[58],
		SectorsPerTrack: b[59],
		Type:            DiskType(binary.BigEndian.Uint32(b[60:])),
		Checksum:        binary.BigEndian.Uint32(b[64:]),
		SavedState:      b[84],
	}
	copy(f.CreatorApp[:], b[28:32])
	copy(f.CreatorHostOS[:], b[36:40])
	copy(f.UniqueID[:], b[68:84])
	if want := checksum(b, offFooterChecksum); f.Checksum != want {
		return nil, formatErr("", at+offFooterChecksum, "footer.checksum", "got %#08x, computed %#08x", f.Checksum, want)
	}
	if f.Version>>16 != 1 {
		return nil, formatErr("", at+offFooterVersion, "footer.version", "got %#08x, want major version 1", f.Version)
	}
	switch f.Type {
	case TypeFixed, TypeDynamic, TypeDifferencing:
	default:
		return nil, formatErr("", at+offFooterType, "footer.diskType", "got %d, want 2 (fixed), 3 (dynamic) or 4 (differencing)", uint32(f.Type))
	}
	if f.CurrentSize == 0 || f.CurrentSize%512 != 0 || f.CurrentSize > maxVirtualSize {
		return nil, formatErr("", at+offFooterCurrent, "footer.currentSize", "%d is not a positive multiple of 512 up to %d", f.CurrentSize, uint64(maxVirtualSize))
	}
	if f.Type == TypeFixed && f.DataOffset != noDataOffset {
		return nil, formatErr("", at+offFooterDataOffset, "footer.dataOffset", "fixed disk has data offset %#x, want 0xFFFFFFFFFFFFFFFF", f.DataOffset)
	}
	return f, nil
}

// NewFixedFooter builds the footer of a fixed VHD of the given virtual size,
// with a random unique id and the current time; size must be a whole number
// of MiB (ErrSizeNotMiB otherwise), as Azure requires.
func NewFixedFooter(size int64) ([]byte, error) {
	if size <= 0 || size%(1<<20) != 0 || size > maxVirtualSize {
		return nil, fmt.Errorf("fixed VHD of %d bytes: %w", size, ErrSizeNotMiB)
	}
	var id UUID
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("unique id for a fixed VHD: %w", err)
	}
	return buildFooter(TypeFixed, size, noDataOffset, id, time.Now()), nil
}

// buildFooter encodes a footer with a computed geometry and checksum.
func buildFooter(t DiskType, size int64, dataOffset uint64, id UUID, now time.Time) []byte {
	b := make([]byte, FooterSize)
	copy(b[0:], footerCookie)
	binary.BigEndian.PutUint32(b[8:], 2) // features: reserved bit always set
	binary.BigEndian.PutUint32(b[12:], formatVersion)
	binary.BigEndian.PutUint64(b[16:], dataOffset)
	ts := now.Sub(vhdEpoch) / time.Second
	if ts < 0 {
		ts = 0
	}
	binary.BigEndian.PutUint32(b[24:], uint32(ts))
	// Readers such as qemu take the size from the CHS geometry, which
	// rounds down, unless the creator is one known to mean the current
	// size; Hyper-V's "win " is the one Azure's own tools write.
	copy(b[28:], "win ")
	binary.BigEndian.PutUint32(b[32:], 0x00010000)
	copy(b[36:], "Wi2k")
	binary.BigEndian.PutUint64(b[40:], uint64(size))
	binary.BigEndian.PutUint64(b[48:], uint64(size))
	c, h, s := geometry(size / 512)
	binary.BigEndian.PutUint16(b[56:], c)
	b[58], b[59] = h, s
	binary.BigEndian.PutUint32(b[60:], uint32(t))
	copy(b[68:], id[:])
	binary.BigEndian.PutUint32(b[64:], checksum(b, offFooterChecksum))
	return b
}

// geometry is the specification's CHS algorithm (appendix "CHS
// calculation"); it only matters to BIOS-era readers, but Hyper-V checks it.
func geometry(totalSectors int64) (cyl uint16, heads, spt uint8) {
	if totalSectors > 65535*16*255 {
		totalSectors = 65535 * 16 * 255
	}
	var sectorsPerTrack, hd, cylTimesHeads int64
	if totalSectors >= 65535*16*63 {
		sectorsPerTrack, hd = 255, 16
		cylTimesHeads = totalSectors / sectorsPerTrack
	} else {
		sectorsPerTrack = 17
		cylTimesHeads = totalSectors / sectorsPerTrack
		hd = (cylTimesHeads + 1023) / 1024
		if hd < 4 {
			hd = 4
		}
		if cylTimesHeads >= hd*1024 || hd > 16 {
			sectorsPerTrack, hd = 31, 16
			cylTimesHeads = totalSectors / sectorsPerTrack
		}
		if cylTimesHeads >= hd*1024 {
			sectorsPerTrack, hd = 63, 16
			cylTimesHeads = totalSectors / sectorsPerTrack
		}
	}
	return uint16(cylTimesHeads / hd), uint8(hd), uint8(sectorsPerTrack)
}

// sameFooter reports whether two footers are byte-identical, which the
// specification requires of a dynamic disk's copy at offset 0.
func sameFooter(a, b []byte) bool { return bytes.Equal(a[:FooterSize], b[:FooterSize]) }

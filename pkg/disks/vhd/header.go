package vhd

import (
	"encoding/binary"
	"unicode/utf16"
)

// HeaderSize is the size of a dynamic disk header.
const HeaderSize = 1024

// Locator platform codes for a differencing disk's parent locators.
const (
	PlatformNone = 0
	PlatformWi2r = 0x57693272 // deprecated relative Windows path
	PlatformWi2k = 0x5769326B // deprecated absolute Windows path
	PlatformW2ru = 0x57327275 // relative Windows path, UTF-16LE
	PlatformW2ku = 0x57326B75 // absolute Windows path, UTF-16LE
	PlatformMac  = 0x4D616320 // Mac OS alias record
	PlatformMacX = 0x4D616358 // file URL, UTF-8
)

// Field offsets inside the dynamic header.
const (
	offHeaderCookie      = 0
	offHeaderTableOffset = 16
	offHeaderVersion     = 24
	offHeaderMaxEntries  = 28
	offHeaderBlockSize   = 32
	offHeaderChecksum    = 36
	offHeaderParentID    = 40
	offHeaderParentName  = 64
	offHeaderLocators    = 576
	locatorSize          = 24
	numLocators          = 8
)

// maxBlockSize bounds the block size; Hyper-V's largest is 256 MiB.
const maxBlockSize = 256 << 20

// Header is the parsed dynamic disk header.
type Header struct {
	TableOffset     uint64
	Version         uint32
	MaxTableEntries uint32
	BlockSize       uint32
	Checksum        uint32
	ParentID        UUID
	ParentTimestamp uint32
	ParentName      string
	Locators        []Locator
}

// Locator is one parent locator entry.
type Locator struct {
	Platform   uint32
	DataSpace  uint32
	DataLength uint32
	DataOffset uint64
}

// parseHeader checks the cookie, checksum, version and block size of a
// dynamic header read at file offset at; the table is checked by the caller,
// which knows the file size.
func parseHeader(b []byte, at int64) (*Header, error) {
	if string(b[0:8]) != headerCookie {
		return nil, formatErr("", at+offHeaderCookie, "header.cookie", "got %q, want %q", b[0:8], headerCookie)
	}
	h := &Header{
		TableOffset:     binary.BigEndian.Uint64(b[16:]),
		Version:         binary.BigEndian.Uint32(b[24:]),
		MaxTableEntries: binary.BigEndian.Uint32(b[28:]),
		BlockSize:       binary.BigEndian.Uint32(b[32:]),
		Checksum:        binary.BigEndian.Uint32(b[36:]),
		ParentTimestamp: binary.BigEndian.Uint32(b[56:]),
	}
	copy(h.ParentID[:], b[40:56])
	if want := checksum(b[:HeaderSize], offHeaderChecksum); h.Checksum != want {
		return nil, formatErr("", at+offHeaderChecksum, "header.checksum", "got %#08x, computed %#08x", h.Checksum, want)
	}
	if h.Version>>16 != 1 {
		return nil, formatErr("", at+offHeaderVersion, "header.version", "got %#08x, want major version 1", h.Version)
	}
	bs := h.BlockSize
	if bs < 512 || bs&(bs-1) != 0 || bs > maxBlockSize {
		return nil, formatErr("", at+offHeaderBlockSize, "header.blockSize", "%d is not a power of two between 512 and %d", bs, maxBlockSize)
	}
	// The parent's name is UTF-16 big-endian, NUL padded.
	name := make([]uint16, 0, 256)
	for i := offHeaderParentName; i < offHeaderLocators; i += 2 {
		c := binary.BigEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		name = append(name, c)
	}
	h.ParentName = string(utf16.Decode(name))
	for i := 0; i < numLocators; i++ {
		e := b[offHeaderLocators+i*locatorSize:]
		l := Locator{
			Platform:   binary.BigEndian.Uint32(e[0:]),
			DataSpace:  binary.BigEndian.Uint32(e[4:]),
			DataLength: binary.BigEndian.Uint32(e[8:]),
			DataOffset: binary.BigEndian.Uint64(e[16:]),
		}
		if l.Platform != PlatformNone {
			h.Locators = append(h.Locators, l)
		}
	}
	return h, nil
}

package staging

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// Format is the manifest's format string.
const Format = "migrate-staging/1"

// Cipher names.
const (
	CipherXTS128 = "xts-aes-128"
	CipherXTS256 = "xts-aes-256"
)

// WrapA256GCM is the only key wrapping of version 1.
const WrapA256GCM = "A256GCM"

// macInfo is the HKDF info string of the MAC key.
const macInfo = "migrate-staging/1 mac"

const (
	nonceSize = 12
	gcmTag    = 16
)

// Manifest is NAME.manifest.json. Field order is the serialization order of
// the MAC input (see the package doc); do not reorder.
type Manifest struct {
	Format        string     `json:"format"`
	Cipher        string     `json:"cipher"`
	SectorSize    int64      `json:"sectorSize"`
	VirtualSize   int64      `json:"virtualSize"`
	Extents       [][2]int64 `json:"extents"`
	Key           KeyInfo    `json:"key"`
	ContentSHA256 string     `json:"contentSha256"`
	ChunkSize     int64      `json:"chunkSize"`
	ChunkMACs     []ChunkMAC `json:"chunkMacs"`
	MAC           string     `json:"mac,omitempty"`
}

// KeyInfo is the manifest's wrapped data key.
type KeyInfo struct {
	Wrap      string `json:"wrap"`
	KEKSHA256 string `json:"kekSha256"`
	Nonce     string `json:"nonce"`
	Wrapped   string `json:"wrapped"`
}

// ChunkMAC is one [offset, "hex"] entry of chunkMacs.
type ChunkMAC struct {
	Off int64
	MAC string
}

// MarshalJSON writes the [offset, "hex"] pair.
func (c ChunkMAC) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{c.Off, c.MAC})
}

// UnmarshalJSON reads exactly a two-element [integer, string] array.
func (c *ChunkMAC) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 2 {
		return fmt.Errorf("chunkMacs entry has %d elements, want [offset, mac]", len(raw))
	}
	if err := json.Unmarshal(raw[0], &c.Off); err != nil {
		return fmt.Errorf("chunkMacs offset: %w", err)
	}
	if err := json.Unmarshal(raw[1], &c.MAC); err != nil {
		return fmt.Errorf("chunkMacs mac: %w", err)
	}
	return nil
}

// keyLen is the data key size of a cipher name, 0 if unknown.
func keyLen(cipher string) int {
	switch cipher {
	case CipherXTS128:
		return 32
	case CipherXTS256:
		return 64
	}
	return 0
}

// ParseManifest decodes a manifest strictly: unknown members, an unknown
// format, cipher, wrapping, sector or chunk size, malformed hex or base64,
// inconsistent extents and chunk MACs that do not match the extents are all
// errors wrapping ErrFormat. It checks structure only; Open checks the key
// and the MAC.
func ParseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, formatErr("decode: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, formatErr("data after the manifest object")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) check() error {
	switch {
	case m.Format != Format:
		return formatErr("format %q, want %q", m.Format, Format)
	case keyLen(m.Cipher) == 0:
		return formatErr("cipher %q, want %q or %q", m.Cipher, CipherXTS128, CipherXTS256)
	case m.SectorSize != disks.SectorSize:
		return formatErr("sectorSize %d, want %d", m.SectorSize, disks.SectorSize)
	case m.ChunkSize != disks.ChunkSize:
		return formatErr("chunkSize %d, want %d", m.ChunkSize, disks.ChunkSize)
	case m.VirtualSize <= 0 || m.VirtualSize%disks.SectorSize != 0:
		return formatErr("virtualSize %d is not a positive multiple of %d", m.VirtualSize, disks.SectorSize)
	case m.Extents == nil:
		return formatErr("extents missing")
	case m.ChunkMACs == nil:
		return formatErr("chunkMacs missing")
	case m.Key.Wrap != WrapA256GCM:
		return formatErr("key.wrap %q, want %q", m.Key.Wrap, WrapA256GCM)
	case !isHex32(m.Key.KEKSHA256):
		return formatErr("key.kekSha256 is not 64 lowercase hex digits")
	case !isHex32(m.ContentSHA256):
		return formatErr("contentSha256 is not 64 lowercase hex digits")
	case !isHex32(m.MAC):
		return formatErr("mac is not 64 lowercase hex digits")
	}
	if n, err := decodeB64(m.Key.Nonce); err != nil || len(n) != nonceSize {
		return formatErr("key.nonce is not %d bytes of standard base64", nonceSize)
	}
	if w, err := decodeB64(m.Key.Wrapped); err != nil || len(w) != keyLen(m.Cipher)+gcmTag {
		return formatErr("key.wrapped is not %d bytes of standard base64", keyLen(m.Cipher)+gcmTag)
	}
	ext := m.DiskExtents()
	if err := checkExtents(ext, m.VirtualSize); err != nil {
		return formatErr("extents: %v", err)
	}
	// Walk the chunks the extents touch alongside chunkMacs, stopping at the
	// first difference: a forged extent of a petabyte must not make us
	// enumerate its chunks.
	i := 0
	var bad error
	forEachChunk(ext, func(off int64) bool {
		switch {
		case i >= len(m.ChunkMACs):
			bad = formatErr("chunkMacs lacks the chunk at %d, which holds data", off)
		case m.ChunkMACs[i].Off != off:
			bad = formatErr("chunkMacs[%d] is for offset %d, want %d", i, m.ChunkMACs[i].Off, off)
		case !isHex32(m.ChunkMACs[i].MAC):
			bad = formatErr("chunkMacs[%d] mac is not 64 lowercase hex digits", i)
		}
		i++
		return bad == nil
	})
	if bad != nil {
		return bad
	}
	if i != len(m.ChunkMACs) {
		return formatErr("chunkMacs has %d entries, the extents touch %d chunks", len(m.ChunkMACs), i)
	}
	return nil
}

// DiskExtents returns the extents as disks.Extent values.
func (m *Manifest) DiskExtents() []disks.Extent {
	out := make([]disks.Extent, len(m.Extents))
	for i, e := range m.Extents {
		out[i] = disks.Extent{Off: e[0], Len: e[1]}
	}
	return out
}

// macInput is the serialization the manifest MAC covers: the manifest
// without mac, compact, members in declaration order.
func (m *Manifest) macInput() ([]byte, error) {
	c := *m
	c.MAC = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("serialize manifest: %w", err)
	}
	return b, nil
}

// computeMAC returns the hex manifest MAC under macKey.
func (m *Manifest) computeMAC(macKey []byte) (string, error) {
	in, err := m.macInput()
	if err != nil {
		return "", err
	}
	h := hmac.New(sha256.New, macKey)
	h.Write(in)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkExtents reports extents that are unsorted, unaligned, empty,
// overlapping or outside [0, size).
func checkExtents(ext []disks.Extent, size int64) error {
	var end int64
	for i, e := range ext {
		switch {
		case e.Off%disks.SectorSize != 0 || e.Len%disks.SectorSize != 0:
			return fmt.Errorf("extent %d [%d, +%d] is not %d-aligned", i, e.Off, e.Len, disks.SectorSize)
		case e.Len <= 0:
			return fmt.Errorf("extent %d at %d is empty", i, e.Off)
		case e.Off < end:
			return fmt.Errorf("extent %d at %d overlaps or precedes the one before", i, e.Off)
		case e.Off > size-e.Len:
			return fmt.Errorf("extent %d [%d, +%d] ends beyond the virtual size %d", i, e.Off, e.Len, size)
		}
		end = e.Off + e.Len
	}
	return nil
}

// chunksOf lists, sorted, the offsets of the chunks the extents touch.
func chunksOf(ext []disks.Extent) []int64 {
	out := []int64{}
	forEachChunk(ext, func(off int64) bool { out = append(out, off); return true })
	return out
}

// forEachChunk calls fn, in order and once each, with the offset of every
// chunk that sorted, non-overlapping extents touch, until fn returns false.
func forEachChunk(ext []disks.Extent, fn func(off int64) bool) {
	last := int64(-1)
	for _, e := range ext {
		for c := e.Off / disks.ChunkSize * disks.ChunkSize; c < e.Off+e.Len; c += disks.ChunkSize {
			if c == last {
				continue
			}
			last = c
			if !fn(c) {
				return
			}
		}
	}
}

func isHex32(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// decodeB64 accepts canonical standard base64 only, so that one value has
// one spelling.
func decodeB64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.EncodeToString(b) != s {
		return nil, fmt.Errorf("non-canonical base64")
	}
	return b, nil
}

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

// Format is the manifest format written: version 2.
const Format = FormatV2

// Manifest formats: version 1 is read (decrypt, copy from staging), never
// written.
const (
	FormatV1 = "migrate-staging/1"
	FormatV2 = "migrate-staging/2"
)

// Cipher names.
const (
	CipherXTS128 = "xts-aes-128"
	CipherXTS256 = "xts-aes-256"
)

// WrapA256GCM is the only key wrapping.
const WrapA256GCM = "A256GCM"

// MAC algorithm names of a version 2 manifest.
const (
	// MACGMAC is AES-256-GMAC (AES-GCM with no plaintext: the message is
	// the additional data) under the HKDF-derived MAC key; a value is the
	// hex of the 12-byte random nonce then the 16-byte tag.
	MACGMAC = "aes-256-gmac"
)

// HKDF info strings of the MAC keys.
const (
	macInfoV1 = "migrate-staging/1 mac"
	macInfoV2 = "migrate-staging/2 gmac"
)

const (
	nonceSize = 12
	gcmTag    = 16
)

// Manifest is NAME.manifest.json of either version, parsed. Version 1 and 2
// hold the same facts; only the algorithms and the JSON layout differ
// (manifestV1, manifestV2).
type Manifest struct {
	Format      string
	Cipher      string
	SectorSize  int64
	VirtualSize int64
	Extents     [][2]int64
	Key         KeyInfo
	// ContentSHA256 is the hex content hash, computed with ContentAlg
	// (disks.HashRuns in version 1, disks.HashTree in version 2).
	ContentSHA256 string
	ContentAlg    string
	ChunkSize     int64
	// ChunkMACs: version 1 hex HMAC-SHA256, version 2 hex nonce||tag.
	ChunkMACs []ChunkMAC
	// MAC is the manifest's own MAC, encoded as ChunkMACs are.
	MAC string
}

// manifestV1 is version 1's JSON. Field order is the serialization order
// of the MAC input (see the package doc); do not reorder.
type manifestV1 struct {
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

// AlgValue is a value with the name of the algorithm that made it.
type AlgValue struct {
	Alg   string `json:"alg"`
	Value string `json:"value"`
}

// chunkMACsV2 is version 2's chunkMacs member.
type chunkMACsV2 struct {
	Alg   string     `json:"alg"`
	Value []ChunkMAC `json:"value"`
}

// manifestV2 is version 2's JSON. Field order is the serialization order
// of the MAC input (disks.md, version 2); do not reorder.
type manifestV2 struct {
	Format      string      `json:"format"`
	Cipher      string      `json:"cipher"`
	SectorSize  int64       `json:"sectorSize"`
	VirtualSize int64       `json:"virtualSize"`
	ChunkSize   int64       `json:"chunkSize"`
	Extents     [][2]int64  `json:"extents"`
	Key         KeyInfo     `json:"key"`
	Content     AlgValue    `json:"content"`
	ChunkMACs   chunkMACsV2 `json:"chunkMacs"`
	MAC         *AlgValue   `json:"mac,omitempty"`
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

// ParseManifest decodes a manifest of either version strictly: unknown
// members, an unknown format, cipher, algorithm, wrapping, sector or chunk
// size, malformed hex or base64, inconsistent extents and chunk MACs that
// do not match the extents are all errors wrapping ErrFormat. It checks
// structure only; Open checks the key and the MAC.
func ParseManifest(data []byte) (*Manifest, error) {
	m, err := decodeManifest(data)
	if err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// MarshalJSON writes the manifest in its version's layout.
func (m Manifest) MarshalJSON() ([]byte, error) {
	if m.Format == FormatV1 {
		return json.Marshal(&manifestV1{Format: m.Format, Cipher: m.Cipher, SectorSize: m.SectorSize, VirtualSize: m.VirtualSize,
			Extents: m.Extents, Key: m.Key, ContentSHA256: m.ContentSHA256, ChunkSize: m.ChunkSize, ChunkMACs: m.ChunkMACs, MAC: m.MAC})
	}
	var mac *AlgValue
	if m.MAC != "" {
		mac = &AlgValue{Alg: MACGMAC, Value: m.MAC}
	}
	return json.Marshal(m.wireV2(mac))
}

// UnmarshalJSON reads either version strictly but checks nothing beyond
// the layout (ParseManifest does).
func (m *Manifest) UnmarshalJSON(b []byte) error {
	p, err := decodeManifest(b)
	if err != nil {
		return err
	}
	*m = *p
	return nil
}

// decodeManifest decodes either version's layout strictly.
func decodeManifest(data []byte) (*Manifest, error) {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, formatErr("decode: %v", err)
	}
	var m Manifest
	switch head.Format {
	case FormatV1:
		var w manifestV1
		if err := decodeStrict(data, &w); err != nil {
			return nil, err
		}
		m = Manifest{Format: w.Format, Cipher: w.Cipher, SectorSize: w.SectorSize, VirtualSize: w.VirtualSize,
			Extents: w.Extents, Key: w.Key, ContentSHA256: w.ContentSHA256, ContentAlg: disks.HashRuns,
			ChunkSize: w.ChunkSize, ChunkMACs: w.ChunkMACs, MAC: w.MAC}
	case FormatV2:
		var w manifestV2
		if err := decodeStrict(data, &w); err != nil {
			return nil, err
		}
		if !disks.IsTreeHash(w.Content.Alg) {
			return nil, formatErr("content.alg %q, want %q or %q", w.Content.Alg, disks.HashTree, disks.HashTreeBLAKE3)
		}
		if w.ChunkMACs.Alg != MACGMAC {
			return nil, formatErr("chunkMacs.alg %q, want %q", w.ChunkMACs.Alg, MACGMAC)
		}
		if w.MAC == nil || w.MAC.Alg != MACGMAC {
			return nil, formatErr("mac.alg missing or not %q", MACGMAC)
		}
		m = Manifest{Format: w.Format, Cipher: w.Cipher, SectorSize: w.SectorSize, VirtualSize: w.VirtualSize,
			Extents: w.Extents, Key: w.Key, ContentSHA256: w.Content.Value, ContentAlg: w.Content.Alg,
			ChunkSize: w.ChunkSize, ChunkMACs: w.ChunkMACs.Value, MAC: w.MAC.Value}
	default:
		return nil, formatErr("format %q, want %q or %q", head.Format, FormatV2, FormatV1)
	}
	return &m, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return formatErr("decode: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return formatErr("data after the manifest object")
	}
	return nil
}

// macOK reports whether a MAC value has its version's shape: 32 bytes of
// HMAC in version 1, nonce and tag in version 2, lowercase hex.
func (m *Manifest) macOK(v string) bool {
	if m.Format == FormatV1 {
		return isHex32(v)
	}
	return isHexN(v, nonceSize+gcmTag)
}

func (m *Manifest) check() error {
	switch {
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
		return formatErr("content hash is not 64 lowercase hex digits")
	case !m.macOK(m.MAC):
		return formatErr("mac is not lowercase hex of the right length")
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
		case !m.macOK(m.ChunkMACs[i].MAC):
			bad = formatErr("chunkMacs[%d] mac is not lowercase hex of the right length", i)
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
// without mac, compact, members in its version's declaration order.
func (m *Manifest) macInput() ([]byte, error) {
	var w any
	if m.Format == FormatV1 {
		w = &manifestV1{Format: m.Format, Cipher: m.Cipher, SectorSize: m.SectorSize, VirtualSize: m.VirtualSize,
			Extents: m.Extents, Key: m.Key, ContentSHA256: m.ContentSHA256, ChunkSize: m.ChunkSize, ChunkMACs: m.ChunkMACs}
	} else {
		w = m.wireV2(nil)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("serialize manifest: %w", err)
	}
	return b, nil
}

func (m *Manifest) wireV2(mac *AlgValue) *manifestV2 {
	return &manifestV2{Format: m.Format, Cipher: m.Cipher, SectorSize: m.SectorSize, VirtualSize: m.VirtualSize,
		ChunkSize: m.ChunkSize, Extents: m.Extents, Key: m.Key,
		Content:   AlgValue{Alg: m.ContentAlg, Value: m.ContentSHA256},
		ChunkMACs: chunkMACsV2{Alg: MACGMAC, Value: m.ChunkMACs}, MAC: mac}
}

// verifyMAC checks the manifest MAC with the image's keys.
func (m *Manifest) verifyMAC(k *keys) (bool, error) {
	in, err := m.macInput()
	if err != nil {
		return false, err
	}
	if m.Format == FormatV1 {
		h := hmac.New(sha256.New, k.macKey)
		h.Write(in)
		return hmac.Equal([]byte(hex.EncodeToString(h.Sum(nil))), []byte(m.MAC)), nil
	}
	return k.gmacVerify(m.MAC, in), nil
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

func isHex32(s string) bool { return isHexN(s, 32) }

// isHexN reports whether s is exactly n bytes in lowercase hex.
func isHexN(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for _, c := range []byte(s) {
		if ('0' > c || c > '9') && ('a' > c || c > 'f') {
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

package staging

import (
	"context"
	"hash"

	lblake3 "lukechampine.com/blake3"

	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/xts"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// thirdParty decrypts and verifies a version 2 image with disks.md and
// standard primitives only, none of this package's code: encoding/json into
// maps, AES-256-GCM to unwrap the key and as GMAC, HKDF-SHA256,
// x/crypto/xts, SHA-256 for the tree hash. It checks every MAC and the
// content hash the way an independent verifier would and returns the plain
// disk and the data key.
func thirdParty(t *testing.T, dir, name string, kek []byte) (plain, dataKey []byte) {
	t.Helper()
	raw := readFile(t, manifestPath(dir, name))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"chunkMacs", "chunkSize", "cipher", "content", "extents", "format", "key", "mac", "sectorSize", "virtualSize"}
	if !slices.Equal(got, want) {
		t.Fatalf("manifest members %v, want %v", got, want)
	}
	type algValue struct{ Alg, Value string }
	var (
		format, cipherName                 string
		sectorSize, virtualSize, chunkSize int64
		extents                            [][2]int64
		key                                map[string]string
		content, mac                       algValue
		chunkMacs                          struct {
			Alg   string
			Value [][2]any
		}
	)
	for k, dst := range map[string]any{"format": &format, "cipher": &cipherName, "sectorSize": &sectorSize,
		"virtualSize": &virtualSize, "chunkSize": &chunkSize, "extents": &extents, "key": &key,
		"content": &content, "chunkMacs": &chunkMacs, "mac": &mac} {
		if err := json.Unmarshal(m[k], dst); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if format != "migrate-staging/2" || sectorSize != 512 || chunkSize != 4194304 {
		t.Fatalf("format %q sectorSize %d chunkSize %d", format, sectorSize, chunkSize)
	}
	if content.Alg != "sha256-tree-4m" || chunkMacs.Alg != "aes-256-gmac" || mac.Alg != "aes-256-gmac" {
		t.Fatalf("algorithms %q %q %q", content.Alg, chunkMacs.Alg, mac.Alg)
	}
	kekSum := sha256.Sum256(kek)
	if len(key) != 4 || key["wrap"] != "A256GCM" || key["kekSha256"] != hex.EncodeToString(kekSum[:]) {
		t.Fatalf("key = %v", key)
	}
	gcmOf := func(k []byte) cipher.AEAD {
		b, err := aes.NewCipher(k)
		if err != nil {
			t.Fatal(err)
		}
		g, err := cipher.NewGCM(b)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	nonce, _ := base64.StdEncoding.DecodeString(key["nonce"])
	wrapped, _ := base64.StdEncoding.DecodeString(key["wrapped"])
	dataKey, err := gcmOf(kek).Open(nil, nonce, wrapped, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"xts-aes-128": 32, "xts-aes-256": 64}[cipherName]; len(dataKey) != want {
		t.Fatalf("cipher %s with a %d-byte data key", cipherName, len(dataKey))
	}

	// GMAC: AES-256-GCM under HKDF-SHA256(data key, no salt, info), no
	// plaintext, the message as additional data; a value is hex nonce||tag.
	macKey, err := hkdf.Key(sha256.New, dataKey, nil, "migrate-staging/2 gmac", 32)
	if err != nil {
		t.Fatal(err)
	}
	gmac := gcmOf(macKey)
	verify := func(what, value string, msg []byte) {
		b, err := hex.DecodeString(value)
		if err != nil || len(b) != 28 {
			t.Fatalf("%s: value %q is not 28 bytes of hex", what, value)
		}
		if _, err := gmac.Open(nil, b[:12], b[12:], msg); err != nil {
			t.Fatalf("%s does not verify", what)
		}
	}

	img := readFile(t, imgPath(dir, name))
	if int64(len(img)) != virtualSize {
		t.Fatalf("image is %d bytes, virtualSize %d", len(img), virtualSize)
	}
	// Chunk MACs: the ciphertext of the extents inside each chunk that
	// holds data, packed in disk order.
	var offs []int64
	for off := int64(0); off < virtualSize; off += chunkSize {
		var msg []byte
		for _, e := range extents {
			a, b := max(e[0], off), min(e[0]+e[1], off+chunkSize)
			if a < b {
				msg = append(msg, img[a:b]...)
			}
		}
		if msg == nil {
			continue
		}
		i := len(offs)
		offs = append(offs, off)
		if i >= len(chunkMacs.Value) || int64(chunkMacs.Value[i][0].(float64)) != off {
			t.Fatalf("chunkMacs lacks chunk %d", off)
		}
		verify(fmt.Sprintf("chunk %d", off), chunkMacs.Value[i][1].(string), msg)
	}
	if len(offs) != len(chunkMacs.Value) {
		t.Fatalf("chunkMacs has %d entries, %d chunks hold data", len(chunkMacs.Value), len(offs))
	}
	// The manifest MAC over its compact serialization without mac.
	var ext, cm []string
	for _, e := range extents {
		ext = append(ext, fmt.Sprintf("[%d,%d]", e[0], e[1]))
	}
	for _, c := range chunkMacs.Value {
		cm = append(cm, fmt.Sprintf("[%d,%q]", int64(c[0].(float64)), c[1]))
	}
	body := fmt.Sprintf(`{"format":%q,"cipher":%q,"sectorSize":%d,"virtualSize":%d,"chunkSize":%d,"extents":[%s],`+
		`"key":{"wrap":%q,"kekSha256":%q,"nonce":%q,"wrapped":%q},"content":{"alg":%q,"value":%q},"chunkMacs":{"alg":%q,"value":[%s]}}`,
		format, cipherName, sectorSize, virtualSize, chunkSize, strings.Join(ext, ","),
		key["wrap"], key["kekSha256"], key["nonce"], key["wrapped"], content.Alg, content.Value, chunkMacs.Alg, strings.Join(cm, ","))
	verify("manifest mac", mac.Value, []byte(body))

	// Decrypt each extent sector by sector.
	x, err := xts.NewCipher(aes.NewCipher, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	plain = make([]byte, virtualSize)
	for _, e := range extents {
		for s := e[0]; s < e[0]+e[1]; s += 512 {
			x.Decrypt(plain[s:s+512], img[s:s+512], uint64(s/512))
		}
	}

	// The tree hash, from the plain disk alone.
	zero := make([]byte, 512)
	root := sha256.New()
	root.Write([]byte{1})
	root.Write(binary.BigEndian.AppendUint64(nil, uint64(virtualSize)))
	for off := int64(0); off < virtualSize; off += chunkSize {
		leaf := sha256.New()
		leaf.Write([]byte{0})
		has := false
		end := min(off+chunkSize, virtualSize)
		for s := off; s < end; {
			if bytes.Equal(plain[s:s+512], zero) {
				s += 512
				continue
			}
			r := s
			for r < end && !bytes.Equal(plain[r:r+512], zero) {
				r += 512
			}
			leaf.Write(binary.BigEndian.AppendUint64(nil, uint64(s)))
			leaf.Write(binary.BigEndian.AppendUint64(nil, uint64(r-s)))
			leaf.Write(plain[s:r])
			has, s = true, r
		}
		if has {
			root.Write(binary.BigEndian.AppendUint64(nil, uint64(off)))
			root.Write(leaf.Sum(nil))
		}
	}
	if hex.EncodeToString(root.Sum(nil)) != content.Value {
		t.Fatal("content.value is not the tree hash of the decrypted disk")
	}
	return plain, dataKey
}

// v1Plain is the plain disk of the version 1 images in testdata/v1, which
// the previous release wrote (xts-aes-128 and xts-aes-256, key file
// testdata/v1/kek): 5 MiB with runs at 0, across the chunk boundary and at
// the end.
func v1Plain() []byte {
	p := make([]byte, 5<<20)
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(off, n int) {
		for i := off; i < off+n; i++ {
			p[i] = byte(r.IntN(255) + 1)
		}
	}
	fill(0, 64<<10)
	fill(4<<20-4096, 12288)
	fill(5<<20-1024, 1024)
	return p
}

// Version 1 images written by the previous release still open, verify and
// decrypt (through the copier, so with HashRuns), and the independent v1
// verifier still accepts them.
func TestV1ImagesStillRead(t *testing.T) {
	kek, err := os.ReadFile(filepath.Join("testdata", "v1", "kek"))
	if err != nil {
		t.Fatal(err)
	}
	want := v1Plain()
	for _, name := range []string{CipherXTS128, CipherXTS256} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "v1")
			got, _ := thirdPartyV1(t, dir, name, kek)
			if !bytes.Equal(got, want) {
				t.Fatal("the v1 verifier decrypts to something else")
			}
			out, sum := copyOutSum(t, dir, name, kek)
			if !bytes.Equal(out, want) {
				t.Fatal("decrypting a v1 image gives something else")
			}
			// Beside v1's own hash the copy gives the tree hash, so a
			// disk step resumed from a v1 image compares one kind of
			// hash with the managed disk's (issue 12).
			if sum.TreeAlg != disks.HashTree || !bytes.Equal(sum.Tree[:], treeHash(want)) {
				t.Fatalf("tree hash beside HashRuns: %s %x, want the tree of the plain disk", sum.TreeAlg, sum.Tree)
			}
		})
	}
}

// copyOut is what disks decrypt does: open, verify every MAC, copy out
// through the copier, check the content hash against the manifest.
func copyOut(t *testing.T, dir, name string, kek []byte) []byte {
	t.Helper()
	out, _ := copyOutSum(t, dir, name, kek)
	return out
}

func copyOutSum(t *testing.T, dir, name string, kek []byte) ([]byte, disks.Summary) {
	t.Helper()
	ctx := t.Context()
	src, err := Open(ctx, dir, name, kek)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.raw")
	dst, err := disks.CreateRaw(out, src.Size())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := disks.Copy(ctx, src, dst, disks.CopyOptions{Workers: 3})
	dst.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyContent(src.Manifest(), sum); err != nil {
		t.Fatal(err)
	}
	return readFile(t, out), sum
}

// TestV2BLAKE3: --hash blake3 writes a v2 image whose content is the
// BLAKE3 tree, checked with another BLAKE3 implementation
// (lukechampine.com/blake3) than the copier's (github.com/zeebo/blake3);
// a copy out of it hashes with BLAKE3 too and verifies.
func TestV2BLAKE3(t *testing.T) {
	ctx := t.Context()
	dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
	sink, err := Create(ctx, dir, "disk", kek, "", testSize)
	if err != nil {
		t.Fatal(err)
	}
	up, err := disks.Copy(ctx, &memDisk{plain}, sink, disks.CopyOptions{Workers: 3, Hash: disks.HashTreeBLAKE3})
	sink.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := treeHashWith(plain, func() hash.Hash { return lblake3.New(32, nil) })
	if up.ContentAlg != disks.HashTreeBLAKE3 || !bytes.Equal(up.ContentSHA256[:], want) {
		t.Fatalf("copy: %s %x, want blake3-tree-4m %x", up.ContentAlg, up.ContentSHA256, want)
	}
	src, err := Open(ctx, dir, "disk", kek)
	if err != nil {
		t.Fatal(err)
	}
	m := src.Manifest()
	_ = src.Close()
	if m.ContentAlg != disks.HashTreeBLAKE3 || m.ContentSHA256 != hex.EncodeToString(want) {
		t.Fatalf("manifest content %s %s", m.ContentAlg, m.ContentSHA256)
	}
	out, sum := copyOutSum(t, dir, "disk", kek)
	if !bytes.Equal(out, plain) || sum.ContentAlg != disks.HashTreeBLAKE3 {
		t.Fatalf("decrypted copy differs or hashed with %s", sum.ContentAlg)
	}
}

// The BLAKE3 value of the disks.md test vector.
func TestSpecVectorBLAKE3(t *testing.T) {
	const vectorTreeBLAKE3 = "0af34af5eb78287589974840389dce177689c8850db9a6d0e1821b2b5d80649b"
	got := hex.EncodeToString(treeHashWith(specVectorDisk(), func() hash.Hash { return lblake3.New(32, nil) }))
	if got != vectorTreeBLAKE3 {
		t.Errorf("blake3 tree %s, disks.md says %s", got, vectorTreeBLAKE3)
	}
	c, err := disks.Copy(t.Context(), &memDisk{specVectorDisk()}, discardSink{}, disks.CopyOptions{Hash: disks.HashTreeBLAKE3})
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(c.ContentSHA256[:]) != vectorTreeBLAKE3 {
		t.Errorf("the copier's blake3 tree %x", c.ContentSHA256)
	}
}

// TestV2ThroughTheCopier: a copy into staging and back out, both through
// the copier, and the independent verifier agrees with both.
func TestV2ThroughTheCopier(t *testing.T) {
	ctx := t.Context()
	dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
	sink, err := Create(ctx, dir, "disk", kek, "", testSize)
	if err != nil {
		t.Fatal(err)
	}
	up, err := disks.Copy(ctx, &memDisk{plain}, sink, disks.CopyOptions{Workers: 3, Checkpoint: filepath.Join(dir, "cp")})
	sink.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := summaryOf(plain); up.ContentSHA256 != want.ContentSHA256 || up.ContentAlg != disks.HashTree {
		t.Fatal("the copier's content hash is not the tree hash of disks.md")
	}
	got, _ := thirdParty(t, dir, "disk", kek)
	if !bytes.Equal(got, plain) {
		t.Fatal("the independent verifier decrypts to something else")
	}
	if !bytes.Equal(copyOut(t, dir, "disk", kek), plain) {
		t.Fatal("decrypted copy differs")
	}
}

// discardSink keeps nothing: a copy through it only hashes.
type discardSink struct{}

func (discardSink) WriteChunk(context.Context, *disks.Chunk) error { return nil }
func (discardSink) Finish(context.Context, disks.Summary) error    { return nil }
func (discardSink) Close() error                                   { return nil }

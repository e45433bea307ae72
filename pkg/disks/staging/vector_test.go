package staging

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// The test vector of disks.md, version 2: data key 00 01 .. 1f
// (xts-aes-128), a 9 MiB disk with sector 0 all 0x01, sectors 1 and 2 all
// 0x02 and the sector at 4 MiB + 512 all 0x03.
func specVectorDisk() []byte {
	p := make([]byte, 9<<20)
	copy(p[0:512], bytes.Repeat([]byte{1}, 512))
	copy(p[512:1536], bytes.Repeat([]byte{2}, 1024))
	copy(p[4<<20+512:4<<20+1024], bytes.Repeat([]byte{3}, 512))
	return p
}

const (
	vectorTree   = "4a533ec6c423462becfcb6d040e3cd7677f4201aa0185f4e26a5d39dc2c22940"
	vectorMACKey = "71a0183088612eea9f9f4e9c7ff3b048d8a8ffca3e7c43ae28a10a9d82a1e10c"
	vectorTag    = "000102030405060708090a0b95ee58e5290df8aaf14b9f0107962f8e"
	vectorCT0    = "05dc9d42818101e29393ecb3b4bbd054"
)

func TestSpecVector(t *testing.T) {
	dataKey := make([]byte, 32)
	for i := range dataKey {
		dataKey[i] = byte(i)
	}
	p := specVectorDisk()
	if got := hex.EncodeToString(treeHash(p)); got != vectorTree {
		t.Errorf("tree hash %s, disks.md says %s", got, vectorTree)
	}
	k, err := deriveKeys(dataKey, FormatV2)
	if err != nil {
		t.Fatal(err)
	}
	// The chunk 0 message: sectors 0-2 encrypted, tweaks 0-2.
	ct := make([]byte, 1536)
	k.xts.EncryptSectors(ct, p[:1536], 0)
	if got := hex.EncodeToString(ct[:16]); got != vectorCT0 {
		t.Errorf("ciphertext of sector 0 starts %s, disks.md says %s", got, vectorCT0)
	}
	nonce := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	tag := k.gmac.Seal(nil, nonce, nil, ct)
	if got := hex.EncodeToString(append(nonce, tag...)); got != vectorTag {
		t.Errorf("chunk 0 MAC %s, disks.md says %s", got, vectorTag)
	}
	_ = disks.ChunkSize
}

func TestSpecVectorMACKey(t *testing.T) {
	dataKey := make([]byte, 32)
	for i := range dataKey {
		dataKey[i] = byte(i)
	}
	mk, err := hkdf.Key(sha256.New, dataKey, nil, macInfoV2, 32)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(mk); got != vectorMACKey {
		t.Errorf("MAC key %s, disks.md says %s", got, vectorMACKey)
	}
}

package staging

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/xts"

	"github.com/migrate-tool/migrate/pkg/disks"
)

func TestRoundTrip(t *testing.T) {
	for _, cipherName := range []string{"", CipherXTS128, CipherXTS256} {
		t.Run("cipher="+cipherName, func(t *testing.T) {
			ctx := context.Background()
			dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
			sum := writeImage(t, dir, "disk", kek, cipherName, plain)

			src, err := Open(ctx, dir, "disk", kek)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if err := src.Verify(ctx); err != nil {
				t.Fatal(err)
			}
			if src.Size() != testSize {
				t.Fatalf("Size %d", src.Size())
			}
			ext, err := src.Allocated(ctx)
			if err != nil || !slices.Equal(ext, sum.Extents) {
				t.Fatalf("Allocated = %v, %v; want %v", ext, err, sum.Extents)
			}
			got := make([]byte, testSize)
			if err := src.ReadAt(ctx, got, 0); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatal("read back differs from the plain disk")
			}
			// Unaligned reads across an extent edge and a chunk edge.
			for _, r := range [][2]int64{{disks.ChunkSize - 4097, 9000}, {1<<20 - 3, 10}, {testSize - 700, 700}, {2 * disks.ChunkSize, 100}} {
				part := make([]byte, r[1])
				if err := src.ReadAt(ctx, part, r[0]); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(part, plain[r[0]:r[0]+r[1]]) {
					t.Fatalf("ReadAt(%d, %d) differs", r[0], r[1])
				}
			}
			if err := src.ReadAt(ctx, make([]byte, 512), testSize-256); err == nil {
				t.Fatal("read past the end succeeded")
			}
			if err := VerifyContent(src.Manifest(), summaryOf(got)); err != nil {
				t.Fatal(err)
			}
			bad := sum
			bad.ContentSHA256[0] ^= 1
			if err := VerifyContent(src.Manifest(), bad); !errors.Is(err, ErrContentMismatch) || !errors.Is(err, ErrTampered) {
				t.Fatalf("VerifyContent(bad hash) = %v", err)
			}
		})
	}
}

func TestEmptyDisk(t *testing.T) {
	ctx := context.Background()
	dir, kek := t.TempDir(), newKEK(t)
	plain := make([]byte, 2*disks.ChunkSize)
	writeImage(t, dir, "zero", kek, "", plain)
	src, err := Open(ctx, dir, "zero", kek)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	got := bytes.Repeat([]byte{7}, 4096)
	if err := src.ReadAt(ctx, got, 1<<20); err != nil || !bytes.Equal(got, make([]byte, 4096)) {
		t.Fatalf("hole read = %v, non-zero or error", err)
	}
	m := src.Manifest()
	if len(m.Extents) != 0 || len(m.ChunkMACs) != 0 {
		t.Fatalf("extents %v chunkMacs %v, want none", m.Extents, m.ChunkMACs)
	}
}

// thirdPartyV1 decrypts a version 1 image with the spec and standard primitives only:
// encoding/json into maps, crypto/aes GCM, x/crypto/xts, HKDF and HMAC. It
// checks every MAC the way an independent verifier would and returns the
// plain disk and the data key.
func thirdPartyV1(t *testing.T, dir, name string, kek []byte) (plain, dataKey []byte) {
	t.Helper()
	raw := readFile(t, manifestPath(dir, name))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"format", "cipher", "sectorSize", "virtualSize", "extents", "key", "contentSha256", "chunkSize", "chunkMacs", "mac"}
	var gotKeys []string
	for k := range m {
		gotKeys = append(gotKeys, k)
	}
	slices.Sort(gotKeys)
	sortedWant := slices.Clone(wantKeys)
	slices.Sort(sortedWant)
	if !slices.Equal(gotKeys, sortedWant) {
		t.Fatalf("manifest members %v, want %v", gotKeys, sortedWant)
	}
	var (
		format, cipherName, contentSha, mac string
		sectorSize, virtualSize, chunkSize  int64
		extents                             [][2]int64
		chunkMacs                           [][2]any
		key                                 map[string]string
	)
	for k, dst := range map[string]any{"format": &format, "cipher": &cipherName, "contentSha256": &contentSha, "mac": &mac,
		"sectorSize": &sectorSize, "virtualSize": &virtualSize, "chunkSize": &chunkSize, "extents": &extents,
		"chunkMacs": &chunkMacs, "key": &key} {
		if err := json.Unmarshal(m[k], dst); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if format != "migrate-staging/1" || sectorSize != 512 || chunkSize != 4194304 {
		t.Fatalf("format %q sectorSize %d chunkSize %d", format, sectorSize, chunkSize)
	}
	if len(key) != 4 || key["wrap"] != "A256GCM" {
		t.Fatalf("key = %v", key)
	}
	kekSum := sha256.Sum256(kek)
	if key["kekSha256"] != hex.EncodeToString(kekSum[:]) {
		t.Fatal("kekSha256 is not SHA-256 of the key file")
	}

	// Unwrap: AES-256-GCM, 12-byte nonce, no additional data.
	nonce, err := base64.StdEncoding.DecodeString(key["nonce"])
	if err != nil || len(nonce) != 12 {
		t.Fatalf("nonce %v", err)
	}
	wrapped, err := base64.StdEncoding.DecodeString(key["wrapped"])
	if err != nil {
		t.Fatal(err)
	}
	blk, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		t.Fatal(err)
	}
	dataKey, err = gcm.Open(nil, nonce, wrapped, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"xts-aes-128": 32, "xts-aes-256": 64}[cipherName]; len(dataKey) != want {
		t.Fatalf("cipher %s with a %d-byte data key", cipherName, len(dataKey))
	}

	// Decrypt each extent sector by sector with x/crypto/xts.
	x, err := xts.NewCipher(aes.NewCipher, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	img := readFile(t, imgPath(dir, name))
	if int64(len(img)) != virtualSize {
		t.Fatalf("image is %d bytes, virtualSize %d", len(img), virtualSize)
	}
	plain = make([]byte, virtualSize)
	for _, e := range extents {
		for s := e[0]; s < e[0]+e[1]; s += 512 {
			x.Decrypt(plain[s:s+512], img[s:s+512], uint64(s/512))
		}
	}

	// MAC key: HKDF-SHA256(data key, no salt, info), 32 bytes.
	macKey, err := hkdf.Key(sha256.New, dataKey, nil, "migrate-staging/1 mac", 32)
	if err != nil {
		t.Fatal(err)
	}
	hm := func(b []byte) string {
		h := hmac.New(sha256.New, macKey)
		h.Write(b)
		return hex.EncodeToString(h.Sum(nil))
	}
	// Chunk MACs: ciphertext, holes (everything outside extents) as zeros.
	masked := make([]byte, virtualSize)
	for _, e := range extents {
		copy(masked[e[0]:e[0]+e[1]], img[e[0]:e[0]+e[1]])
	}
	var wantMacs [][2]any
	for off := int64(0); off < virtualSize; off += chunkSize {
		end := min(off+chunkSize, virtualSize)
		holds := false
		for _, e := range extents {
			if e[0] < end && e[0]+e[1] > off {
				holds = true
			}
		}
		if holds {
			wantMacs = append(wantMacs, [2]any{float64(off), hm(masked[off:end])})
		}
	}
	if fmt.Sprint(chunkMacs) != fmt.Sprint(wantMacs) {
		t.Fatalf("chunkMacs\n got %v\nwant %v", chunkMacs, wantMacs)
	}
	// Manifest MAC over the documented compact serialization, built by hand.
	var ext, cm []string
	for _, e := range extents {
		ext = append(ext, fmt.Sprintf("[%d,%d]", e[0], e[1]))
	}
	for _, c := range chunkMacs {
		cm = append(cm, fmt.Sprintf("[%d,%q]", int64(c[0].(float64)), c[1]))
	}
	body := fmt.Sprintf(`{"format":%q,"cipher":%q,"sectorSize":%d,"virtualSize":%d,"extents":[%s],"key":{"wrap":%q,"kekSha256":%q,"nonce":%q,"wrapped":%q},"contentSha256":%q,"chunkSize":%d,"chunkMacs":[%s]}`,
		format, cipherName, sectorSize, virtualSize, strings.Join(ext, ","), key["wrap"], key["kekSha256"], key["nonce"], key["wrapped"],
		contentSha, chunkSize, strings.Join(cm, ","))
	if hm([]byte(body)) != mac {
		t.Fatalf("manifest mac does not verify over %s", body)
	}
	return plain, dataKey
}

func TestManifestAndThirdPartyDecrypt(t *testing.T) {
	for _, cipherName := range []string{CipherXTS128, CipherXTS256} {
		t.Run(cipherName, func(t *testing.T) {
			dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
			sum := writeImage(t, dir, "disk", kek, cipherName, plain)
			got, _ := thirdParty(t, dir, "disk", kek)
			if !bytes.Equal(got, plain) {
				t.Fatal("third-party decryption differs from the plain disk")
			}
			m, err := ParseManifest(readFile(t, manifestPath(dir, "disk")))
			if err != nil {
				t.Fatal(err)
			}
			if m.Cipher != cipherName || m.VirtualSize != testSize {
				t.Fatalf("cipher %s size %d", m.Cipher, m.VirtualSize)
			}
			// Extents and content hash recomputed from the plain disk.
			want := summaryOf(plain)
			if !slices.Equal(m.DiskExtents(), want.Extents) || !slices.Equal(m.DiskExtents(), sum.Extents) {
				t.Fatalf("extents %v, want %v", m.Extents, want.Extents)
			}
			if m.ContentSHA256 != hex.EncodeToString(want.ContentSHA256[:]) {
				t.Fatal("contentSha256 differs from the independent hash")
			}
			// chunk 2 is all holes: no MAC.
			var offs []int64
			for _, c := range m.ChunkMACs {
				offs = append(offs, c.Off)
			}
			if !slices.Equal(offs, []int64{0, disks.ChunkSize, 3 * disks.ChunkSize}) {
				t.Fatalf("chunkMacs for %v", offs)
			}
		})
	}
}

func TestHoleStaysHole(t *testing.T) {
	dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
	writeImage(t, dir, "disk", kek, "", plain)
	f, err := os.Open(imgPath(dir, "disk"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// SEEK_DATA (3) from the all-hole chunk 2 must land past it.
	const seekData = 3
	next, err := f.Seek(2*disks.ChunkSize, seekData)
	if err != nil {
		t.Skipf("SEEK_DATA unsupported here: %v", err)
	}
	if next < 3*disks.ChunkSize {
		t.Fatalf("data at %d inside the hole chunk [%d, %d)", next, 2*disks.ChunkSize, 3*disks.ChunkSize)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		var data int64
		for _, e := range summaryOf(plain).Extents {
			data += e.Len
		}
		// Allow a filesystem block of slack per extent edge.
		if used := st.Blocks * 512; used > data+64<<10 {
			t.Fatalf("image uses %d bytes on disk for %d bytes of data", used, data)
		}
	}
}

func TestTamper(t *testing.T) {
	ctx := context.Background()
	kek := newKEK(t)
	plain := testDisk(t)
	tmpl := t.TempDir()
	writeImage(t, tmpl, "disk", kek, "", plain)
	img, manifest := readFile(t, imgPath(tmpl, "disk")), readFile(t, manifestPath(tmpl, "disk"))

	setup := func(t *testing.T, editImg func([]byte), editManifest func([]byte) []byte) string {
		dir := t.TempDir()
		i, m := slices.Clone(img), slices.Clone(manifest)
		if editImg != nil {
			editImg(i)
		}
		if editManifest != nil {
			m = editManifest(m)
		}
		if err := os.WriteFile(imgPath(dir, "disk"), i, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(manifestPath(dir, "disk"), m, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	replace := func(old, new string) func([]byte) []byte {
		return func(m []byte) []byte {
			if !bytes.Contains(m, []byte(old)) {
				t.Fatalf("manifest lacks %q", old)
			}
			return bytes.Replace(m, []byte(old), []byte(new), 1)
		}
	}
	var mm Manifest
	if err := json.Unmarshal(manifest, &mm); err != nil {
		t.Fatal(err)
	}
	otherHash := strings.Repeat("ab", 32)
	otherMAC := strings.Repeat("ab", nonceSize+gcmTag)

	t.Run("image byte flipped", func(t *testing.T) {
		for _, off := range []int64{disks.ChunkSize + 1<<20 + 7, 100, testSize - 1} {
			dir := setup(t, func(i []byte) { i[off] ^= 0x40 }, nil)
			src, err := Open(ctx, dir, "disk", kek)
			if err != nil {
				t.Fatal(err)
			}
			err = src.Verify(ctx)
			src.Close()
			var te *TamperError
			if !errors.As(err, &te) || !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v, want TamperError", err)
			}
			if want := off / disks.ChunkSize * disks.ChunkSize; te.ChunkOffset != want {
				t.Fatalf("TamperError names chunk %d, want %d", te.ChunkOffset, want)
			}
		}
	})
	manifestEdits := []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"contentSha256", replace(mm.ContentSHA256, otherHash), ErrManifestMAC},
		{"chunk mac", replace(mm.ChunkMACs[1].MAC, otherMAC), ErrManifestMAC},
		{"extent shrunk", replace(fmt.Sprintf("%d,\n      %d", mm.Extents[0][0], mm.Extents[0][1]), fmt.Sprintf("%d,\n      %d", mm.Extents[0][0], mm.Extents[0][1]-512)), ErrManifestMAC},
		{"mac", replace(mm.MAC, otherMAC), ErrManifestMAC},
		{"mac alg", replace(`"aes-256-gmac"`, `"hmac-sha256"`), ErrFormat},
		{"content alg", replace(`"sha256-tree-4m"`, `"sha256-runs"`), ErrFormat},
		{"cipher", replace(`"xts-aes-128"`, `"xts-aes-256"`), ErrFormat},
		{"format", replace(`"migrate-staging/2"`, `"migrate-staging/3"`), ErrFormat},
		{"format v1", replace(`"migrate-staging/2"`, `"migrate-staging/1"`), ErrFormat},
		{"sector size", replace(`"sectorSize": 512`, `"sectorSize": 4096`), ErrFormat},
		{"unknown member", replace(`"format"`, `"extra": 1, "format"`), ErrFormat},
		{"kekSha256", replace(mm.Key.KEKSHA256, otherHash), ErrWrongKey},
	}
	for _, tt := range manifestEdits {
		t.Run("manifest "+tt.name, func(t *testing.T) {
			dir := setup(t, nil, tt.edit)
			if _, err := Open(ctx, dir, "disk", kek); !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		dir := setup(t, nil, nil)
		if _, err := Open(ctx, dir, "disk", newKEK(t)); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("Open = %v, want ErrWrongKey", err)
		}
	})
	t.Run("wrong key with matching kekSha256", func(t *testing.T) {
		// An attacker who rewrites kekSha256 still cannot get past GCM.
		other := newKEK(t)
		sum := sha256.Sum256(other)
		dir := setup(t, nil, replace(mm.Key.KEKSHA256, hex.EncodeToString(sum[:])))
		if _, err := Open(ctx, dir, "disk", other); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("Open = %v, want ErrWrongKey", err)
		}
	})
}

func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		size int
		mode os.FileMode
		ok   bool
	}{
		{"32 bytes 0600", 32, 0o600, true},
		{"32 bytes 0400", 32, 0o400, true},
		{"31 bytes", 31, 0o600, false},
		{"33 bytes", 33, 0o600, false},
		{"empty", 0, 0o600, false},
		{"mode 0644", 32, 0o644, false},
		{"mode 0640", 32, 0o640, false},
		{"mode 0604", 32, 0o604, false},
		{"mode 0700", 32, 0o700, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("key%d", i))
			content := bytes.Repeat([]byte{0x5c}, tt.size)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			k, err := LoadKeyFile(path)
			if tt.ok {
				if err != nil || !bytes.Equal(k, content) {
					t.Fatalf("LoadKeyFile = %v", err)
				}
				return
			}
			var kfe *KeyFileError
			if !errors.As(err, &kfe) {
				t.Fatalf("LoadKeyFile = %v, want *KeyFileError", err)
			}
			if strings.Contains(err.Error(), "5c5c") || strings.Contains(err.Error(), "\\\\") {
				t.Fatalf("error shows key bytes: %v", err)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		var kfe *KeyFileError
		if _, err := LoadKeyFile(filepath.Join(dir, "nope")); !errors.As(err, &kfe) || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("LoadKeyFile = %v", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		var kfe *KeyFileError
		if _, err := LoadKeyFile(dir); !errors.As(err, &kfe) {
			t.Fatalf("LoadKeyFile = %v", err)
		}
	})
}

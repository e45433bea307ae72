package staging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseManifest feeds arbitrary bytes to the strict parser: it must not
// panic, and whatever it accepts must survive a serialize-parse round trip
// unchanged (the MAC is computed over that serialization).
func FuzzParseManifest(f *testing.F) {
	dir, kek := f.TempDir(), newKEK(f)
	writeImage(f, dir, "disk", kek, "", testDisk(f))
	valid := readFile(f, manifestPath(dir, "disk"))
	f.Add(valid)
	f.Add(bytes.Replace(valid, []byte(`"xts-aes-128"`), []byte(`"xts-aes-256"`), 1))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"migrate-staging/1","extents":[[0,512]],"chunkMacs":[[0,"00"]]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		a, err := m.macInput()
		if err != nil {
			t.Fatal(err)
		}
		full, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseManifest(full)
		if err != nil {
			t.Fatalf("re-serialized manifest rejected: %v", err)
		}
		b, err := m2.macInput()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("MAC input changed across a round trip:\n%s\n%s", a, b)
		}
	})
}

// TestParseManifestHugeExtent: a forged extent spanning an enormous disk is
// refused without enumerating its chunks.
func TestParseManifestHugeExtent(t *testing.T) {
	m := `{"format":"migrate-staging/1","cipher":"xts-aes-128","sectorSize":512,"virtualSize":4611686018427387904,` +
		`"extents":[[0,4611686018427387904]],"key":{"wrap":"A256GCM","kekSha256":"` + hex64 + `","nonce":"AAAAAAAAAAAAAAAA",` +
		`"wrapped":"` + wrapped48 + `"},"contentSha256":"` + hex64 + `","chunkSize":4194304,"chunkMacs":[[0,"` + hex64 + `"]],"mac":"` + hex64 + `"}`
	if _, err := ParseManifest([]byte(m)); err == nil || !strings.Contains(err.Error(), "chunkMacs lacks the chunk at 4194304") {
		t.Fatalf("ParseManifest = %v, want the missing second chunk", err)
	}
}

const (
	hex64     = "0000000000000000000000000000000000000000000000000000000000000000"
	wrapped48 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)

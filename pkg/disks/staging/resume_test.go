package staging

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

func TestResume(t *testing.T) {
	ctx := context.Background()
	dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
	chunks := chunksOfDisk(plain)

	// First run: two chunks, then an interruption (Close without Finish).
	s1, err := Create(ctx, dir, "disk", kek, CipherXTS256, testSize)
	if err != nil {
		t.Fatal(err)
	}
	writeChunks(t, s1, chunks[:2])
	// The copier syncs before it records chunks in a checkpoint.
	state, recs := checkpointOf(t, s1, chunks[:2])
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(manifestPath(dir, "disk")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an interrupted copy left a manifest: %v", err)
	}

	// A different key file cannot resume it.
	wrong, err := Create(ctx, dir, "disk", newKEK(t), CipherXTS256, testSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumeSink(ctx, wrong, state, recs); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Restore with another KEK = %v, want ErrWrongKey", err)
	}
	wrong.Close()

	// Second run: Restore, the rest, Finish.
	s2, err := Create(ctx, dir, "disk", kek, CipherXTS256, testSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumeSink(ctx, s2, state, recs); err != nil {
		t.Fatal(err)
	}
	writeChunks(t, s2, chunks[2:])
	if err := s2.Finish(ctx, summaryOf(plain)); err != nil {
		t.Fatal(err)
	}
	s2.Close()

	// The result is what a one-shot copy produces: every MAC recomputes
	// independently, the disk decrypts with stdlib primitives, and Open
	// verifies it.
	got, dataKey := thirdParty(t, dir, "disk", kek)
	if !bytes.Equal(got, plain) {
		t.Fatal("resumed image decrypts to something else")
	}
	src, err := Open(ctx, dir, "disk", kek)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	for _, secret := range secretsOf(kek, dataKey) {
		if strings.Contains(string(state), secret) {
			t.Fatal("State carries key material in the clear")
		}
	}
}

func TestResumeMisuse(t *testing.T) {
	ctx := context.Background()
	dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
	chunks := chunksOfDisk(plain)
	s1, err := Create(ctx, dir, "disk", kek, "", testSize)
	if err != nil {
		t.Fatal(err)
	}
	writeChunks(t, s1, chunks[:1])
	state, recs := checkpointOf(t, s1, chunks[:1])
	s1.Close()

	tests := []struct {
		name  string
		size  int64
		ciph  string
		state []byte
		pre   func(*Sink)
	}{
		{"other size", testSize + disks.ChunkSize, "", state, nil},
		{"other cipher", testSize, CipherXTS256, state, nil},
		{"garbage", testSize, "", []byte(`{"format":"x"}`), nil},
		{"after a write", testSize, "", state, func(s *Sink) { writeChunks(t, s, chunks[3:]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dir
			if tt.pre != nil {
				d = t.TempDir()
			}
			s, err := Create(ctx, d, "disk", kek, tt.ciph, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tt.pre != nil {
				tt.pre(s)
			}
			if err := resumeSink(ctx, s, tt.state, recs); err == nil {
				t.Fatal("Restore succeeded")
			}
		})
	}
}

func TestFinishChecks(t *testing.T) {
	ctx := context.Background()
	plain := testDisk(t)
	chunks := chunksOfDisk(plain)
	tests := []struct {
		name   string
		chunks []*disks.Chunk
		sum    func(disks.Summary) disks.Summary
	}{
		{"chunk missing", chunks[1:], nil},
		{"size differs", chunks, func(s disks.Summary) disks.Summary { s.Size += 512; return s }},
		{"extent unaligned", chunks, func(s disks.Summary) disks.Summary {
			s.Extents = append([]disks.Extent{{Off: 0, Len: 100}}, s.Extents[1:]...)
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Create(ctx, t.TempDir(), "disk", newKEK(t), "", testSize)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			writeChunks(t, s, tt.chunks)
			sum := summaryOf(plain)
			if tt.sum != nil {
				sum = tt.sum(sum)
			}
			if err := s.Finish(ctx, sum); err == nil {
				t.Fatal("Finish succeeded")
			}
		})
	}
	t.Run("bad chunks", func(t *testing.T) {
		s, err := Create(ctx, t.TempDir(), "disk", newKEK(t), "", testSize)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, c := range []*disks.Chunk{
			{Off: 512, Data: make([]byte, 512)},
			{Off: 0, Data: make([]byte, disks.ChunkSize+512)},
			{Off: 3 * disks.ChunkSize, Data: make([]byte, 2<<20)},
			{Off: 0, Data: make([]byte, 4096), Extents: []disks.Extent{{Off: 100, Len: 512}}},
			{Off: 0, Data: make([]byte, 4096), Extents: []disks.Extent{{Off: 3584, Len: 1024}}},
			{Off: 0, Data: make([]byte, 4096), Extents: []disks.Extent{{Off: 1024, Len: 512}, {Off: 512, Len: 512}}},
		} {
			if err := s.WriteChunk(ctx, c); err == nil {
				t.Errorf("WriteChunk(off %d, %d bytes, %v) succeeded", c.Off, len(c.Data), c.Extents)
			}
		}
	})
}

// secretsOf spells keys the ways a leak would show them.
func secretsOf(keys ...[]byte) []string {
	var out []string
	for _, k := range keys {
		out = append(out, hex.EncodeToString(k), strings.ToUpper(hex.EncodeToString(k)),
			base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k),
			fmt.Sprintf("%v", k), fmt.Sprintf("%q", k), string(k))
		// A prefix is enough to leak; 8 bytes is far beyond chance.
		out = append(out, hex.EncodeToString(k[:8]), base64.StdEncoding.EncodeToString(k[:9]))
	}
	return out
}

func TestNoKeyMaterialInErrors(t *testing.T) {
	ctx := context.Background()
	dir, kek, plain := t.TempDir(), newKEK(t), testDisk(t)
	writeImage(t, dir, "disk", kek, "", plain)
	_, dataKey := thirdParty(t, dir, "disk", kek)
	other := newKEK(t)

	var errs []error
	collect := func(err error) {
		if err == nil {
			t.Fatal("expected an error")
		}
		errs = append(errs, err)
	}
	_, err := Open(ctx, dir, "disk", other)
	collect(err)
	_, err = Open(ctx, dir, "disk", kek[:31])
	collect(err)
	s, err := Create(ctx, t.TempDir(), "disk", kek, "", testSize)
	if err != nil {
		t.Fatal(err)
	}
	state, _ := s.State()
	s.Close()
	s2, err := Create(ctx, t.TempDir(), "disk", other, "", testSize)
	if err != nil {
		t.Fatal(err)
	}
	collect(resumeSink(ctx, s2, state, nil))
	s2.Close()
	// Tampered image.
	img := readFile(t, imgPath(dir, "disk"))
	img[10] ^= 1
	if err := os.WriteFile(imgPath(dir, "disk"), img, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := Open(ctx, dir, "disk", kek)
	if err != nil {
		t.Fatal(err)
	}
	collect(src.Verify(ctx))
	src.Close()
	// Key files holding the key bytes, refused for size and mode.
	kf := dir + "/key"
	os.WriteFile(kf, append(cloneBytes(kek), 0), 0o600)
	_, err = LoadKeyFile(kf)
	collect(err)
	os.Chmod(kf, 0o644)
	os.WriteFile(kf, kek, 0o644)
	_, err = LoadKeyFile(kf)
	collect(err)

	for _, err := range errs {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			msg := fmt.Sprintf(format, err)
			for _, secret := range secretsOf(kek, dataKey) {
				if strings.Contains(msg, secret) {
					t.Fatalf("error %q (format %s) contains key material", msg, format)
				}
			}
		}
	}
}

func cloneBytes(b []byte) []byte { return append([]byte(nil), b...) }

package xts

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	mrand "math/rand/v2"
	"testing"

	refxts "golang.org/x/crypto/xts"
)

func reference(t testing.TB, key []byte) *refxts.Cipher {
	t.Helper()
	r, err := refxts.NewCipher(aes.NewCipher, key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// refSectors runs x/crypto/xts one sector at a time, the way dm-crypt and
// a third-party decryptor would.
func refSectors(r *refxts.Cipher, dst, src []byte, first uint64, decrypt bool) {
	for off := 0; off < len(src); off += SectorSize {
		n := first + uint64(off/SectorSize)
		if decrypt {
			r.Decrypt(dst[off:off+SectorSize], src[off:off+SectorSize], n)
		} else {
			r.Encrypt(dst[off:off+SectorSize], src[off:off+SectorSize], n)
		}
	}
}

func TestMatchesReference(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	sectorsAt := []uint64{0, 1, 255, 1 << 31, 1<<32 - 1, 1 << 32, 1<<40 + 12345, 1<<63 - 3, ^uint64(0) - 40}
	for impl, asm := range implementations() {
		for _, keyLen := range []int{32, 64} {
			for i := 0; i < 60; i++ {
				key := make([]byte, keyLen)
				rand.Read(key)
				c, err := newCipher(key, asm)
				if err != nil {
					t.Fatal(err)
				}
				ref := reference(t, key)
				first := rng.Uint64()
				if i < len(sectorsAt) {
					first = sectorsAt[i]
				}
				n := 1 + rng.IntN(40)
				plain := make([]byte, n*SectorSize)
				rand.Read(plain)
				want := make([]byte, len(plain))
				refSectors(ref, want, plain, first, false)

				got := make([]byte, len(plain))
				c.EncryptSectors(got, plain, first)
				if !bytes.Equal(got, want) {
					t.Fatalf("%s AES-%d sector %d: encrypt differs from x/crypto/xts", impl, keyLen*4, first)
				}
				back := make([]byte, len(plain))
				c.DecryptSectors(back, got, first)
				if !bytes.Equal(back, plain) {
					t.Fatalf("%s AES-%d sector %d: decrypt does not invert", impl, keyLen*4, first)
				}
				// In place, and the parallel helpers.
				inplace := append([]byte(nil), plain...)
				c.EncryptSectorsParallel(inplace, inplace, first)
				if !bytes.Equal(inplace, want) {
					t.Fatalf("%s: parallel in-place encrypt differs", impl)
				}
				c.DecryptSectorsParallel(inplace, inplace, first)
				if !bytes.Equal(inplace, plain) {
					t.Fatalf("%s: parallel in-place decrypt differs", impl)
				}
			}
		}
	}
}

// TestParallelLarge covers the split across goroutines, which only happens
// for buffers of several parallelMin pieces.
func TestParallelLarge(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, 1<<20+3*SectorSize)
	rand.Read(plain)
	want := make([]byte, len(plain))
	refSectors(reference(t, key), want, plain, 1<<33, false)
	got := make([]byte, len(plain))
	c.EncryptSectorsParallel(got, plain, 1<<33)
	if !bytes.Equal(got, want) {
		t.Fatal("parallel encrypt differs from x/crypto/xts")
	}
	c.DecryptSectorsParallel(got, got, 1<<33)
	if !bytes.Equal(got, plain) {
		t.Fatal("parallel decrypt does not invert")
	}
}

func TestNewErrors(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 48, 63, 65} {
		if _, err := New(make([]byte, n)); !errors.Is(err, ErrKeySize) {
			t.Errorf("New(%d bytes) = %v, want ErrKeySize", n, err)
		}
	}
}

func TestPanics(t *testing.T) {
	c, err := New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dst, src int
	}{
		{"partial sector", 600, 600},
		{"short dst", 512, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.EncryptSectors(make([]byte, tt.dst), make([]byte, tt.src), 0)
		})
	}
}

// FuzzMatchesReference compares both code paths with x/crypto/xts on
// arbitrary keys, sector numbers and data.
func FuzzMatchesReference(f *testing.F) {
	f.Add(make([]byte, 32), uint64(0), make([]byte, 512), false)
	f.Add(bytes.Repeat([]byte{0xa5}, 64), uint64(1<<32), bytes.Repeat([]byte{1, 2, 3}, 400), true)
	f.Fuzz(func(t *testing.T, key []byte, sector uint64, data []byte, long bool) {
		if long {
			key = append(append([]byte(nil), key...), make([]byte, 64)...)[:64]
		} else {
			key = append(append([]byte(nil), key...), make([]byte, 32)...)[:32]
		}
		data = data[:len(data)/SectorSize*SectorSize]
		if len(data) == 0 {
			data = make([]byte, SectorSize)
			binary.LittleEndian.PutUint64(data, sector)
		}
		want := make([]byte, len(data))
		refSectors(reference(t, key), want, data, sector, false)
		for impl, asm := range implementations() {
			c, err := newCipher(key, asm)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(data))
			c.EncryptSectors(got, data, sector)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: encrypt differs", impl)
			}
			c.DecryptSectors(got, got, sector)
			if !bytes.Equal(got, data) {
				t.Fatalf("%s: decrypt does not invert", impl)
			}
		}
	})
}

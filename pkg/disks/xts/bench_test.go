package xts

import (
	"crypto/rand"
	"strconv"
	"testing"
)

// Benchmarks: this package against x/crypto/xts, 512 B (one sector) and
// 4 MiB (one copier chunk), single goroutine and b.RunParallel.
//
//	go test -run '^$' -bench . -benchtime 2s ./pkg/disks/xts/
func BenchmarkEncrypt(b *testing.B) { bench(b, false) }

func BenchmarkDecrypt(b *testing.B) { bench(b, true) }

func bench(b *testing.B, decrypt bool) {
	key := make([]byte, 32)
	rand.Read(key)
	c, err := New(key)
	if err != nil {
		b.Fatal(err)
	}
	ref := reference(b, key)
	impls := []struct {
		name string
		run  func(dst, src []byte, n uint64)
	}{
		{"xts", func(dst, src []byte, n uint64) {
			if decrypt {
				c.DecryptSectors(dst, src, n)
			} else {
				c.EncryptSectors(dst, src, n)
			}
		}},
		{"xcrypto", func(dst, src []byte, n uint64) { refSectors(ref, dst, src, n, decrypt) }},
	}
	for _, size := range []int{512, 4 << 20} {
		for _, impl := range impls {
			name := impl.name + "/" + strconv.Itoa(size)
			b.Run(name+"/serial", func(b *testing.B) {
				src, dst := make([]byte, size), make([]byte, size)
				b.SetBytes(int64(size))
				for i := 0; b.Loop(); i++ {
					impl.run(dst, src, uint64(i))
				}
			})
			b.Run(name+"/parallel", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.RunParallel(func(pb *testing.PB) {
					src, dst := make([]byte, size), make([]byte, size)
					for i := uint64(0); pb.Next(); i++ {
						impl.run(dst, src, i)
					}
				})
			})
		}
	}
}

// TestNoAllocPerSector: once the scratch pool is warm, en- and decrypting
// allocates nothing, in the assembly and the portable path alike.
func TestNoAllocPerSector(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	key := make([]byte, 32)
	rand.Read(key)
	for _, asm := range []bool{false, hasAsm()} {
		c, err := newCipher(key, asm)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64*SectorSize)
		c.EncryptSectors(buf, buf, 0)
		if n := testing.AllocsPerRun(20, func() {
			c.EncryptSectors(buf, buf, 7)
			c.DecryptSectors(buf, buf, 7)
		}); n != 0 {
			t.Errorf("asm=%v: %v allocations per call", asm, n)
		}
	}
}

package vhd

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// smallVHD builds a small dynamic VHD with data as a fuzz seed.
func smallVHD(f *testing.F, blockSize int64) []byte {
	p := filepath.Join(f.TempDir(), "seed.vhd")
	w, err := CreateDynamic(p, 64<<10, DynamicOptions{BlockSize: blockSize})
	if err != nil {
		f.Fatal(err)
	}
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte(i)
	}
	if _, err := w.WriteAt(data, 4096); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzOpen feeds arbitrary bytes to the parser: it must not panic, and
// whatever it accepts must read without error within its size. Memory is
// bounded because every table is checked to lie inside the file first.
func FuzzOpen(f *testing.F) {
	f.Add(smallVHD(f, 4096))
	f.Add(smallVHD(f, 512))
	// A small fixed disk: large seeds make the fuzzer crawl.
	fixed := make([]byte, 4096)
	fixed[700] = 1
	f.Add(append(fixed, buildFooter(TypeFixed, 4096, noDataOffset, UUID{1}, time.Now())...))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.vhd")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := Open(p)
		if err != nil {
			return
		}
		defer d.Close()
		ext, err := d.Allocated(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64<<10)
		for _, e := range ext[:min(len(ext), 4)] {
			n := min(e.Len, int64(len(buf)))
			if err := d.ReadAt(t.Context(), buf[:n], e.Off); err != nil {
				t.Fatalf("read accepted disk at %d: %v", e.Off, err)
			}
		}
		if _, err := d.Info(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

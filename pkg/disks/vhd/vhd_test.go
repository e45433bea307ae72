package vhd

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

const mib = 1 << 20

func TestOpenMatchesQemu(t *testing.T) {
	tests := []struct {
		name, subformat, size string
		io                    []string
		allocated             int64
	}{
		{"dynamic empty", "dynamic", "64M", nil, 0},
		{"dynamic with data", "dynamic", "64M", []string{"write -P 0xab 1M 3M", "write -P 0xcd 20M 512", "write -P 0x01 63M 1M"}, 4 * 2 * mib},
		{"dynamic with a zero write", "dynamic", "32M", []string{"write -P 0 4M 2M", "write -P 0x11 10M 4k"}, 2 * 2 * mib},
		{"fixed", "fixed", "16M", []string{"write -P 0x5a 3M 1M"}, 16 * mib},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := qemuVHD(t, t.TempDir(), "d.vhd", tc.subformat, tc.size, tc.io...)
			d, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			want := qemuRaw(t, p)
			sameBytes(t, "ReadAt", readAll(t, d), want)
			info, err := d.Info(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if info.AllocatedBytes != tc.allocated || info.VirtualSize != int64(len(want)) {
				t.Errorf("info %+v: want %d allocated of %d", info, tc.allocated, len(want))
			}
			// Copy to raw and to a fixed VHD, compare both with qemu.
			dir := t.TempDir()
			raw, err := disks.CreateRaw(filepath.Join(dir, "out.raw"), d.Size())
			if err != nil {
				t.Fatal(err)
			}
			sum, err := disks.Copy(t.Context(), d, raw, disks.CopyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			raw.Close()
			got, _ := os.ReadFile(filepath.Join(dir, "out.raw"))
			sameBytes(t, "raw copy", got, want)
			fx, err := CreateFixed(filepath.Join(dir, "out.vhd"), d.Size())
			if err != nil {
				t.Fatal(err)
			}
			sum2, err := disks.Copy(t.Context(), d, fx, disks.CopyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fx.Close()
			sameBytes(t, "fixed VHD copy read by qemu", qemuRaw(t, filepath.Join(dir, "out.vhd")), want)
			if sum.ContentSHA256 != sum2.ContentSHA256 {
				t.Error("content hash differs between two copies")
			}
			back, err := Open(filepath.Join(dir, "out.vhd"))
			if err != nil {
				t.Fatalf("our fixed VHD does not open: %v", err)
			}
			back.Close()
		})
	}
}

func TestDifferencingChain(t *testing.T) {
	dir := t.TempDir()
	base := qemuVHD(t, dir, "base.vhd", "dynamic", "16M", "write -P 0xaa 0 6M", "write -P 0xbb 12M 1M")
	want := qemuRaw(t, base)
	write := func(w *DynamicWriter, b byte, off, n int64) {
		p := make([]byte, n)
		for i := range p {
			p[i] = b
		}
		if _, err := w.WriteAt(p, off); err != nil {
			t.Fatal(err)
		}
		copy(want[off:], p)
	}
	mid, err := CreateDynamic(filepath.Join(dir, "mid.vhd"), 16*mib, DynamicOptions{Parent: base, BlockSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	write(mid, 0x11, 512, 1024)      // inside a parent block, partial sectors of a child block
	write(mid, 0x22, 8*mib, 128<<10) // where the parent has nothing
	if err := mid.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = CreateDynamic(filepath.Join(dir, "sub", "top.vhd"), 16*mib, DynamicOptions{Parent: filepath.Join(dir, "mid.vhd")})
	if err == nil {
		t.Fatal("created a VHD in a missing directory")
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	top, err := CreateDynamic(filepath.Join(dir, "sub", "top.vhd"), 16*mib, DynamicOptions{Parent: filepath.Join(dir, "mid.vhd")})
	if err != nil {
		t.Fatal(err)
	}
	write(top, 0x33, 1024, 512)
	write(top, 0x00, 12*mib+4096, 4096) // zeros over parent data
	if err := top.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := Open(filepath.Join(dir, "sub", "top.vhd"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sameBytes(t, "chain read", readAll(t, d), want)
	ext, err := d.Allocated(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantExt := []disks.Extent{{Off: 0, Len: 6 * mib}, {Off: 8 * mib, Len: 128 << 10}, {Off: 12 * mib, Len: 2 * mib}}
	if !slices.Equal(ext, wantExt) {
		t.Errorf("allocated %v, want %v", ext, wantExt)
	}
	info, err := d.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != TypeDifferencing || info.Parent == nil || info.Parent.Parent == nil || info.Parent.Parent.Type != TypeDynamic {
		t.Errorf("chain info %+v", info)
	}
	// The relative locator still works when the chain moves as a whole.
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	d2, err := Open(filepath.Join(moved, "sub", "top.vhd"))
	if err != nil {
		t.Fatalf("chain moved as a whole: %v", err)
	}
	d2.Close()
}

func TestFixedSinkRejectsOddSize(t *testing.T) {
	_, err := CreateFixed(filepath.Join(t.TempDir(), "x.vhd"), mib+512)
	if !errors.Is(err, ErrSizeNotMiB) {
		t.Fatalf("got %v, want ErrSizeNotMiB", err)
	}
}

// corrupt copies a good VHD, applies a change, and returns the new path.
func corrupt(t *testing.T, good string, change func(b []byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bad.vhd")
	if err := os.WriteFile(p, change(b), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fixHeaderChecksum(b []byte) {
	h := b[512 : 512+HeaderSize]
	binary.BigEndian.PutUint32(h[offHeaderChecksum:], checksum(h, offHeaderChecksum))
}

func TestCorruptVHDs(t *testing.T) {
	dir := t.TempDir()
	good := qemuVHD(t, dir, "good.vhd", "dynamic", "16M", "write -P 0xab 1M 3M")
	st, _ := os.Stat(good)
	size := st.Size()
	const hdr, table = 512, 1536 // where qemu puts the header and the BAT
	tests := []struct {
		name   string
		change func([]byte) []byte
		field  string
		offset int64
	}{
		{"bad footer cookie", func(b []byte) []byte { b[size-512] = 'X'; return b }, "footer.cookie", size - 512},
		{"bad footer checksum", func(b []byte) []byte { b[size-512+100]++; return b }, "footer.checksum", size - 512 + 64},
		{"footer copy differs", func(b []byte) []byte {
			b[100]++
			binary.BigEndian.PutUint32(b[64:], checksum(b[:512], 64))
			return b
		}, "footer copy", 0},
		{"bad header cookie", func(b []byte) []byte { b[hdr] = 'X'; return b }, "header.cookie", hdr},
		{"bad header checksum", func(b []byte) []byte { b[hdr+900]++; return b }, "header.checksum", hdr + 36},
		{"block size not a power of two", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[hdr+32:], 3*mib)
			fixHeaderChecksum(b)
			return b
		}, "header.blockSize", hdr + 32},
		{"table too small", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[hdr+28:], 2)
			fixHeaderChecksum(b)
			return b
		}, "header.maxTableEntries", hdr + 28},
		{"BAT entry outside the file", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[table:], 0x00FFFFFF)
			return b
		}, "bat[0]", table},
		{"BAT entry over the header", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[table:], 1)
			return b
		}, "bat[0]", table},
		{"BAT entries overlap", func(b []byte) []byte {
			copy(b[table+4:table+8], b[table:table+4])
			copy(b[table:table+4], b[table+4*2:table+4*2+4]) // block 2 is allocated (1M..4M spans blocks 0,1)
			binary.BigEndian.PutUint32(b[table+4:], binary.BigEndian.Uint32(b[table:])+1)
			return b
		}, "bat[1]", table + 4},
		{"truncated file", func(b []byte) []byte { return b[:size-mib] }, "footer.cookie", size - mib - 512},
		{"shorter than a footer", func(b []byte) []byte { return b[:100] }, "footer", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := corrupt(t, good, tc.change)
			d, err := Open(p)
			if err == nil {
				d.Close()
				t.Fatal("opened")
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got %T %v, want *FormatError", err, err)
			}
			if fe.Field != tc.field || fe.Offset != tc.offset || fe.Path != p {
				t.Errorf("got field %q offset %d path %q (%v), want %q at %d", fe.Field, fe.Offset, fe.Path, err, tc.field, tc.offset)
			}
		})
	}
}

func TestParentMismatch(t *testing.T) {
	dir := t.TempDir()
	base := qemuVHD(t, dir, "base.vhd", "dynamic", "8M", "write -P 1 0 1M")
	w, err := CreateDynamic(filepath.Join(dir, "child.vhd"), 8*mib, DynamicOptions{Parent: base})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	// Replace the parent with another disk of the same size.
	os.Remove(base)
	qemuVHD(t, dir, "base.vhd", "dynamic", "8M")
	_, err = Open(filepath.Join(dir, "child.vhd"))
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Field != "header.parentUniqueId" || fe.Offset != 512+40 {
		t.Fatalf("got %v, want a parentUniqueId FormatError at 552", err)
	}
	os.Remove(base)
	_, err = Open(filepath.Join(dir, "child.vhd"))
	if !errors.As(err, &fe) || fe.Field != "header.parentLocator" {
		t.Fatalf("missing parent: got %v", err)
	}
}

func TestChainDepthLimit(t *testing.T) {
	dir := t.TempDir()
	prev := filepath.Join(dir, "d0.vhd")
	w, err := CreateDynamic(prev, mib, DynamicOptions{BlockSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	for i := 1; i <= MaxChainDepth; i++ {
		p := filepath.Join(dir, "d"+string(rune('a'+i))+".vhd")
		w, err := CreateDynamic(p, mib, DynamicOptions{Parent: prev, BlockSize: 4096})
		if i < MaxChainDepth && err != nil {
			t.Fatal(err)
		}
		if i == MaxChainDepth {
			// The writer opens the parent, which is already at the limit.
			if err == nil {
				w.Close()
				_, err = Open(p)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Field != "header.parentUniqueId" {
				t.Fatalf("chain of %d: got %v, want a depth FormatError", i+1, err)
			}
			return
		}
		w.Close()
		prev = p
	}
}

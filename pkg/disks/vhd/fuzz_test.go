package vhd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// memFile is a VHD held in memory, so that the fuzz target does no file
// system work per input.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// Where assemble puts the parts: the layout CreateDynamic writes.
const (
	fuzzHeaderAt = FooterSize
	fuzzBATAt    = FooterSize + HeaderSize
	fuzzDataAt   = fuzzBATAt + 512
)

// assemble builds a VHD file from its parts, each zero padded: the footer
// (512 bytes, also copied at offset 0 unless header and bat are empty, a
// fixed disk's layout), the dynamic header (1024), the table (whole
// sectors) and the data area (whole sectors, at least 2 KiB).
func assemble(footer, header, bat, data []byte) []byte {
	pad := func(b []byte, n int) []byte {
		out := make([]byte, n)
		copy(out, b)
		return out
	}
	ft := pad(footer, FooterSize)
	var f []byte
	if len(header) > 0 || len(bat) > 0 {
		f = append(f, ft...)
		f = append(f, pad(header, HeaderSize)...)
		f = append(f, pad(bat, int(max(roundUp(int64(len(bat)), 512), 512)))...)
	}
	f = append(f, pad(data, int(max(roundUp(int64(len(data)), 512), 2048)))...)
	return append(f, ft...)
}

// split is assemble's inverse for seeds: each part with its trailing
// zeros trimmed, so that the fuzzer's inputs stay small.
func split(file []byte, dynamic bool) (footer, header, bat, data []byte) {
	trim := func(b []byte) []byte { return bytes.TrimRight(b, "\x00") }
	footer = trim(file[len(file)-FooterSize:])
	if !dynamic {
		return footer, nil, nil, trim(file[:len(file)-FooterSize])
	}
	return footer, trim(file[fuzzHeaderAt:fuzzBATAt]), trim(file[fuzzBATAt:fuzzDataAt]), trim(file[fuzzDataAt : len(file)-FooterSize])
}

// FuzzOpen feeds arbitrary footers, headers, tables and data to the parser:
// it must not panic, and whatever it accepts must read without error within
// its size. Memory is bounded because every table is checked to lie inside
// the file first.
//
// Why the input is in parts, padded, and parsed from memory: the fuzzer
// minimizes every new interesting input before it reports, for up to
// -fuzzminimizetime (60s by default), with a step that costs about n²
// executions for an n-byte input; the exec counter does not move
// meanwhile. A whole VHD is at least 2.5 KiB (millions of executions), so
// raw-file inputs looked like a stall after a few execs. Parts with their
// trailing zeros trimmed are tens of bytes, and an exec costs microseconds
// (no temporary file). The path lies in a folder that does not exist, so a
// differencing input's parent is only found through an absolute locator.
func FuzzOpen(f *testing.F) {
	fo, h, bat, data := split(smallVHD(f), true)
	f.Add(fo, h, bat, data)
	fixed := make([]byte, 2048)
	fixed[700] = 1
	fo, h, bat, data = split(append(fixed, buildFooter(TypeFixed, 2048, noDataOffset, UUID{1}, time.Now())...), false)
	f.Add(fo, h, bat, data)
	f.Fuzz(func(t *testing.T, footer, header, bat, data []byte) {
		if len(header) > HeaderSize || len(bat) > 64<<10 || len(data) > 64<<10 {
			return // larger parts add nothing but time
		}
		b := assemble(footer, header, bat, data)
		d, err := openFrom("/nonexistent-fuzz-dir/f.vhd", memFile{bytes.NewReader(b)}, nil, int64(len(b)), nil)
		if err != nil {
			return
		}
		defer d.Close()
		ctx := context.Background()
		ext, err := d.Allocated(ctx)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64<<10)
		for _, e := range ext[:min(len(ext), 4)] {
			n := min(e.Len, int64(len(buf)))
			if err := d.ReadAt(ctx, buf[:n], e.Off); err != nil {
				t.Fatalf("read accepted disk at %d: %v", e.Off, err)
			}
		}
		if _, err := d.Info(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAssembleSplit checks that the seeds survive split and assemble: a
// seed the parser rejects would fuzz nothing useful.
func TestAssembleSplit(t *testing.T) {
	for _, dynamic := range []bool{true, false} {
		var file []byte
		if dynamic {
			file = smallVHD(t)
		} else {
			file = append(make([]byte, 2048), buildFooter(TypeFixed, 2048, noDataOffset, UUID{1}, time.Now())...)
			file[700] = 1
		}
		b := assemble(split(file, dynamic))
		if _, err := openFrom("seed.vhd", memFile{bytes.NewReader(b)}, nil, int64(len(b)), nil); err != nil {
			t.Errorf("dynamic=%v: seed rejected: %v", dynamic, err)
		}
	}
}

// smallVHD builds a small dynamic VHD with data as a fuzz seed: 4 KiB in
// 512-byte blocks, one of them allocated.
func smallVHD(tb testing.TB) []byte {
	p := filepath.Join(tb.TempDir(), "seed.vhd")
	w, err := CreateDynamic(p, 4<<10, DynamicOptions{BlockSize: 512})
	if err != nil {
		tb.Fatal(err)
	}
	data := make([]byte, 512)
	for i := range data {
		data[i] = byte(i)
	}
	if _, err := w.WriteAt(data, 1024); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

package disks

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

const mib = 1 << 20

// pattern builds a disk of size bytes with the given byte ranges filled with
// pseudo-random non-zero data.
func pattern(size int64, ranges ...Extent) []byte {
	d := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), 7))
	for _, e := range ranges {
		for i := e.Off; i < e.Off+e.Len; i++ {
			d[i] = byte(r.IntN(255) + 1)
		}
	}
	return d
}

func diskCases() []struct {
	name  string
	data  []byte
	alloc []Extent
} {
	alternating := make([]byte, 8*mib)
	for i := 0; i < len(alternating); i += 2 * SectorSize {
		alternating[i] = 1
	}
	return []struct {
		name  string
		data  []byte
		alloc []Extent
	}{
		{"empty disk", make([]byte, 16*mib), nil},
		{"all data", pattern(16*mib, Extent{0, 16 * mib}), nil},
		{"long run over many chunks", pattern(64*mib, Extent{3 * SectorSize, 50 * mib}), nil},
		{"run ends on a chunk boundary", pattern(16*mib, Extent{mib, 7 * mib}), nil},
		{"run starts on a chunk boundary", pattern(16*mib, Extent{4 * mib, 5 * mib}), nil},
		{"alternating sectors", alternating, nil},
		{"odd size and partial sector", pattern(5*mib+700, Extent{4*mib - 512, mib + 700}), nil},
		{"sparse allocation", pattern(40*mib, Extent{2 * mib, 10 * mib}, Extent{20 * mib, 512}), []Extent{{0, 12 * mib}, {20 * mib, 2 * mib}}},
		{"allocated runs adjoin across an unallocated gap", pattern(32*mib, Extent{0, 8 * mib}, Extent{16 * mib, 8 * mib}), []Extent{{0, 8 * mib}, {16 * mib, 8 * mib}}},
	}
}

func TestCopyMatchesReference(t *testing.T) {
	for _, tc := range diskCases() {
		for _, workers := range []int{1, 3} {
			t.Run(tc.name, func(t *testing.T) {
				src := &memSource{data: tc.data, alloc: tc.alloc}
				dst := newMemSink(src.Size())
				var p Progress
				sum, err := Copy(t.Context(), src, dst, CopyOptions{Workers: workers, Progress: &p})
				if err != nil {
					t.Fatal(err)
				}
				ext, h := reference(tc.data)
				if !bytes.Equal(dst.data, tc.data) {
					t.Error("destination differs from source")
				}
				if !slices.Equal(sum.Extents, ext) {
					t.Errorf("extents %v, want %v", sum.Extents, ext)
				}
				if sum.ContentSHA256 != h {
					t.Errorf("content hash %x, want %x", sum.ContentSHA256, h)
				}
				if dst.finished == nil || dst.finished.ContentSHA256 != h {
					t.Error("Finish not called with the summary")
				}
				if p.Done() != p.Total() {
					t.Errorf("progress %d of %d", p.Done(), p.Total())
				}
			})
		}
	}
}

// The hash must not depend on what the source says is allocated.
func TestContentHashIndependentOfAllocation(t *testing.T) {
	data := pattern(24*mib, Extent{mib, 9 * mib}, Extent{15 * mib, 3000})
	a, err := Copy(t.Context(), &memSource{data: data}, newMemSink(24*mib), CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Copy(t.Context(), &memSource{data: data, alloc: []Extent{{mib, 9 * mib}, {12 * mib, 8 * mib}}}, newMemSink(24*mib), CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentSHA256 != b.ContentSHA256 {
		t.Error("hash depends on the allocated ranges")
	}
}

func TestCopyOnlyReadsAllocated(t *testing.T) {
	data := pattern(256*mib, Extent{100 * mib, mib})
	src := &memSource{data: data, alloc: []Extent{{100 * mib, 2 * mib}}}
	if _, err := Copy(t.Context(), src, newMemSink(256*mib), CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := src.reads.Load(); got != 2*mib {
		t.Errorf("read %d bytes, want %d", got, 2*mib)
	}
}

func TestResumeAfterCancel(t *testing.T) {
	for _, tc := range diskCases() {
		t.Run(tc.name, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "copy.checkpoint")
			src := &memSource{data: tc.data, alloc: tc.alloc}
			dst := newMemSink(src.Size())
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			dst.failAfter, dst.cancel = 2, cancel
			_, err := Copy(ctx, src, dst, CopyOptions{Workers: 2, Checkpoint: cp})
			if err == nil {
				t.Skip("copy finished before the interruption (too few chunks with data)")
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted copy: %v", err)
			}
			saved, err := loadCheckpoint(cp)
			if err != nil {
				t.Fatal(err)
			}
			doneBefore := map[int64]bool{}
			for _, r := range saved.Done {
				for i := r[0]; i < r[1]; i++ {
					doneBefore[i*ChunkSize] = true
				}
			}
			for off := range doneBefore {
				if dst.chunks[off] == 0 && !allZero(tc.data, off) {
					t.Errorf("checkpoint says chunk %d is done but it was never written", off)
				}
			}
			dst.failAfter = 0
			before := map[int64]int{}
			for k, v := range dst.chunks {
				before[k] = v
			}
			var p Progress
			sum, err := Copy(t.Context(), src, dst, CopyOptions{Workers: 2, Checkpoint: cp, Resume: true, Progress: &p})
			if err != nil {
				t.Fatal(err)
			}
			for off, n := range dst.chunks {
				if n > before[off] && doneBefore[off] {
					t.Errorf("chunk %d was done before the interruption but written again", off)
				}
			}
			if !bytes.Equal(dst.data, tc.data) {
				t.Error("destination differs after resume")
			}
			_, h := reference(tc.data)
			if sum.ContentSHA256 != h {
				t.Error("content hash differs after resume")
			}
			if p.Done() != p.Total() {
				t.Errorf("progress %d of %d", p.Done(), p.Total())
			}
			if _, err := loadCheckpoint(cp); !errors.Is(err, ErrNoCheckpoint) {
				t.Errorf("checkpoint left after success: %v", err)
			}
		})
	}
}

func allZero(data []byte, off int64) bool {
	end := min(off+ChunkSize, int64(len(data)))
	return bytes.Count(data[off:end], []byte{0}) == int(end-off)
}

func TestResumeRejectsOtherSource(t *testing.T) {
	cp := filepath.Join(t.TempDir(), "cp")
	data := pattern(16*mib, Extent{0, 16 * mib})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	dst := newMemSink(16 * mib)
	dst.failAfter, dst.cancel = 1, cancel
	if _, err := Copy(ctx, &memSource{data: data}, dst, CopyOptions{Workers: 1, Checkpoint: cp}); err == nil {
		t.Fatal("copy was not interrupted")
	}
	_, err := Copy(t.Context(), &memSource{data: make([]byte, 8*mib)}, newMemSink(8*mib), CopyOptions{Checkpoint: cp, Resume: true})
	if !errors.Is(err, ErrCheckpointMismatch) {
		t.Fatalf("got %v, want ErrCheckpointMismatch", err)
	}
	_, err = Copy(t.Context(), &memSource{data: data}, newMemSink(16*mib), CopyOptions{Checkpoint: filepath.Join(t.TempDir(), "none"), Resume: true})
	if !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("got %v, want ErrNoCheckpoint", err)
	}
}

func TestNormalizeRejectsBadAllocated(t *testing.T) {
	for _, alloc := range [][]Extent{
		{{0, 0}},
		{{1024, 512}, {0, 512}},
		{{0, 1024}, {512, 512}},
		{{0, 4096}},
	} {
		if _, err := normalize(alloc, 2048); err == nil {
			t.Errorf("%v accepted", alloc)
		}
	}
}

func TestBitsetRanges(t *testing.T) {
	b := newBitset(200)
	for _, i := range []int64{0, 1, 2, 63, 64, 65, 130, 199} {
		b.set(i)
	}
	want := [][2]int64{{0, 3}, {63, 66}, {130, 131}, {199, 200}}
	if got := b.ranges(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

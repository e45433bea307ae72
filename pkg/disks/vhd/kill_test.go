package vhd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
)

// killWorkerEnv, when set, makes the test binary the copying worker of
// TestKillAndResume instead of running tests: its value is the JSON of a
// killWorker.
const killWorkerEnv = "VHD_TEST_KILL_WORKER"

// killWorker is what the re-executed test binary copies.
type killWorker struct {
	Src, Dst, Checkpoint, KeyFile string
	Bandwidth                     int64
}

func TestMain(m *testing.M) {
	if w := os.Getenv(killWorkerEnv); w != "" {
		if err := runKillWorker(w); err != nil {
			fmt.Fprintln(os.Stderr, "kill worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runKillWorker copies as `migrate disks copy` would, slowly, until killed.
func runKillWorker(spec string) error {
	var w killWorker
	if err := json.Unmarshal([]byte(spec), &w); err != nil {
		return err
	}
	ctx := context.Background()
	src, err := Open(w.Src)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openKillSink(ctx, w, src.Size(), false)
	if err != nil {
		return err
	}
	defer dst.Close()
	_, err = disks.Copy(ctx, src, dst, disks.CopyOptions{Workers: 2, Checkpoint: w.Checkpoint, MaxBandwidth: w.Bandwidth})
	return err
}

func openKillSink(ctx context.Context, w killWorker, size int64, resume bool) (disks.Sink, error) {
	if w.KeyFile != "" {
		kek, err := staging.LoadKeyFile(w.KeyFile)
		if err != nil {
			return nil, err
		}
		return staging.Create(ctx, filepath.Dir(w.Dst), filepath.Base(w.Dst), kek, "", size)
	}
	if resume {
		return disks.ReopenRaw(w.Dst, size)
	}
	return disks.CreateRaw(w.Dst, size)
}

// countingSink records which chunks a resumed copy sends.
type countingSink struct {
	disks.Sink
	mu   sync.Mutex
	sent map[int64]int
}

func (s *countingSink) WriteChunk(ctx context.Context, c *disks.Chunk) error {
	s.mu.Lock()
	s.sent[c.Off]++
	s.mu.Unlock()
	return s.Sink.WriteChunk(ctx, c)
}

// Sync and the Resumable methods pass through: the copier finds them by
// type assertion, so the wrapper must keep them.
func (s *countingSink) Sync(ctx context.Context) error {
	if y, ok := s.Sink.(disks.Syncer); ok {
		return y.Sync(ctx)
	}
	return nil
}

func (s *countingSink) State() ([]byte, error) {
	if r, ok := s.Sink.(disks.Resumable); ok {
		return r.State()
	}
	return nil, nil
}

func (s *countingSink) Restore(ctx context.Context, st []byte) error {
	return s.Sink.(disks.Resumable).Restore(ctx, st)
}

// ChunkState and RestoreChunks pass the staging sink's chunk MACs through.
func (s *countingSink) ChunkState(off int64) ([]byte, error) {
	if r, ok := s.Sink.(disks.ChunkResumable); ok {
		return r.ChunkState(off)
	}
	return nil, nil
}

func (s *countingSink) RestoreChunks(chunks map[int64][]byte) error {
	if r, ok := s.Sink.(disks.ChunkResumable); ok {
		return r.RestoreChunks(chunks)
	}
	return nil
}

// doneChunks reads the chunk offsets a checkpoint records as done: the
// records after its header line, {"c": index, ...}, one per line; a line
// being appended while we read is skipped.
func doneChunks(t *testing.T, path string) map[int64]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	done := map[int64]bool{}
	lines := bytes.Split(b, []byte("\n"))
	for _, line := range lines[min(1, len(lines)):] {
		var rec struct {
			Chunk *int64 `json:"c"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Chunk == nil || *rec.Chunk < 0 {
			continue
		}
		done[*rec.Chunk*disks.ChunkSize] = true
	}
	return done
}

// TestKillAndResume runs a copy in a separate process, SIGKILLs it once its
// checkpoint records a few chunks, resumes it here and checks that the
// result is qemu-img's conversion byte for byte and that no chunk the
// checkpoint recorded was sent again.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary and copies for seconds")
	}
	dir := t.TempDir()
	// 48 MiB of data over 12 chunks, with a zero-filled allocated block
	// and unallocated gaps between.
	src := qemuVHD(t, dir, "src.vhd", "dynamic", "64M",
		"write -P 0xab 0 20M", "write -P 0 22M 2M", "write -P 0xcd 26M 9M", "write -P 0x5e 40M 19M")
	want := qemuRaw(t, src)
	for _, kind := range []string{"raw", "staging"} {
		t.Run(kind, func(t *testing.T) {
			w := killWorker{Src: src, Bandwidth: 8 << 20}
			out := t.TempDir()
			if kind == "raw" {
				w.Dst = filepath.Join(out, "dst.raw")
			} else {
				w.Dst = filepath.Join(out, "disk")
				w.KeyFile = filepath.Join(out, "kek")
				kek := make([]byte, 32)
				rand.Read(kek)
				if err := os.WriteFile(w.KeyFile, kek, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			w.Checkpoint = filepath.Join(out, "copy.checkpoint")
			killMidCopy(t, w, 3)
			done := doneChunks(t, w.Checkpoint)
			if len(done) < 3 {
				t.Fatalf("checkpoint at the kill records %d chunks, want >= 3", len(done))
			}

			d, err := Open(src)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			sink, err := openKillSink(t.Context(), w, d.Size(), true)
			if err != nil {
				t.Fatal(err)
			}
			cs := &countingSink{Sink: sink, sent: map[int64]int{}}
			sum, err := disks.Copy(t.Context(), d, cs, disks.CopyOptions{Workers: 2, Checkpoint: w.Checkpoint, Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			for off := range cs.sent {
				if done[off] {
					t.Errorf("chunk at %d was done before the kill but sent again", off)
				}
			}
			if len(cs.sent) == 0 {
				t.Error("the resumed copy sent nothing: the kill came after the end")
			}
			got := w.Dst
			if kind == "staging" {
				got = decryptTo(t, w, filepath.Join(out, "plain.raw"))
			}
			b, err := os.ReadFile(got)
			if err != nil {
				t.Fatal(err)
			}
			sameBytes(t, "resumed copy", b, want)
			// The content hash of the resumed copy is the one an
			// uninterrupted copy of qemu's conversion gives.
			raw, err := disks.OpenRaw(got)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			ref, err := disks.Copy(t.Context(), raw, discard{}, disks.CopyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ref.ContentSHA256 != sum.ContentSHA256 {
				t.Errorf("resumed content hash %x, uninterrupted %x", sum.ContentSHA256, ref.ContentSHA256)
			}
		})
	}
}

// killMidCopy starts the worker, waits until its checkpoint records at
// least n chunks, SIGKILLs it and reaps it.
func killMidCopy(t *testing.T, w killWorker, n int) {
	t.Helper()
	spec, _ := json.Marshal(w)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killWorkerEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Not a timing assertion: a generous bound so a broken worker fails
	// the test instead of hanging it.
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("worker exited before the kill: %v", err)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("worker's checkpoint never recorded enough chunks")
		case <-time.After(10 * time.Millisecond):
		}
		if _, err := os.Stat(w.Checkpoint); err != nil {
			continue
		}
		if len(doneChunks(t, w.Checkpoint)) >= n {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
}

// decryptTo verifies and decrypts the staging image w.Dst into path.
func decryptTo(t *testing.T, w killWorker, path string) string {
	t.Helper()
	kek, err := staging.LoadKeyFile(w.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := staging.Open(t.Context(), filepath.Dir(w.Dst), filepath.Base(w.Dst), kek)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
	dst, err := disks.CreateRaw(path, s.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	sum, err := disks.Copy(t.Context(), s, dst, disks.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := staging.VerifyContent(s.Manifest(), sum); err != nil {
		t.Fatal(err)
	}
	return path
}

// discard is a Sink that keeps nothing, for tests that only want the
// content hash.
type discard struct{}

func (discard) WriteChunk(context.Context, *disks.Chunk) error { return nil }
func (discard) Finish(context.Context, disks.Summary) error    { return nil }
func (discard) Close() error                                   { return nil }

package cli

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDisksCopyFirstInterrupt runs `migrate disks copy` in its own process
// (the test binary, through testscript's $PATH), slowed by a rate cap,
// signals it once the first chunk is checkpointed, and checks that it
// exits 4 printing, on its own last line, the exact command that continues
// it; that command then finishes the copy (issue 13 item 2). Nothing is
// timed: the context only bounds the test if the process never ends.
func TestDisksCopyFirstInterrupt(t *testing.T) {
	if _, err := exec.LookPath("migrate"); err != nil {
		t.Skipf("migrate not in $PATH (run through go test): %v", err)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			data := make([]byte, 8<<20)
			r := rand.NewChaCha8([32]byte{1})
			_, _ = r.Read(data)
			if err := os.WriteFile(filepath.Join(dir, "src.raw"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			args := []string{"disks", "copy", "src.raw", "dst.raw", "--max-bandwidth", "2MiB", "--workers", "2"}
			cmd := exec.CommandContext(ctx, "migrate", args...)
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			checkpoint := filepath.Join(dir, "dst.raw.checkpoint")
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				if _, err := os.Stat(checkpoint); err == nil {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("no checkpoint appeared; stderr:\n%s", stderr.String())
				case <-tick.C:
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
				t.Fatalf("exit %v, want %d; stdout:\n%s\nstderr:\n%s", err, ExitInterrupted, stdout.String(), stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			want := "migrate disks copy src.raw dst.raw --max-bandwidth 2MiB --workers 2 --resume"
			if got := lines[len(lines)-1]; got != want {
				t.Fatalf("last line of stderr %q, want %q; stderr:\n%s", got, want, stderr.String())
			}
			if strings.Contains(stderr.String(), "context canceled") && !strings.Contains(stderr.String(), "copy interrupted") {
				t.Errorf("a bare context error: %s", stderr.String())
			}
			if _, err := os.Stat(checkpoint); err != nil {
				t.Fatalf("the checkpoint is gone after the interrupt: %v", err)
			}
			t.Logf("stderr of the interrupted copy:\n%s", stderr.String())
			// The printed command, exactly, finishes the copy.
			words := strings.Fields(want)
			again := exec.CommandContext(ctx, words[0], words[1:]...)
			again.Dir = dir
			if out, err := again.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", want, err, out)
			}
			got, err := os.ReadFile(filepath.Join(dir, "dst.raw"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Error("the resumed copy differs from the source")
			}
		})
	}
}

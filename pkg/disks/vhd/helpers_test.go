package vhd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// needTool finds a command for a test: missing, it fails the test when
// CI=true (CI installs it) and skips it otherwise.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (Debian package qemu-utils): %v", name, err)
		}
		t.Skipf("%s not installed (Debian package qemu-utils)", name)
	}
	return p
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(needTool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// qemuVHD makes a VHD with qemu-img of the given subformat (fixed or
// dynamic) and size, then runs each qemu-io command on it (e.g.
// "write -P 0xab 1M 3M").
func qemuVHD(t testing.TB, dir, name, subformat, size string, ioCmds ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	run(t, "qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat="+subformat+",force_size=on", p, size)
	if len(ioCmds) > 0 {
		args := []string{"-f", "vpc"}
		for _, c := range ioCmds {
			args = append(args, "-c", c)
		}
		run(t, "qemu-io", append(args, p)...)
	}
	return p
}

// qemuRaw converts a VHD to raw with qemu-img and returns the bytes.
func qemuRaw(t testing.TB, vhdPath string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "qemu.raw")
	run(t, "qemu-img", "convert", "-f", "vpc", "-O", "raw", vhdPath, out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads the whole virtual disk through the Source interface.
func readAll(t testing.TB, s disks.Source) []byte {
	t.Helper()
	b := make([]byte, s.Size())
	if err := s.ReadAt(context.Background(), b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d bytes, want %d", what, len(got), len(want))
	}
	if !bytes.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: first difference at byte %d: %#x, want %#x", what, i, got[i], want[i])
			}
		}
	}
}

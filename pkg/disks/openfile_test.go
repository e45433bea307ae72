package disks

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg")
	if err := os.WriteFile(reg, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	defer l.Close()
	for _, tc := range []struct {
		path string
		kind string // "" means accepted
	}{
		{reg, ""},
		{dir, "a directory"},
		{fifo, "a FIFO"},
		{sock, "a socket"},
		{"/dev/null", "a character device"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			// A FIFO with no writer would block a plain open forever; the
			// test binary's -timeout bounds this test if it ever does.
			f, err := OpenRegular(tc.path, true)
			var nr *NotRegularError
			switch {
			case tc.kind == "" && err != nil:
				t.Fatalf("OpenRegular: %v", err)
			case tc.kind == "":
				f.Close()
			case !errors.As(err, &nr):
				t.Fatalf("OpenRegular = %v, want a NotRegularError", err)
			case nr.Kind != tc.kind:
				t.Errorf("kind %q, want %q", nr.Kind, tc.kind)
			}
			if tc.kind != "" {
				if err := CheckWritable(tc.path); err == nil {
					t.Errorf("CheckWritable accepted %s", tc.kind)
				}
			}
		})
	}
	if err := CheckWritable(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("CheckWritable of a missing file: %v", err)
	}
}

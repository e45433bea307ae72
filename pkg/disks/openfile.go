package disks

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError is a path that names a FIFO, a socket, a directory or a
// device where only a regular file (or, for a disk read, a block device)
// makes sense. It is bad input (exit 2); it is found without blocking, so a
// FIFO with no writer cannot hang the command.
type NotRegularError struct {
	Path string
	// Kind says what the path is instead: "a FIFO", "a directory", ...
	Kind string
}

// Error implements error.
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file (%s)", e.Path, e.Kind)
}

// OpenRegular opens path for reading and checks, before anything is read,
// that it is a regular file, or a block device when blockOK. The open never
// blocks: O_NONBLOCK makes opening a FIFO return at once (and is harmless
// on a regular file or a block device, whose reads it does not change), and
// the type is checked on the opened file, so nothing can be swapped in
// between. Anything else is a *NotRegularError.
func OpenRegular(path string, blockOK bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		// A socket cannot be opened at all (ENXIO): say what it is.
		if fi, serr := os.Stat(path); serr == nil {
			if kerr := checkKind(path, fi.Mode(), blockOK); kerr != nil {
				return nil, kerr
			}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close() // opened read only
		return nil, err
	}
	if err := checkKind(path, fi.Mode(), blockOK); err != nil {
		_ = f.Close() // opened read only
		return nil, err
	}
	return f, nil
}

// CheckWritable refuses (with a *NotRegularError) an existing path that is
// not a regular file, before a destination is opened for writing: a disk
// copy writes files it can size and fsync. A missing path is fine.
func CheckWritable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // missing, or the open that follows says why
	}
	return checkKind(path, fi.Mode(), false)
}

func checkKind(path string, m fs.FileMode, blockOK bool) error {
	switch {
	case m.IsRegular():
		return nil
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0 && blockOK:
		return nil
	}
	return &NotRegularError{Path: path, Kind: kindOf(m)}
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "type " + m.Type().String()
}

package staging

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// KEKSize is the size of the key-encryption key and of the key file.
const KEKSize = 32

// LoadKeyFile reads the key-encryption key: a regular file of exactly 32 raw
// bytes whose mode grants nothing beyond 0600. Any other file is a
// *KeyFileError (exit 2); no error includes the file's content.
func LoadKeyFile(path string) ([]byte, error) {
	// O_NONBLOCK: a FIFO opens at once (and is refused below as not a
	// regular file) instead of blocking until something writes to it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &KeyFileError{Path: path, Reason: "cannot open", Err: err}
	}
	defer func() { _ = f.Close() }() // read only
	fi, err := f.Stat()
	if err != nil {
		return nil, &KeyFileError{Path: path, Reason: "cannot stat", Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &KeyFileError{Path: path, Reason: "not a regular file"}
	}
	if perm := fi.Mode().Perm(); perm&^0o600 != 0 {
		return nil, &KeyFileError{Path: path, Reason: fmt.Sprintf("mode %#o is wider than 0600", perm)}
	}
	// Read one byte more than needed so a longer file is caught even if it
	// grew after Stat.
	buf := make([]byte, KEKSize+1)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, &KeyFileError{Path: path, Reason: "cannot read", Err: err}
	}
	if n != KEKSize {
		clear(buf)
		if n > KEKSize {
			return nil, &KeyFileError{Path: path, Reason: fmt.Sprintf("holds more than %d bytes, want exactly %d raw bytes", KEKSize, KEKSize)}
		}
		return nil, &KeyFileError{Path: path, Reason: fmt.Sprintf("holds %d bytes, want exactly %d raw bytes", n, KEKSize)}
	}
	return buf[:KEKSize:KEKSize], nil
}

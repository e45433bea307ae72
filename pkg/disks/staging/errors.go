package staging

import (
	"errors"
	"fmt"
)

// ErrWrongKey means the key file is not the one the image was written with:
// its SHA-256 differs from kekSha256, or the data key does not unwrap under
// it.
var ErrWrongKey = errors.New("staging: wrong key file for this image")

// ErrTampered is matched (errors.Is) by every integrity failure: a chunk MAC
// (*TamperError), the manifest MAC (ErrManifestMAC) and a content hash
// mismatch (ErrContentMismatch).
var ErrTampered = errors.New("staging: integrity check failed")

// ErrManifestMAC means the manifest's own MAC does not verify: it was edited.
var ErrManifestMAC = fmt.Errorf("manifest MAC mismatch: %w", ErrTampered)

// ErrContentMismatch means the plain disk read back does not hash to the
// manifest's contentSha256.
var ErrContentMismatch = fmt.Errorf("content SHA-256 differs from the manifest: %w", ErrTampered)

// ErrFormat is wrapped by every error about a manifest or state that is
// malformed or of an unsupported format, cipher or sector size.
var ErrFormat = errors.New("staging: bad manifest")

// TamperError names the chunk whose ciphertext does not match its MAC.
type TamperError struct {
	// ChunkOffset is the chunk's offset in the virtual disk.
	ChunkOffset int64
}

// Error implements error.
func (e *TamperError) Error() string {
	return fmt.Sprintf("staging: chunk at offset %d does not match its MAC: image modified or corrupt", e.ChunkOffset)
}

// Is makes errors.Is(err, ErrTampered) true.
func (e *TamperError) Is(target error) bool { return target == ErrTampered }

// KeyFileError is a key file that cannot be used: unreadable, not exactly 32
// bytes, or readable by group or others. It never carries key bytes.
type KeyFileError struct {
	Path   string
	Reason string
	// Err is the underlying I/O error, if any.
	Err error
}

// Error implements error.
func (e *KeyFileError) Error() string {
	return fmt.Sprintf("key file %s: %s", e.Path, e.Reason)
}

// Unwrap returns the underlying I/O error.
func (e *KeyFileError) Unwrap() error { return e.Err }

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

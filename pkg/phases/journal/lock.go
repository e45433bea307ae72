package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockFile is the holder record written next to journal.db.
const lockFile = "lock.json"

// Holder says who holds a state directory: written by the process that
// acquired the lock so that others can name it.
type Holder struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// ErrLocked is matched (errors.Is) by every *LockedError.
var ErrLocked = errors.New("state directory in use")

// LockedError means another process holds the state directory.
type LockedError struct {
	// Dir is the state directory as the caller named it.
	Dir string
	// Holder is what the holder wrote into lock.json; the zero value when
	// it could not be read (the holder has not written it yet).
	Holder Holder
}

// Error names the holder, e.g. "state directory .migrate is in use by
// migrate run (pid 1234 on host x) since 2026-11-22T01:02:03Z".
func (e *LockedError) Error() string {
	h := e.Holder
	if h.PID == 0 && h.Command == "" {
		return fmt.Sprintf("state directory %s is in use by another migrate process", e.Dir)
	}
	return fmt.Sprintf("state directory %s is in use by %s (pid %d on host %s) since %s",
		e.Dir, h.Command, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// writeHolder records h in dir/lock.json atomically (temp file + rename) so
// a reader never sees half a record.
func writeHolder(dir string, h Holder) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode lock holder: %w", err)
	}
	f, err := os.CreateTemp(dir, lockFile+".*")
	if err != nil {
		return fmt.Errorf("write lock holder: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write lock holder: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write lock holder: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write lock holder: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, lockFile)); err != nil {
		return fmt.Errorf("write lock holder: %w", err)
	}
	return nil
}

// readHolder reads dir/lock.json; a missing or unreadable file gives the
// zero Holder, because the lock itself, not this file, is the truth.
func readHolder(dir string) Holder {
	var h Holder
	b, err := os.ReadFile(filepath.Join(dir, lockFile))
	if err != nil {
		return Holder{}
	}
	if json.Unmarshal(b, &h) != nil {
		return Holder{}
	}
	return h
}

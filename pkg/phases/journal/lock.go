package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// lockFile is the holder record written next to journal.db.
const lockFile = "lock.json"

// LockName is the state directory's lock file: flocked by the one writer
// for as long as it holds the directory. It is never deleted (deleting a
// flocked file would let a second writer lock a new one).
const LockName = "lock"

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
	return fmt.Sprintf("state directory %s is in use by %s", e.Dir, h)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Holder says who holds a state directory: written by the process that
// acquired the lock so that others can name it.
type Holder struct {
	// Host and PID name the process; a PID is checked for life only on
	// the same host.
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Command is the migrate command that holds the directory, e.g.
	// "migrate run".
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// lockDir takes the state directory's lock file, waiting lockTimeout at
// most. flock locks belong to the open file, so a second Open in the same
// process is refused like another process.
func lockDir(dir string) (*flock.Flock, error) {
	lk := flock.New(filepath.Join(dir, LockName), flock.SetPermissions(0o600))
	deadline := time.Now().Add(lockTimeout)
	for {
		ok, err := lk.TryLock()
		if err != nil {
			return nil, fmt.Errorf("lock state directory %s: %w", dir, err)
		}
		if ok {
			return lk, nil
		}
		if time.Now().After(deadline) {
			return nil, &LockedError{Dir: dir, Holder: readHolder(dir)}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeHolder records h in dir/lock.json atomically so a reader never sees
// half a record.
func writeHolder(dir string, h Holder) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode lock holder: %w", err)
	}
	if err := renameio.WriteFile(filepath.Join(dir, lockFile), b, 0o600); err != nil {
		return fmt.Errorf("write lock holder: %w", err)
	}
	return nil
}

// Holder returns the writer holding the state directory as it recorded
// itself in lock.json, for a read-only journal to name; ok is false when
// no writer is recorded, or the one recorded on this host is not running
// (a kill -9 leaves lock.json behind). It takes no lock.
func (j *Journal) Holder() (h Holder, ok bool) {
	return HolderOf(j.dir)
}

// HolderOf is Holder for a state directory without opening its journal.
func HolderOf(dir string) (h Holder, ok bool) {
	h = readHolder(dir)
	if h.PID == 0 {
		return Holder{}, false
	}
	if host, _ := os.Hostname(); host == h.Host && h.PID != os.Getpid() {
		if err := syscall.Kill(h.PID, 0); errors.Is(err, syscall.ESRCH) {
			return Holder{}, false
		}
	}
	return h, true
}

// String names the holder, e.g. "migrate run (pid 1234 on host x) since
// 2026-11-22T01:02:03Z".
func (h Holder) String() string {
	return fmt.Sprintf("%s (pid %d on host %s) since %s", h.Command, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
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

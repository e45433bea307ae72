package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DamagedError means journal.db is not a consistent bbolt file (cut short,
// a page overwritten): nothing in it can be trusted, and nothing is sent
// on its word. The units' phases can be read back from the platform:
// `migrate status --rebuild` moves the damaged file aside and reconciles a
// new journal.
type DamagedError struct {
	// Path is the damaged file.
	Path string
	// Err is what the check found.
	Err error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("journal %s is damaged (%v): nothing was changed; `migrate status --rebuild` keeps it aside and rebuilds the journal from the platform's state of every unit", e.Path, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// errDamaged is what a bbolt panic on a damaged page becomes.
var errDamaged = errors.New("damaged page")

// openChecked opens a bbolt file and runs bbolt's own consistency check
// over it. bbolt panics (or asserts) on some damaged pages; the recover
// turns that into an error. A file cut short makes bbolt read past its end
// through the memory map, a SIGBUS the runtime turns into a panic only when
// the goroutine asked for it (debug.SetPanicOnFault); the check touches
// every page reachable before anything else does, so later reads meet
// only pages it has seen.
func openChecked(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				closeQuietly(db)
			}
			db, err = nil, &DamagedError{Path: path, Err: fmt.Errorf("%w: %v", errDamaged, r)}
		}
	}()
	if err := checkLength(path); err != nil {
		return nil, err
	}
	db, err = bolt.Open(path, 0o600, o)
	if err != nil {
		if isDamage(err) {
			return nil, &DamagedError{Path: path, Err: err}
		}
		return nil, err
	}
	if err := check(db); err != nil {
		_ = db.Close()
		return nil, &DamagedError{Path: path, Err: err}
	}
	return db, nil
}

// check runs bbolt's consistency check and reads every record through its
// decoder, recovering bbolt's panics.
func check(db *bolt.DB) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errDamaged, r)
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		var errs []string
		// Drained whole: Check's goroutine walks the pages and blocks on
		// its channel until read to the end (bbolt's Tx.Check contract).
		for e := range tx.Check() {
			if len(errs) < 3 {
				errs = append(errs, e.Error())
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%w: %s", errDamaged, strings.Join(errs, "; "))
		}
		return nil
	})
}

// The bbolt v1 meta page (go.etcd.io/bbolt internal/common/meta.go): after
// the 16-byte page header, magic at 16, page size at 24, the high-water
// page id at 56.
const (
	metaMagicOffset    = 16
	metaPageSizeOffset = 24
	metaPgidOffset     = 56
	boltMagic          = 0xED0CDAED
)

// checkLength refuses a file shorter than the pages its meta pages say are
// in use: cut short, whatever bbolt would make of it. The smaller of the
// two metas' claims is used, so a meta torn by a crash never makes a sound
// file look damaged. A file too short for its metas is left to bbolt.
func checkLength(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	head := make([]byte, 4096)
	if n, _ := f.ReadAt(head, 0); n < metaPgidOffset+8 || binary.LittleEndian.Uint32(head[metaMagicOffset:]) != boltMagic {
		return nil
	}
	ps := int64(binary.LittleEndian.Uint32(head[metaPageSizeOffset:]))
	if ps < 512 || ps > 64<<10 {
		return nil
	}
	second := make([]byte, metaPgidOffset+8)
	if n, _ := f.ReadAt(second, ps); n < len(second) || binary.LittleEndian.Uint32(second[metaMagicOffset:]) != boltMagic {
		return nil
	}
	hw := min(binary.LittleEndian.Uint64(head[metaPgidOffset:]), binary.LittleEndian.Uint64(second[metaPgidOffset:]))
	if hw > 0 && hw < 1<<40 && fi.Size() < int64(hw)*ps {
		return &DamagedError{Path: path, Err: fmt.Errorf("%w: cut short: %d bytes, its pages reach %d", errDamaged, fi.Size(), int64(hw)*ps)}
	}
	return nil
}

// closeQuietly closes a database found damaged; bbolt may panic on it too.
func closeQuietly(db *bolt.DB) {
	defer func() { _ = recover() }()
	_ = db.Close()
}

// isDamage reports whether bbolt's open error means a damaged file rather
// than one it could not reach: anything but the lock wait and the
// operating system refusing the file or the map (bbolt reports a file too
// short to hold its meta pages with an untyped error, so the test is by
// exclusion).
func isDamage(err error) bool {
	var pe *fs.PathError
	var se *os.SyscallError
	var errno syscall.Errno
	switch {
	case errors.Is(err, bolterrors.ErrTimeout), errors.As(err, &pe), errors.As(err, &se), errors.As(err, &errno):
		return false
	}
	return true
}

// ErrNotDamaged is returned by Rebuild for a journal that passes its
// checks: it may hold unfinished commands, so it is not replaced.
var ErrNotDamaged = errors.New("the journal is not damaged: nothing to rebuild")

// Rebuild takes the state directory's lock, moves a damaged journal.db
// aside (kept as journal.db.damaged-<UTC time>, returned as aside) and
// opens a new, empty journal for the caller to fill from the platform. A
// sound journal is ErrNotDamaged and stays; a missing one is simply
// created.
func Rebuild(stateDir string, holder Holder, now time.Time) (j *Journal, aside string, err error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create state directory: %w", err)
	}
	lk, err := lockDir(stateDir)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(stateDir, FileName)
	if _, statErr := os.Stat(path); statErr == nil {
		db, err := openChecked(path, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
		var de *DamagedError
		switch {
		case err == nil:
			_ = db.Close()
			_ = lk.Unlock()
			return nil, "", ErrNotDamaged
		case !errors.As(err, &de):
			_ = lk.Unlock()
			return nil, "", fmt.Errorf("rebuild journal: %w", err)
		}
		aside = path + ".damaged-" + now.UTC().Format("20060102T150405Z")
		if err := os.Rename(path, aside); err != nil {
			_ = lk.Unlock()
			return nil, "", fmt.Errorf("rebuild journal: keep the damaged one aside: %w", err)
		}
	}
	j, err = openLocked(stateDir, holder)
	if err != nil {
		_ = lk.Unlock()
		return nil, aside, err
	}
	j.lock = lk
	return j, aside, nil
}

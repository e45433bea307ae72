package journal

import (
	"errors"
	"fmt"
	"strings"

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
// turns that into an error. A fault on a page the kernel cannot map
// ("fatal error: fault") is avoided by the check reading the file through
// bbolt's page accounting before anything else touches it.
func openChecked(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				_ = db.Close()
			}
			db, err = nil, &DamagedError{Path: path, Err: fmt.Errorf("%w: %v", errDamaged, r)}
		}
	}()
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
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errDamaged, r)
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		var errs []string
		for e := range tx.Check() {
			errs = append(errs, e.Error())
			if len(errs) == 3 {
				break
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%w: %s", errDamaged, strings.Join(errs, "; "))
		}
		return nil
	})
}

// isDamage reports whether bbolt's open error means a damaged file rather
// than one it could not reach.
func isDamage(err error) bool {
	return errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) ||
		errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrInvalidMapping)
}

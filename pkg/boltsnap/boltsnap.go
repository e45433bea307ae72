package boltsnap

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The bbolt v1 meta page: a 16-byte page header, then magic, version,
// pageSize, flags (4 bytes each), the root bucket (16), freelist and pgid (8
// each), txid (8) and the checksum (8). See go.etcd.io/bbolt
// internal/common/meta.go and page.go. bbolt writes them in the machine's
// byte order; every platform the tool ships for is little-endian.
const (
	pageHeaderSize = 16
	magicOffset    = pageHeaderSize
	pageSizeOffset = pageHeaderSize + 8
	txidOffset     = pageHeaderSize + 48
	boltMagic      = 0xED0CDAED
	maxPageSize    = 64 << 10
	attempts       = 50
)

// ErrBusy means the writer committed during every attempt to copy the file.
var ErrBusy = errors.New("the file changed during every attempt to read it")

// Snapshot is an open, read-only copy of a bbolt file taken at one
// committed transaction.
type Snapshot struct {
	// DB is the copy, opened read-only.
	DB   *bolt.DB
	path string
}

// Close closes the copy and removes it.
func (s *Snapshot) Close() error {
	err := s.DB.Close()
	if rmErr := os.Remove(s.path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) && err == nil {
		err = rmErr
	}
	return err
}

// Open copies the bbolt file at path into a private temporary file (never
// beside the original: a reader changes nothing where it reads) and opens
// the copy read-only, retrying while a writer commits under it. It takes no
// lock on path and never writes to it, so it answers while another process
// holds the file for writing. A missing file is an error satisfying
// errors.Is(err, os.ErrNotExist). A file bbolt cannot open (damaged, not a
// bbolt file) is an error, never a panic.
func Open(ctx context.Context, path string) (*Snapshot, error) {
	wait := time.Millisecond
	for i := 0; i < attempts; i++ {
		s, ok, err := try(path)
		if err != nil || ok {
			return s, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("snapshot of %s: %w", path, ctx.Err())
		case <-t.C:
		}
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
	return nil, fmt.Errorf("snapshot of %s: %w", path, ErrBusy)
}

// try makes one attempt: ok is false when the writer committed meanwhile.
func try(path string) (s *Snapshot, ok bool, err error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	defer func() { _ = src.Close() }() // read-only: a close error loses nothing
	fi, err := src.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("snapshot of %s: not a regular file", path)
	}
	tmp, err := os.CreateTemp("", "migrate-snapshot-*.db")
	if err != nil {
		return nil, false, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	tmpPath := tmp.Name()
	discard := func(e error) (*Snapshot, bool, error) {
		_ = tmp.Close()
		_ = os.Remove(tmpPath)
		return nil, false, e
	}
	before, err := liveTxid(src)
	if err != nil {
		return discard(fmt.Errorf("snapshot of %s: %w", path, err))
	}
	if _, err := io.Copy(tmp, src); err != nil {
		return discard(fmt.Errorf("snapshot of %s: %w", path, err))
	}
	if err := tmp.Close(); err != nil {
		return discard(fmt.Errorf("snapshot of %s: %w", path, err))
	}
	db, txid, openErr := openCopy(tmpPath)
	after, err := liveTxid(src)
	if err != nil {
		if openErr == nil {
			_ = db.Close()
		}
		return discard(fmt.Errorf("snapshot of %s: %w", path, err))
	}
	if openErr != nil {
		_ = os.Remove(tmpPath)
		// A copy torn by a concurrent commit can fail to open; a file that
		// stayed still while it was copied is damaged.
		if after != before {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("snapshot of %s: %w", path, openErr)
	}
	if after > txid {
		_ = db.Close()
		_ = os.Remove(tmpPath)
		return nil, false, nil
	}
	return &Snapshot{DB: db, path: tmpPath}, true, nil
}

// openCopy opens the copy read-only and returns the transaction it opened
// at. bbolt panics on some damaged files; that is returned as an error.
func openCopy(path string) (db *bolt.DB, txid uint64, err error) {
	// A file cut short faults (SIGBUS) when bbolt reads past its end
	// through the memory map: a panic recovered below, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				_ = db.Close()
			}
			db, err = nil, fmt.Errorf("damaged bbolt file: %v", r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, 0, err
	}
	if err := db.View(func(tx *bolt.Tx) error {
		txid = uint64(tx.ID())
		return nil
	}); err != nil {
		_ = db.Close()
		return nil, 0, err
	}
	return db, txid, nil
}

// LastTxid is the highest transaction id either meta page of the bbolt
// file f claims, read without a lock and without bbolt (two preads, no
// mmap): a writer that holds the file's writers out by a lock of its own
// can tell from it, cheaply, whether anyone committed since it last
// looked, since every commit raises it. Checksums are not verified.
func LastTxid(f *os.File) (uint64, error) { return liveTxid(f) }

// liveTxid is the highest transaction id either meta page of f claims,
// checksums unchecked (a torn meta claims at most the id being written,
// which only makes the caller retry). It reads the two meta headers only
// (two small preads), so a caller may look often.
func liveTxid(f *os.File) (uint64, error) {
	var head [metaBytes]byte
	read := func(off int64) ([]byte, error) {
		n, err := f.ReadAt(head[:], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return head[:n], nil
	}
	buf, err := read(0)
	if err != nil {
		return 0, err
	}
	var best uint64
	if m, ok := meta(buf, 0); ok {
		best = m
	}
	// Page 1 sits at the page size that page 0 records; a torn page 0
	// still carries it unless its magic is gone too, and then the OS page
	// size is the usual one.
	pageSize := os.Getpagesize()
	if len(buf) >= pageSizeOffset+4 && binary.LittleEndian.Uint32(buf[magicOffset:]) == boltMagic {
		if ps := int(binary.LittleEndian.Uint32(buf[pageSizeOffset:])); ps > 0 && ps <= maxPageSize {
			pageSize = ps
		}
	}
	if buf, err = read(int64(pageSize)); err != nil {
		return 0, err
	}
	if m, ok := meta(buf, 0); ok && m > best {
		best = m
	}
	return best, nil
}

// metaBytes covers a meta page's header and fields up to its txid.
const metaBytes = txidOffset + 8

func meta(buf []byte, off int) (uint64, bool) {
	if len(buf) < off+txidOffset+8 || binary.LittleEndian.Uint32(buf[off+magicOffset:]) != boltMagic {
		return 0, false
	}
	return binary.LittleEndian.Uint64(buf[off+txidOffset:]), true
}

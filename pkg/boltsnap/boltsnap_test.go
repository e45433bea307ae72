package boltsnap

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("b")

// TestSnapshotWhileWriting takes snapshots while another handle (with its
// exclusive lock) commits transactions that keep two keys equal: every
// snapshot must open, pass bbolt's own check, and see them equal.
func TestSnapshotWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(n uint64) error {
		return db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucket)
			if err != nil {
				return err
			}
			v := binary.BigEndian.AppendUint64(nil, n)
			// Grow the tree so pages are freed and reused across commits.
			if err := b.Put(binary.BigEndian.AppendUint64([]byte("k"), n), make([]byte, 512)); err != nil {
				return err
			}
			if err := b.Put([]byte("a"), v); err != nil {
				return err
			}
			return b.Put([]byte("z"), v)
		})
	}
	if err := put(0); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := uint64(1); ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := put(n); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		s, err := Open(ctx, path)
		if errors.Is(err, ErrBusy) {
			continue // the writer never paused: allowed, never wrong
		}
		if err != nil {
			t.Fatalf("snapshot %d: %v", i, err)
		}
		if err := s.DB.View(func(tx *bolt.Tx) error {
			for e := range tx.Check() {
				return e
			}
			b := tx.Bucket(bucket)
			if a, z := b.Get([]byte("a")), b.Get([]byte("z")); string(a) != string(z) {
				t.Errorf("snapshot %d is torn: a=%x z=%x", i, a, z)
			}
			return nil
		}); err != nil {
			t.Fatalf("snapshot %d fails bbolt's check: %v", i, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSnapshotLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "j.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := s.path
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("the snapshot changed the file it read")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the snapshot left files beside the original: %v", entries)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy %s was not removed", tmp)
	}
}

func TestSnapshotRefusesDamage(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := Open(context.Background(), missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want os.ErrNotExist", err)
	}
	for name, data := range map[string][]byte{
		"empty":   {},
		"garbage": []byte("this is not a bbolt file, not even close to one, at all"),
		"zeros":   make([]byte, 16384),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("%s: opened a file that is not a bbolt file", name)
		} else if errors.Is(err, ErrBusy) {
			t.Errorf("%s: damage reported as busy: %v", name, err)
		}
	}
}

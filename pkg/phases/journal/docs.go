package journal

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Documents: a small key-value store beside the units, for steps that keep
// a richer per-item record than a phase (the disk step keeps one per VM:
// its definition before anything changed, the open intent, each disk's
// progress). Each write is one fsynced transaction, so a document is the
// write-ahead record of its item: what is in it survives a kill. Documents
// are JSON; the journal does not interpret them. They live in their own
// bucket, created on first write, so units, status and the log are
// untouched by them.

var bucketDocs = []byte("docs")

// PutDoc durably stores doc (JSON) under key, replacing what was there. It
// returns only after the transaction is on disk.
func (j *Journal) PutDoc(key string, doc []byte) error {
	if key == "" {
		return fmt.Errorf("journal put document: empty key")
	}
	if !json.Valid(doc) {
		return fmt.Errorf("journal put document %s: %w: not JSON", key, ErrBadRecord)
	}
	return j.update("document "+key, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDocs)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), bytes.Clone(doc))
	})
}

// Doc returns the document stored under key; ok is false if there is none.
func (j *Journal) Doc(key string) (doc []byte, ok bool, err error) {
	err = j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDocs)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(key)); v != nil {
			doc, ok = bytes.Clone(v), true
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("journal read document %s: %w", key, err)
	}
	return doc, ok, nil
}

// Docs returns every document whose key starts with prefix, by key.
func (j *Journal) Docs(prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDocs)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			out[string(k)] = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal read documents %s*: %w", prefix, err)
	}
	return out, nil
}

// DeleteDoc removes the document under key; a missing one is no error.
func (j *Journal) DeleteDoc(key string) error {
	return j.update("delete document "+key, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDocs)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
}

// Package store is the gateway's embedded, persistent storage: one bbolt file per role in
// the data directory, with JSON values. Writes are serialised by bbolt's single writer, so
// handlers can use it from concurrent requests; everything survives a restart.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DB is an open store.
type DB struct {
	bolt *bolt.DB
	path string
}

// Tx is a transaction; see View and Update.
type Tx = bolt.Tx

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = errors.New("not found")

// Option changes how OpenWith opens a store.
type Option func(*bolt.Options)

// NoSync writes every commit to the store's file without syncing it to disk (no fsync): what was
// written survives the process, and a restart in it, but not a crash of the machine. For tests
// and the conformance suite's embedded gateway only, never an installation.
func NoSync(o *bolt.Options) { o.NoSync, o.NoGrowSync = true, true }

// Open opens (creating it if needed) the store file name in dir, with the given buckets. A
// store another process holds is waited for up to lockTimeout, then a clear error, never a hang.
func Open(dir, name string, lockTimeout time.Duration, buckets ...string) (*DB, error) {
	return OpenWith(dir, name, lockTimeout, nil, buckets...)
}

// OpenWith is Open with options.
func OpenWith(dir, name string, lockTimeout time.Duration, opts []Option, buckets ...string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	bo := &bolt.Options{Timeout: lockTimeout}
	for _, o := range opts {
		o(bo)
	}
	b, err := bolt.Open(path, 0o600, bo)
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("store %s is in use by another process (is another keptn-gateway running on this data directory?)", path)
		}
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return &DB{bolt: b, path: path}, nil
}

// Close closes the store.
func (db *DB) Close() error { return db.bolt.Close() }

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(*Tx) error) error { return db.bolt.View(fn) }

// Update runs fn in a read-write transaction, committed when fn returns nil.
func (db *DB) Update(fn func(*Tx) error) error { return db.bolt.Update(fn) }

// Get decodes the JSON value of key in bucket into v; ErrNotFound when it is missing.
func Get(tx *Tx, bucket, key string, v any) error {
	b := tx.Bucket([]byte(bucket)).Get([]byte(key))
	if b == nil {
		return ErrNotFound
	}
	return json.Unmarshal(b, v)
}

// Put stores v as JSON under key in bucket.
func Put(tx *Tx, bucket, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket([]byte(bucket)).Put([]byte(key), b)
}

// Delete removes key from bucket (no error when it is missing).
func Delete(tx *Tx, bucket, key string) error {
	return tx.Bucket([]byte(bucket)).Delete([]byte(key))
}

// Exists reports whether key is in bucket.
func Exists(tx *Tx, bucket, key string) bool {
	return tx.Bucket([]byte(bucket)).Get([]byte(key)) != nil
}

// ForEachPrefix calls fn for every key in bucket that starts with prefix, in key order, with
// the raw JSON value. fn must not keep the value after it returns.
func ForEachPrefix(tx *Tx, bucket, prefix string, fn func(key string, value []byte) error) error {
	c := tx.Bucket([]byte(bucket)).Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		if err := fn(string(k), v); err != nil {
			return err
		}
	}
	return nil
}

// DeletePrefix removes every key in bucket that starts with prefix.
func DeletePrefix(tx *Tx, bucket, prefix string) error {
	var keys [][]byte
	c := tx.Bucket([]byte(bucket)).Cursor()
	p := []byte(prefix)
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	b := tx.Bucket([]byte(bucket))
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Append stores v under the bucket's next sequence number and returns that number; keys sort
// in insertion order.
func Append(tx *Tx, bucket string, v any) (uint64, error) {
	b := tx.Bucket([]byte(bucket))
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return seq, b.Put(SeqKey(seq), raw)
}

// SeqKey is the key Append uses for a sequence number.
func SeqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// ForEach calls fn for every key of bucket in key order.
func ForEach(tx *Tx, bucket string, fn func(key, value []byte) error) error {
	return tx.Bucket([]byte(bucket)).ForEach(fn)
}

func hasPrefix(k, p []byte) bool {
	return len(k) >= len(p) && string(k[:len(p)]) == string(p)
}

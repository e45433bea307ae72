// Package boltsnap reads a consistent snapshot of a bbolt file that another
// process may hold open for writing.
//
// bbolt takes an exclusive flock on its file for as long as a writer has it
// open, and a read-only Open waits for a shared one, so `migrate status`
// could not look at a journal while `migrate run` holds it, and `sim
// history` could not read the simulator's state during a run. A reader must
// never write (it must not even take a lock the writer could wait on), so
// instead it copies the file and opens the copy.
//
// Why a plain copy is consistent when the check below passes: bbolt writes a
// transaction's pages first, syncs, and only then writes its meta page (page
// 0 or 1, alternating by transaction id), copy-on-write throughout. The
// pages reachable from the meta of transaction T are only released by the
// commit of T+1 and can be overwritten from T+2 on, which cannot begin
// before T+1's meta is on disk. So if, after the copy, the live file's meta
// pages still show no transaction after T (T being the transaction the copy
// opens at), nothing the copy reaches was overwritten while it was read.
// Otherwise the copy is retried. The raw transaction ids are compared
// without their checksums, which can only make the check stricter.
//
// This package is written here rather than taken from a library because no
// kept library reads a live bbolt file without its lock; it depends only on
// bbolt's on-disk format (meta page layout, bbolt v1), which bbolt keeps
// stable across versions for compatibility.
package boltsnap

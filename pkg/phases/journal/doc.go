// Package journal is the durable write-ahead journal of a migration run and
// the lock that makes one process at a time its writer.
//
// It lives in <stateDir>/journal.db (bbolt, mode 0600). Before every driver
// call that changes anything, the caller commits an Intent; after the call,
// an Outcome. bbolt fsyncs every commit, so after a crash every intent
// without an outcome is exactly the set of calls whose effect is unknown:
// the phases package reconciles them by reading the platform's state before
// it sends anything.
//
// The journal stores phases as strings: the phase vocabulary and the state
// machine belong to package phases, the journal only keeps what it is told.
//
// One process at a time writes: it holds an flock on <stateDir>/lock (a
// separate file, never deleted) from before journal.db is opened until it
// closes, and names itself in lock.json. Deleting journal.db under it
// therefore lets no second writer in, and the writer stops at its next
// write when journal.db at the path is no longer the file it opened
// (ErrReplaced). Readers take no lock and never write: OpenReadOnly reads a
// consistent snapshot through package boltsnap, so status answers during a
// run. Every open runs bbolt's consistency check, with bbolt's panics
// recovered, so a damaged file is a *DamagedError, never a crash.
//
// Records are JSON values, so an operator can inspect them with bbolt tools
// and a newer build can add fields without a migration.
package journal

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
// Records are JSON values, so an operator can inspect them with bbolt tools
// and a newer build can add fields without a migration.
package journal

// Package phases moves migration units through the platform's phases:
// the per-unit state machine (which operation follows which phase), the
// parallel executor that walks the plan graph, reconciliation of the
// write-ahead journal with the platform after a crash, status and resume.
//
// The discipline that makes a crash at any instant safe:
//
//   - Before every driver call that changes anything (Prepare, Commit,
//     Abort) an intent is committed to the journal; after it, the outcome.
//   - Before any call is sent, a unit's platform State is read, and read
//     again before a call is sent again after a transient fault, a crash or
//     a cancelled call. The operation is sent only from a state the
//     platform accepts it in and that it has not reached yet, so Commit is
//     never sent to a committed unit; a unit in Preparing, Committing or
//     Aborting is polled until it leaves that state.
//   - The platform wins: a journal phase that disagrees with State is
//     corrected, never acted on. The one phase taken from the journal
//     without a read is Committed (recorded from an outcome or a read, no
//     intent open): Commit is irreversible, so it cannot go stale.
//
// The package never imports a progress bar or a command-line library:
// callers receive Events and a Result and render them.
package phases

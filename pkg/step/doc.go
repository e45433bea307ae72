// Package step is the one write-ahead engine of the tool. A step is a
// changing call (an operation) on a target with an intent record, a send,
// an outcome, and a read that reconciles:
//
//   - an intent left open by a stopped run is reconciled by reading the
//     platform before anything is sent;
//   - the intent is durably recorded before the call, its outcome after;
//   - a transient fault is waited out (its Retry-After honoured however
//     long, else retry's one jittered backoff) and the platform is READ
//     before the call is sent again: a changing call is never resent
//     blindly, since the faulted one may have taken effect;
//   - a call cut short by the context leaves its intent open for the next
//     run to reconcile;
//   - a permanent failure is recorded as the call's outcome.
//
// Where the records live is the caller's business (Record): the phases keep
// typed journal records, the disk step one JSON document per VM, and the
// engine does not care. Around every record the engine passes the same four
// boundaries (Boundary), where the crash tests kill the process; their
// number and order per attempt is part of the contract those tests count.
//
// Policy holds the option plumbing every journaled step shares (attempts,
// time scale, jitter, sleep, clock) and the read loop (retry.Do with the
// cloud's notion of a transient fault).
package step

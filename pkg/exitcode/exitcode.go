// Package exitcode is the one map from how a command ended to cli.md's exit
// codes, shared by the phases, the disk step and the command line, so that a
// command combining them (run --convert-disks, resume) ranks outcomes the
// way each of them does.
package exitcode

// Exit codes of cli.md.
const (
	// OK: everything asked was done.
	OK = 0
	// Failed: an operation failed; the rest went on where it could.
	Failed = 1
	// Usage: bad usage or input; nothing was changed.
	Usage = 2
	// Blocked: findings block some units (and those downstream); the rest
	// may have migrated.
	Blocked = 3
	// Interrupted: stopped with work half done; resume continues it.
	Interrupted = 4
)

// rank orders the outcomes a command can combine: an interrupted command
// must be resumed before anything else matters; a failure needs the
// operator more urgently than findings they already saw in validate.
// Usage never combines (it ends a command before anything changes) and
// ranks last but OK.
func rank(code int) int {
	switch code {
	case Interrupted:
		return 4
	case Failed:
		return 3
	case Blocked:
		return 2
	case OK:
		return 0
	}
	return 1
}

// Worst returns the code that decides a command made of several parts:
// Interrupted before Failed before Blocked before OK.
func Worst(codes ...int) int {
	out := OK
	for _, c := range codes {
		if rank(c) > rank(out) {
			out = c
		}
	}
	return out
}

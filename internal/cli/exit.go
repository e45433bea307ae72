package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
	"github.com/migrate-tool/migrate/pkg/exitcode"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/report"
)

// Exit codes (cli.md), from the one map in pkg/exitcode.
const (
	ExitOK          = exitcode.OK
	ExitFailed      = exitcode.Failed
	ExitBadInput    = exitcode.Usage
	ExitBlocked     = exitcode.Blocked
	ExitInterrupted = exitcode.Interrupted
)

// ExitError carries an exit code chosen by a command. Message, when set, is
// printed to stderr; an empty message means the command already said what
// happened.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// badInput marks err as bad usage or bad input (exit 2).
func badInput(err error) error { return &ExitError{Code: ExitBadInput, Err: err} }

// badInputf formats a bad-input error.
func badInputf(format string, a ...any) error { return badInput(fmt.Errorf(format, a...)) }

// exitCode maps an error returned by a command to the process exit code.
// It is the only place that decides exit codes.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var le *inventory.LoadError
	if errors.As(err, &le) {
		return ExitBadInput
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	if isInputError(err) {
		return ExitBadInput
	}
	return ExitFailed
}

// isInputError recognises the typed errors of the packages below that mean
// "the input is bad, nothing was changed".
func isInputError(err error) bool {
	var fe *vhd.FormatError
	var ke *staging.KeyFileError
	var ce *plan.CycleError
	var pe *azure.ProviderError
	var nr *disks.NotRegularError
	var le *vhd.LoopError
	switch {
	case errors.As(err, &fe), errors.As(err, &ke), errors.As(err, &ce), errors.As(err, &pe),
		errors.As(err, &nr), errors.As(err, &le):
		return true
	case errors.Is(err, staging.ErrWrongKey), errors.Is(err, staging.ErrFormat),
		errors.Is(err, vhd.ErrSizeNotMiB), errors.Is(err, disks.ErrBadRate),
		errors.Is(err, disks.ErrCheckpointMismatch), errors.Is(err, disks.ErrNoCheckpoint),
		errors.Is(err, report.ErrUnknownFormat), errors.Is(err, os.ErrNotExist):
		return true
	}
	return false
}

// keepCloseErr runs close (deferred) and, when the command had no error,
// makes close's its own: closing the journal or a driver is where the last
// write can fail.
func keepCloseErr(err *error, close func() error) {
	if cerr := close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

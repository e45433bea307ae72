package cli

import (
	"os"
	"strconv"
	"syscall"

	"github.com/migrate-tool/migrate/pkg/phases"
)

// crashHook returns the journal-boundary hook that the end-to-end crash
// tests use: with MIGRATE_TEST_KILL_AT_BOUNDARY=N the process kills itself
// with SIGKILL when it reaches its Nth journal boundary, exactly as an
// operator's kill -9 or a power cut would. For tests only; unset, it is nil.
//
// One count per process: a run that goes on to the disk step counts the
// phases' boundaries and the conversion's together.
func (a *app) crashHook() func(phases.Boundary, string, phases.Op) {
	n, err := strconv.ParseInt(a.io.Getenv("MIGRATE_TEST_KILL_AT_BOUNDARY"), 10, 64)
	if err != nil || n <= 0 {
		return nil
	}
	return func(phases.Boundary, string, phases.Op) {
		if a.boundaries.Add(1) == n {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way; never return
		}
	}
}

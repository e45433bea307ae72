package cli

import (
	"os"
	"strconv"
	"syscall"

	"github.com/migrate-tool/migrate/pkg/phases"
)

// crashHook returns the journal-boundary hook that the end-to-end crash
// and interrupt tests use. For tests only; with neither switch set it is
// nil.
//
// With MIGRATE_TEST_KILL_AT_BOUNDARY=N the process kills itself with
// SIGKILL when it reaches its Nth journal boundary, exactly as an
// operator's kill -9 or a power cut would.
//
// With MIGRATE_TEST_INTERRUPT_AT_BOUNDARY=N it sends itself one SIGINT at
// its Nth boundary and waits there until the signal handler has started
// draining, so "what started after the interrupt" is exact, not a matter of
// timing.
//
// One count per process: a run that goes on to the disk step counts the
// phases' boundaries and the conversion's together.
func (a *app) crashHook() func(phases.Boundary, string, phases.Op) {
	kill, err := strconv.ParseInt(a.io.Getenv("MIGRATE_TEST_KILL_AT_BOUNDARY"), 10, 64)
	if err != nil || kill <= 0 {
		kill = 0
	}
	intr, err := strconv.ParseInt(a.io.Getenv("MIGRATE_TEST_INTERRUPT_AT_BOUNDARY"), 10, 64)
	if err != nil || intr <= 0 {
		intr = 0
	}
	if kill == 0 && intr == 0 {
		return nil
	}
	return func(phases.Boundary, string, phases.Op) {
		n := a.boundaries.Add(1)
		if n == kill {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way; never return
		}
		if n == intr {
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			<-a.drain
		}
	}
}

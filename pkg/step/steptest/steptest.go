// Package steptest holds what the crash suites of the journaled steps
// share (for tests only): a test binary re-executed as one worker process
// that SIGKILLs itself at its Nth journal boundary, exactly as kill -9 or
// a power cut would, and the parent's view of how the worker ended.
package steptest

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
)

// The environment RunWorker gives the worker.
const (
	envDir    = "STEPTEST_WORKER_DIR"     // the worker's state directory
	envKillAt = "STEPTEST_WORKER_KILL_AT" // the boundary it dies at; 0: never
)

// Main runs worker instead of the tests when the binary was re-executed by
// RunWorker, and exits with its code; else it runs the tests. worker gets
// the state directory and a Killer for the boundary RunWorker named.
func Main(m *testing.M, worker func(dir string, kill *Killer) int) {
	if dir := os.Getenv(envDir); dir != "" {
		at, _ := strconv.Atoi(os.Getenv(envKillAt))
		os.Exit(worker(dir, NewKiller(at)))
	}
	os.Exit(m.Run())
}

// Killer counts journal boundaries and SIGKILLs the process at the Nth.
// Safe for concurrent use.
type Killer struct {
	at int64
	n  atomic.Int64
}

// NewKiller kills at the at-th boundary; at <= 0 never kills.
func NewKiller(at int) *Killer { return &Killer{at: int64(at)} }

// Hit counts one boundary; at the chosen one it does not return.
func (k *Killer) Hit() {
	if c := k.n.Add(1); k.at > 0 && c == k.at {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}

// Count is the boundaries counted so far.
func (k *Killer) Count() int64 { return k.n.Load() }

// RunWorker re-executes the test binary, running no test, as the worker
// Main starts on state directory dir, killing itself at boundary killAt
// (0: never), with env added to its environment. killed reports whether
// it died of SIGKILL; otherwise code is its exit code. err is set only
// when it could not be run or ended otherwise (another signal).
func RunWorker(dir string, killAt int, env ...string) (killed bool, code int, out []byte, err error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$") //nolint:gosec // the test binary itself, re-executed as a worker
	cmd.Env = append(os.Environ(), envDir+"="+dir, envKillAt+"="+strconv.Itoa(killAt))
	cmd.Env = append(cmd.Env, env...)
	out, err = cmd.CombinedOutput()
	if err == nil {
		return false, 0, out, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, 0, out, nil
		}
		if ee.ExitCode() >= 0 {
			return false, ee.ExitCode(), out, nil
		}
	}
	return false, 0, out, err
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/pkg/orchestrate"
)

func TestFinish(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        orchestrate.Outcome
		wantCode int
		wantMsg  string // "" : Main prints nothing
	}{
		{"done", orchestrate.Outcome{Status: orchestrate.Done}, ExitOK, ""},
		{"blocked units, already printed", orchestrate.Outcome{Status: orchestrate.Blocked}, ExitBlocked, ""},
		{"a step's code without message", orchestrate.Outcome{Status: orchestrate.Failed, Err: &ExitError{Code: ExitFailed}}, ExitFailed, ""},
		{"a refusal keeps its message", orchestrate.Outcome{Status: orchestrate.Refused, Err: badInputf("no such unit")}, ExitBadInput, "no such unit"},
		{"a wrapped error keeps its words", orchestrate.Outcome{Status: orchestrate.Failed, Err: fmt.Errorf("journal: %w", errors.New("disk full"))}, ExitFailed, "journal: disk full"},
		{"interrupted", orchestrate.Outcome{Status: orchestrate.Interrupted, Err: context.Canceled}, ExitInterrupted, "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := finish(tc.o)
			if got := exitCode(err); got != tc.wantCode {
				t.Errorf("exit code %d, want %d", got, tc.wantCode)
			}
			var ee *ExitError
			msg := ""
			if err != nil && (!errors.As(err, &ee) || ee.Err != nil) {
				msg = err.Error()
			}
			if msg != tc.wantMsg {
				t.Errorf("message %q, want %q", msg, tc.wantMsg)
			}
			if tc.o.Err != nil && errors.Is(tc.o.Err, context.Canceled) && !errors.Is(err, context.Canceled) {
				t.Errorf("%v: the interrupt is lost", err)
			}
		})
	}
}

func TestStatusOfIsTheExitMap(t *testing.T) {
	for _, s := range []orchestrate.Status{orchestrate.Refused, orchestrate.Blocked, orchestrate.Failed, orchestrate.Interrupted} {
		if got := statusOf(&ExitError{Code: codeOf(s)}); got != s {
			t.Errorf("statusOf(exit %d) = %s, want %s", codeOf(s), got, s)
		}
	}
	if got := statusOf(errors.New("boom")); got != orchestrate.Failed {
		t.Errorf("an untyped error is %s, want failed", got)
	}
}

package cli

import (
	"context"
	"io"
	"strings"
	"syscall"
	"testing"
)

// The second interrupt ends the process at once (here: calls exit with 4)
// and prints the command that continues; the first only drains.
func TestSecondInterruptExits(t *testing.T) {
	streams, _, errOut := TestStreams(nil)
	exited := make(chan int, 1)
	a := &app{io: streams, drain: make(chan struct{}), exit: func(code int) { exited <- code }, cfg: &Config{StateDir: "/srv/state"}}
	ctx, stop := a.handleInterrupts(context.Background())
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-a.drain
	if ctx.Err() != nil {
		t.Fatal("the first interrupt cancelled the context: it must only drain")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := <-exited; code != ExitInterrupted {
		t.Errorf("exit code %d, want %d", code, ExitInterrupted)
	}
	if ctx.Err() == nil {
		t.Error("the second interrupt left the context running")
	}
	if !strings.Contains(errOut.String(), "\nmigrate resume --state-dir /srv/state\n") {
		t.Errorf("stderr does not give the command that continues on its own line:\n%s", errOut)
	}
}

// An interrupt at the commit prompt cancels: exit 1, nothing confirmed.
func TestInterruptAtPromptCancels(t *testing.T) {
	streams, _, _ := TestStreams(nil)
	pr, pw := io.Pipe()
	defer pw.Close()
	streams.In, streams.InTTY = pr, true
	a := &app{io: streams, drain: make(chan struct{})}
	close(a.drain)
	err := a.askCommit(context.Background(), false, []string{"vnet/contoso-vnet"}, "")
	if code := exitCode(err); code != ExitFailed {
		t.Fatalf("exit %d (%v), want 1", code, err)
	}
	if !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("message %q does not say nothing changed", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/srv/state":    "/srv/state",
		"my state":      "'my state'",
		"it's":          `'it'\''s'`,
		"a;rm -rf /":    "'a;rm -rf /'",
		"./x/migrate.y": "./x/migrate.y",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// On a terminal the commit prompt lists the units it will commit before
// it asks, and goes on only on "yes".
func TestCommitPromptListsUnits(t *testing.T) {
	for _, tc := range []struct {
		answer string
		code   int
	}{{"yes\n", ExitOK}, {"no\n", ExitBadInput}} {
		streams, _, errOut := TestStreams(nil)
		streams.In, streams.InTTY = strings.NewReader(tc.answer), true
		a := &app{io: streams, drain: make(chan struct{})}
		err := a.askCommit(context.Background(), false, []string{"vnet/contoso-vnet", "storage/contosoprodstd"}, "")
		if code := exitCode(err); code != tc.code {
			t.Errorf("answer %q: exit %d (%v), want %d", tc.answer, code, err, tc.code)
		}
		for _, want := range []string{"Units to commit (2", "  vnet/contoso-vnet\n", "  storage/contosoprodstd\n", "Type yes to commit"} {
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("prompt lacks %q:\n%s", want, errOut)
			}
		}
	}
}

package cli

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams carries the process's standard streams: stdout for data,
// stderr for people.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InTTY and ErrTTY say whether stdin/stderr are terminals: prompts need
	// the first, progress bars and colour the second.
	InTTY  bool
	ErrTTY bool
	// Getenv reads the environment (injectable for tests).
	Getenv func(string) string
}

// System returns the process's real streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv,
	}
}

// TestStreams returns streams backed by buffers, for tests.
func TestStreams(env map[string]string) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{
		In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut,
		Getenv: func(k string) string { return env[k] },
	}, &out, &errOut
}

// Fancy reports whether stderr may show progress bars and colour.
func (s *IOStreams) Fancy() bool {
	return s.ErrTTY && s.Getenv("NO_COLOR") == ""
}

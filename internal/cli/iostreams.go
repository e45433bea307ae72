package cli

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams carries the process's standard streams: stdout for data,
// stderr for people.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InTTY, OutTTY and ErrTTY say whether stdin, stdout and stderr are
	// terminals: prompts need the first, a table's width and colour the
	// second, progress bars the third.
	InTTY  bool
	OutTTY bool
	ErrTTY bool
	// Getenv reads the environment (injectable for tests).
	Getenv func(string) string
	// TermWidth returns the terminal's width in columns, 0 when unknown;
	// nil means 0.
	TermWidth func() int
}

// System returns the process's real streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv,
		TermWidth: func() int {
			for _, f := range []*os.File{os.Stdout, os.Stderr} {
				if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
					return w
				}
			}
			return 0
		},
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

// Color reports whether stdout's tables may use colour: a terminal, and
// NO_COLOR (https://no-color.org) unset or empty.
func (s *IOStreams) Color() bool {
	return s.OutTTY && s.Getenv("NO_COLOR") == ""
}

// Width is the terminal's width in columns; 0 (do not wrap) when stdout is
// not a terminal or its size is unknown. COLUMNS, when a number, wins, as
// in most CLIs.
func (s *IOStreams) Width() int {
	if !s.OutTTY {
		return 0
	}
	if n, err := strconv.Atoi(s.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if s.TermWidth == nil {
		return 0
	}
	return s.TermWidth()
}

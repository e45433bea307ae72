package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// A piped run prints one line per state change, each with an RFC 3339 UTC
// timestamp, and never the same line twice.
func TestPlainProgressNoDuplicates(t *testing.T) {
	inv, err := filepath.Abs("../../testdata/estates/contoso.json")
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, "run", "--yes", "--inventory", inv, "--state-dir", t.TempDir())
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ `)
	seen := map[string]bool{}
	lines := 0
	for _, line := range strings.Split(strings.TrimRight(errOut, "\n"), "\n") {
		if !stamp.MatchString(line) {
			continue // the summary and notices
		}
		lines++
		text := stamp.ReplaceAllString(line, "")
		if seen[text] {
			t.Errorf("line printed twice: %q", text)
		}
		seen[text] = true
		if strings.HasSuffix(text, ": done") {
			t.Errorf("final event repeats the phase: %q", text)
		}
	}
	if lines == 0 {
		t.Fatalf("no progress lines:\n%s", errOut)
	}
}

// On a terminal the live view shows the units in flight: read the screen
// of a pty until the overall line counts two or more.
func TestLiveViewShowsUnitsInFlight(t *testing.T) {
	ptmx, tty := openPty(t)
	inv, err := filepath.Abs("../../testdata/estates/small.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var out bytes.Buffer
	streams := &IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: tty, ErrTTY: true, Getenv: func(string) string { return "" }}
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{"run", "--convert-disks", "--sim-latency", "200ms", "--yes", "--inventory", inv, "--state-dir", t.TempDir()}, streams)
		tty.Close() // the reader sees the end of the screen
	}()

	inFlight := regexp.MustCompile(`units \d+/\d+ done, ([2-9]|\d\d+) in flight \(wave \d+ of \d+\)`)
	unitLine := regexp.MustCompile(`^\s+\S+/\S+\s+(Preparing|Prepared|Committing|Validating|Validated)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(ptmx)
		sc.Split(scanScreenLines)
		units := 0
		for sc.Scan() {
			line := sc.Text()
			if unitLine.MatchString(line) {
				units++
			}
			if inFlight.MatchString(line) && units >= 2 {
				found <- line
				break
			}
			if strings.HasPrefix(line, "units ") {
				units = 0 // the next frame
			}
		}
		_, _ = io.Copy(io.Discard, ptmx) // drain until the run ends
		close(found)
	}()

	line, ok := <-found
	if !ok {
		t.Errorf("the live view never showed two units in flight")
	} else {
		t.Logf("seen: %q", line)
	}
	select {
	case code := <-exit:
		if code != ExitOK {
			t.Errorf("exit %d", code)
		}
	case <-ctx.Done():
		t.Fatal(errors.New("run did not finish"))
	}
}

// openPty opens a pseudo-terminal of 40x140, closed with the test. Linux
// always has one; in CI its absence is a failure, never a skip.
func openPty(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no pty: %v", err)
		}
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { _ = ptmx.Close() })
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 140}); err != nil {
		t.Fatal(err)
	}
	return ptmx, tty
}

// On a terminal, disks copy shows bytes done of the total and a rate while
// it copies: read the screen until a line says so with some bytes done
// and not all.
func TestLiveViewCopyShowsBytes(t *testing.T) {
	ptmx, tty := openPty(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.raw")
	data := bytes.Repeat([]byte{0xab}, 8<<20)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	streams := &IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: tty, ErrTTY: true, Getenv: func(string) string { return "" }}
	exit := make(chan int, 1)
	go func() {
		// 8 MiB at 2 MiB/s: about four seconds of frames.
		exit <- Main(ctx, []string{"disks", "copy", src, filepath.Join(dir, "dst.raw"), "--max-bandwidth", "2MiB", "--state-dir", filepath.Join(dir, "state")}, streams)
		tty.Close()
	}()
	midway := regexp.MustCompile(`copy ([1-9][0-9.]*) (KiB|MiB) of 8\.0 MiB, [0-9.]+ (B|KiB|MiB)/s, ETA`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(ptmx)
		sc.Split(scanScreenLines)
		for sc.Scan() {
			if line := sc.Text(); midway.MatchString(line) {
				found <- line
				break
			}
		}
		_, _ = io.Copy(io.Discard, ptmx)
		close(found)
	}()
	line, ok := <-found
	if !ok {
		t.Errorf("the copy view never showed bytes done of the total with a rate")
	} else {
		t.Logf("seen: %q", line)
	}
	select {
	case code := <-exit:
		if code != ExitOK {
			t.Errorf("exit %d: %s", code, out.String())
		}
	case <-ctx.Done():
		t.Fatal(errors.New("copy did not finish"))
	}
}

// scanScreenLines splits terminal output at \n and \r, and drops the ANSI
// escape sequences mpb moves the cursor with.
func scanScreenLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' || b == '\r' {
			return i + 1, stripANSI(data[:i]), nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), stripANSI(data), nil
	}
	return 0, nil, nil
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func stripANSI(b []byte) []byte { return ansi.ReplaceAll(b, nil) }

// The copy's rate comes from differences between samples: a resumed copy's
// earlier bytes, there at the first sample, do not inflate it.
func TestRateWindowIgnoresResumedBytes(t *testing.T) {
	r := &rateWindow{span: 5 * time.Second}
	t0 := time.Unix(1000, 0)
	if got := r.observe(t0, 8<<30); got != 0 {
		t.Errorf("first sample: rate %v, want 0", got)
	}
	if got := r.observe(t0.Add(time.Second), 8<<30+10<<20); got != 10<<20 {
		t.Errorf("rate %v, want 10 MiB/s", got)
	}
	// Ten seconds on at 20 MiB/s: the window forgets the older, slower part.
	done := int64(8<<30 + 10<<20)
	var got float64
	for i := 2; i <= 12; i++ {
		done += 20 << 20
		got = r.observe(t0.Add(time.Duration(i)*time.Second), done)
	}
	if got != 20<<20 {
		t.Errorf("rate %v, want 20 MiB/s", got)
	}
}

// The overall line's ETA is the forecast's while the run keeps within it,
// then the pace of the units done so far.
func TestProgressETA(t *testing.T) {
	p := &progress{total: 10, forecast: time.Hour}
	for _, tc := range []struct {
		elapsed time.Duration
		done    int
		want    string
	}{
		{0, 0, ", ETA 1h0m0s (forecast)"},
		{20 * time.Minute, 2, ", ETA 40m0s (forecast)"},
		{90 * time.Minute, 5, ", ETA 1h30m0s"},
		{90 * time.Minute, 10, ""},
	} {
		if got := p.eta(tc.elapsed, tc.done); got != tc.want {
			t.Errorf("eta(%s, %d) = %q, want %q", tc.elapsed, tc.done, got, tc.want)
		}
	}
	p.forecast = 0
	if got := p.eta(10*time.Minute, 0); got != "" {
		t.Errorf("no forecast, nothing done: %q, want none", got)
	}
}

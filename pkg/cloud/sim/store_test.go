package sim

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
)

func mustOpen(t *testing.T, dir string, o Options) *Sim {
	t.Helper()
	s, err := Open(dir, cloudtest.Inventory(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ops(t *testing.T, s *Sim) []string {
	t.Helper()
	h, err := s.History(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, op := range h {
		out = append(out, fmt.Sprintf("%d %s %s %s %s", op.Seq, op.Op, op.Unit, op.StateBefore, op.Result))
	}
	return out
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A Sim keeps the state decoded between calls; another Sim's writes (as
// another process's) must still be seen by its next call, whether they
// were appended to the log or compacted into a new snapshot.
func TestSeesOtherSimsChanges(t *testing.T) {
	t.Parallel()
	for _, compact := range []bool{false, true} {
		t.Run(fmt.Sprintf("compact=%v", compact), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a, b := mustOpen(t, dir, Options{}), mustOpen(t, dir, Options{})
			a.store.compactAlways, b.store.compactAlways = compact, compact
			ctx := t.Context()
			if st := stateOf(t, b, cloudtest.UnitNSG); st != cloud.StateNone {
				t.Fatalf("b: State = %s before anything, want None", st)
			}
			mustDo(t, a.Prepare(ctx, cloudtest.Target(cloudtest.UnitNSG)))
			if st := stateOf(t, b, cloudtest.UnitNSG); st != cloud.StatePrepared {
				t.Fatalf("b: State after a's Prepare = %s, want Prepared", st)
			}
			mustDo(t, b.Commit(ctx, cloudtest.Target(cloudtest.UnitNSG)))
			mustDo(t, b.Prepare(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
			if st := stateOf(t, a, cloudtest.UnitNSG); st != cloud.StateCommitted {
				t.Fatalf("a: State after b's Commit = %s, want Committed", st)
			}
			mustDo(t, a.Abort(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
			want := []string{
				"1 Prepare nsg/suite-nsg None Succeeded",
				"2 Commit nsg/suite-nsg Prepared Succeeded",
				"3 Prepare cloudservice/suite-legacy None Succeeded",
				"4 Abort cloudservice/suite-legacy Prepared Succeeded",
			}
			for name, s := range map[string]*Sim{"a": a, "b": b, "fresh": mustOpen(t, dir, Options{})} {
				if got := ops(t, s); !slices.Equal(got, want) {
					t.Errorf("%s: history = %q, want %q", name, got, want)
				}
				if st := stateOf(t, s, cloudtest.UnitLegacy); st != cloud.StateNone {
					t.Errorf("%s: State(legacy) = %s, want None", name, st)
				}
			}
			if compact {
				fi, err := os.Stat(filepath.Join(dir, "sim", logFile))
				mustDo(t, err)
				if fi.Size() != 0 {
					t.Errorf("log holds %d bytes after compacting every write, want 0", fi.Size())
				}
			}
		})
	}
}

// A crash mid-write leaves a torn line at the end of the log or the
// history: it was never acknowledged, so every Sim reads the state before
// it, and the next write cuts it off and goes on from there.
func TestTornWritesAreIgnored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := mustOpen(t, dir, Options{})
	ctx := t.Context()
	mustDo(t, a.Prepare(ctx, cloudtest.Target(cloudtest.UnitNSG)))
	before := ops(t, a)

	// The torn tails of a Commit that never completed: part of its history
	// line, part of its state record.
	appendTo := func(name, text string) {
		f, err := os.OpenFile(filepath.Join(dir, "sim", name), os.O_WRONLY|os.O_APPEND, 0)
		mustDo(t, err)
		_, err = f.WriteString(text)
		mustDo(t, errors.Join(err, f.Close()))
	}
	appendTo(historyFile, `{"seq":2,"op":"Commit","unit":"nsg/su`)
	appendTo(logFile, `{"gen":3,"histEnd":999,"seq":2,"units":{"nsg/suite-nsg":{"id":"nsg/suite-nsg","state":"Committ`)

	for name, s := range map[string]*Sim{"open before": a, "opened after": mustOpen(t, dir, Options{})} {
		if st := stateOf(t, s, cloudtest.UnitNSG); st != cloud.StatePrepared {
			t.Errorf("%s: State = %s after a torn Commit, want Prepared", name, st)
		}
		if got := ops(t, s); !slices.Equal(got, before) {
			t.Errorf("%s: history = %q, want %q", name, got, before)
		}
	}
	mustDo(t, a.Commit(ctx, cloudtest.Target(cloudtest.UnitNSG)))
	want := append(before, "2 Commit nsg/suite-nsg Prepared Succeeded")
	c := mustOpen(t, dir, Options{})
	if got := ops(t, c); !slices.Equal(got, want) {
		t.Fatalf("history after the next Commit = %q, want %q", got, want)
	}
	if st := stateOf(t, c, cloudtest.UnitNSG); st != cloud.StateCommitted {
		t.Fatalf("State after the next Commit = %s, want Committed", st)
	}
}

// A process killed in the middle of a changing call: before its record
// reached the log, the call was not received (no history line, no
// effect), and the next call takes its seq; after, inside the compaction
// that followed, the call took effect and is in the history once. Either
// way seq stays dense and every Sim, open before or after, agrees ("no
// Commit sent twice" is read from the history).
func TestKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	for _, point := range []string{"record", "archived", "snapshot"} {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a := mustOpen(t, dir, Options{})
			ctx := t.Context()
			mustDo(t, a.Prepare(ctx, cloudtest.Target(cloudtest.UnitNSG)))

			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashAt+"="+point)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != crashCode {
				t.Fatalf("helper = %v, want exit %d\n%s", err, crashCode, out)
			}

			want := []string{"1 Prepare nsg/suite-nsg None Succeeded"}
			st := cloud.StatePrepared
			if point != "record" {
				want = append(want, "2 Commit nsg/suite-nsg Prepared Succeeded")
				st = cloud.StateCommitted
			}
			for name, s := range map[string]*Sim{"open before": a, "opened after": mustOpen(t, dir, Options{})} {
				if got := stateOf(t, s, cloudtest.UnitNSG); got != st {
					t.Errorf("%s: State = %s, want %s", name, got, st)
				}
				if got := ops(t, s); !slices.Equal(got, want) {
					t.Errorf("%s: history = %q, want %q", name, got, want)
				}
			}
			mustDo(t, a.Commit(ctx, cloudtest.Target(cloudtest.UnitNSG)))
			before := cloud.StatePrepared
			if point != "record" {
				before = cloud.StateCommitted
			}
			want = append(want, fmt.Sprintf("%d Commit nsg/suite-nsg %s Succeeded", len(want)+1, before))
			for name, s := range map[string]*Sim{"open before": a, "opened after": mustOpen(t, dir, Options{})} {
				if got := ops(t, s); !slices.Equal(got, want) {
					t.Errorf("%s: history after the next Commit = %q, want %q", name, got, want)
				}
				if got := stateOf(t, s, cloudtest.UnitNSG); got != cloud.StateCommitted {
					t.Errorf("%s: State = %s, want Committed", name, got)
				}
			}
		})
	}
}

const (
	envCrashDir = "SIM_TEST_CRASH_DIR"
	envCrashAt  = "SIM_TEST_CRASH_AT"
	crashCode   = 3
)

// TestCrashHelper is not a test: it is the process TestKilledMidWrite
// kills, by exiting at the named point of a Commit's write (compacting
// after it, so the compaction's points are reached).
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := Open(dir, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := os.Getenv(envCrashAt)
	s.store.compactAlways = true
	s.store.crashAt = func(point string) {
		if point == at {
			os.Exit(crashCode)
		}
	}
	_ = s.Commit(t.Context(), cloudtest.Target(cloudtest.UnitNSG))
	t.Fatal("Commit returned: the process was not killed")
}

// A crash in the middle of a compaction, after the new snapshot and before
// the log was emptied, leaves log records the snapshot holds already: they
// are skipped, not applied twice.
func TestCompactionCrashLeavesOldLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := mustOpen(t, dir, Options{})
	ctx := t.Context()
	mustDo(t, a.Prepare(ctx, cloudtest.Target(cloudtest.UnitNSG)))
	mustDo(t, a.Commit(ctx, cloudtest.Target(cloudtest.UnitNSG)))
	log, err := os.ReadFile(filepath.Join(dir, "sim", logFile))
	mustDo(t, err)
	a.store.compactAlways = true
	mustDo(t, a.Prepare(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
	// Put the old records back, as if the crash came before the truncation.
	mustDo(t, os.WriteFile(filepath.Join(dir, "sim", logFile), log, 0o600))

	b := mustOpen(t, dir, Options{})
	if st := stateOf(t, b, cloudtest.UnitLegacy); st != cloud.StatePrepared {
		t.Fatalf("State(legacy) = %s, want Prepared", st)
	}
	mustDo(t, b.Abort(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
	want := []string{
		"1 Prepare nsg/suite-nsg None Succeeded",
		"2 Commit nsg/suite-nsg Prepared Succeeded",
		"3 Prepare cloudservice/suite-legacy None Succeeded",
		"4 Abort cloudservice/suite-legacy Prepared Succeeded",
	}
	if got := ops(t, mustOpen(t, dir, Options{})); !slices.Equal(got, want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
}

// A state directory of the older format (one state.json) is refused with
// what to do, and left as it was.
func TestOldFormatRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustDo(t, os.MkdirAll(filepath.Join(dir, "sim"), 0o700))
	old := []byte(`{"version":1,"estate":{},"units":{},"history":[]}`)
	mustDo(t, os.WriteFile(filepath.Join(dir, "sim", stateFile), old, 0o600))
	_, err := Open(dir, cloudtest.Inventory(), Options{})
	if err == nil {
		t.Fatal("Open over an old-format state directory succeeded")
	}
	for _, want := range []string{"older format", "delete the directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "sim", stateFile))
	mustDo(t, err)
	if string(b) != string(old) {
		t.Error("the refused state file was changed")
	}
	entries, err := os.ReadDir(filepath.Join(dir, "sim"))
	mustDo(t, err)
	if len(entries) != 2 { // state.json and the lock file
		t.Errorf("refusing wrote files: %d entries", len(entries))
	}
}

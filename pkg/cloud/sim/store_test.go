package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
	bolt "go.etcd.io/bbolt"

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
// another process's) must still be seen by its next call.
func TestSeesOtherSimsChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := mustOpen(t, dir, Options{}), mustOpen(t, dir, Options{})
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
	ro, err := OpenReadOnly(ctx, dir, Options{})
	mustDo(t, err)
	defer ro.Close()
	for name, s := range map[string]*Sim{"a": a, "b": b, "fresh": mustOpen(t, dir, Options{}), "read-only": ro} {
		if got := ops(t, s); !slices.Equal(got, want) {
			t.Errorf("%s: history = %q, want %q", name, got, want)
		}
		if st := stateOf(t, s, cloudtest.UnitLegacy); st != cloud.StateNone {
			t.Errorf("%s: State(legacy) = %s, want None", name, st)
		}
	}
}

// A process killed in the middle of a changing call: before its
// transaction committed, the call was not received (no history line, no
// effect), and the next call takes its seq; after, the call took effect and
// is in the history once. Either way seq stays dense and every Sim, open
// before or after, agrees ("no Commit sent twice" is read from the
// history).
func TestKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	for _, point := range []string{"commit", "committed"} {
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
			if point == "committed" {
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
			if point == "committed" {
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
// kills, by exiting at the named point of a Commit's write.
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
	s.store.crashAt = func(point string) {
		if point == at {
			os.Exit(crashCode)
		}
	}
	_ = s.Commit(t.Context(), cloudtest.Target(cloudtest.UnitNSG))
	t.Fatal("Commit returned: the process was not killed")
}

// tree is the SHA-256 of every file under dir, by relative path.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	mustDo(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			out[rel+"/"] = "dir"
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	}))
	return out
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed %s", what, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s created %s", what, k)
		}
	}
}

// The state directory written by the previous releases (one state.json;
// then estate.json, state.json, state.log and history.jsonl) is refused
// with what to do, by both opens, and left exactly as it was: nothing is
// created beside it.
func TestLegacyRefused(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]map[string]string{
		"v1": {"state.json": `{"version":1,"estate":{},"units":{},"history":[]}`},
		"v2": {
			"estate.json":   `{"version":2,"estate":{}}`,
			"state.json":    `{"version":2,"gen":1,"histEnd":0}`,
			"state.log":     `{"gen":2,"seq":1}` + "\n",
			"history.jsonl": "",
			"lock":          "00000000000000000001\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			mustDo(t, os.MkdirAll(filepath.Join(dir, "sim"), 0o700))
			for f, b := range files {
				mustDo(t, os.WriteFile(filepath.Join(dir, "sim", f), []byte(b), 0o600))
			}
			before := tree(t, dir)
			_, err := Open(dir, cloudtest.Inventory(), Options{})
			var le *LegacyError
			if !errors.As(err, &le) {
				t.Fatalf("Open = %v, want *LegacyError", err)
			}
			for _, want := range []string{"earlier release", "move " + filepath.Join(dir, "sim") + " aside"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if _, err := OpenReadOnly(t.Context(), dir, Options{}); !errors.As(err, &le) {
				t.Errorf("OpenReadOnly = %v, want *LegacyError", err)
			}
			sameTree(t, "refusing", before, tree(t, dir))
		})
	}
}

// Readers never write: OpenReadOnly and every read through it change no
// byte under the state directory and create nothing there, also while
// another process holds the simulator for writing (its lock file and
// bbolt's own lock on sim.db), which they do not wait for.
func TestReadOnlyChangesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	mustDo(t, mustOpen(t, dir, Options{}).Prepare(ctx, cloudtest.Target(cloudtest.UnitNSG)))
	// An operation in flight, due long ago by the reader's clock: the
	// reader shows it finished without recording it.
	_, err := mustOpen(t, dir, Options{Latency: time.Hour}).Begin(ctx, OpPrepare, cloudtest.Target(cloudtest.UnitLegacy))
	mustDo(t, err)

	// The writer holds everything a writing access holds.
	held := flock.New(filepath.Join(dir, "sim", lockFile))
	mustDo(t, held.Lock())
	defer held.Unlock()
	db, err := bolt.Open(filepath.Join(dir, "sim", dbFile), 0o600, &bolt.Options{Timeout: time.Second})
	mustDo(t, err)
	defer db.Close()

	before := tree(t, dir)
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	// Its reads are faulted like a writer's (counted in memory on from the
	// persisted counter), so a reader with FaultRate 1 sees only faults and
	// still changes nothing; a reader without faults sees the state.
	faulty, err := OpenReadOnly(ctx, dir, Options{Now: later, FaultRate: 1})
	mustDo(t, err)
	if _, err := faulty.State(ctx, cloudtest.Target(cloudtest.UnitNSG)); err == nil {
		t.Error("a read-only Sim with FaultRate 1 read a state without a fault")
	}
	mustDo(t, faulty.Close())
	r, err := OpenReadOnly(ctx, dir, Options{Now: later})
	mustDo(t, err)
	if got := ops(t, r); len(got) != 2 {
		t.Errorf("history = %q, want the two Prepares", got)
	}
	for unit, want := range map[string]cloud.State{cloudtest.UnitNSG: cloud.StatePrepared, cloudtest.UnitLegacy: cloud.StatePrepared, cloudtest.UnitVNet: cloud.StateNone} {
		if got := stateOf(t, r, unit); got != want {
			t.Errorf("State(%s) = %s, want %s", unit, got, want)
		}
	}
	if _, err := r.Classic(ctx); err != nil {
		t.Error(err)
	}
	if _, err := r.Resources(ctx); err != nil {
		t.Error(err)
	}
	if _, err := r.ListVMs(ctx); err != nil {
		t.Error(err)
	}
	for name, err := range map[string]error{
		"Prepare":  r.Prepare(ctx, cloudtest.Target(cloudtest.UnitVNet)),
		"Commit":   r.Commit(ctx, cloudtest.Target(cloudtest.UnitNSG)),
		"Validate": func() error { _, err := r.Validate(ctx, cloudtest.Target(cloudtest.UnitVNet)); return err }(),
		"StartVM":  r.StartVM(ctx, "rg", "vm"),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only Sim = %v, want ErrReadOnly", name, err)
		}
	}
	mustDo(t, r.Close())
	sameTree(t, "a read-only open", before, tree(t, dir))

	empty := t.TempDir()
	if _, err := OpenReadOnly(ctx, empty, Options{}); !errors.Is(err, ErrNoCloud) {
		t.Errorf("OpenReadOnly of an empty state directory = %v, want ErrNoCloud", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("OpenReadOnly of an empty state directory created %v", entries)
	}
}

// A damaged sim.db is reported as a *DamageError (or, for a page no one
// reads, not at all), by both opens, never with a panic and never repaired:
// the file is left as found. Cut short anywhere, emptied, each page zeroed
// in turn, an entry that does not decode.
func TestDamageReported(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	s := mustOpen(t, src, Options{})
	ctx := t.Context()
	for _, u := range []string{cloudtest.UnitNSG, cloudtest.UnitLegacy, cloudtest.UnitVNet} {
		mustDo(t, s.Prepare(ctx, cloudtest.Target(u)))
	}
	mustDo(t, s.Commit(ctx, cloudtest.Target(cloudtest.UnitNSG)))
	mustDo(t, s.Close())
	good, err := os.ReadFile(filepath.Join(src, "sim", dbFile))
	mustDo(t, err)
	// Past its high-water mark a bbolt file holds space it grew into and
	// never used: cutting or zeroing that loses nothing.
	var pageSize, hwm int
	{
		db, err := bolt.Open(filepath.Join(src, "sim", dbFile), 0o600, &bolt.Options{ReadOnly: true})
		mustDo(t, err)
		pageSize = db.Info().PageSize
		mustDo(t, db.View(func(tx *bolt.Tx) error { hwm = int(tx.Size()); return nil }))
		mustDo(t, db.Close())
	}

	type variant struct {
		name string
		data []byte
		// must: the damage is on pages every open reads.
		must bool
	}
	variants := []variant{
		{"empty", nil, true},
		{"half", good[:hwm/2], true},
		{"cut mid-page", good[:hwm-pageSize/2], true},
	}
	for pg := 0; pg*pageSize < hwm; pg++ {
		b := slices.Clone(good)
		clear(b[pg*pageSize : (pg+1)*pageSize])
		// Zeroing the newest meta page is a commit torn by a crash, which
		// bbolt answers with the previous transaction, as it should; no
		// check tells them apart.
		variants = append(variants, variant{fmt.Sprintf("page %d zeroed", pg), b, false})
	}
	{
		dir := t.TempDir()
		mustDo(t, os.MkdirAll(filepath.Join(dir, "sim"), 0o700))
		path := filepath.Join(dir, "sim", dbFile)
		mustDo(t, os.WriteFile(path, good, 0o600))
		db, err := bolt.Open(path, 0o600, nil)
		mustDo(t, err)
		mustDo(t, db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketUnits).Put([]byte("nsg/suite-nsg"), []byte(`{"state":`))
		}))
		mustDo(t, db.Close())
		b, err := os.ReadFile(path)
		mustDo(t, err)
		variants = append(variants, variant{"unit entry", b, true})
	}
	reported := 0
	for _, v := range variants {
		dir := t.TempDir()
		mustDo(t, os.MkdirAll(filepath.Join(dir, "sim"), 0o700))
		mustDo(t, os.WriteFile(filepath.Join(dir, "sim", dbFile), v.data, 0o600))
		before := tree(t, filepath.Join(dir, "sim"))
		ro, roErr := OpenReadOnly(ctx, dir, Options{})
		if roErr == nil {
			_, _ = ro.History(ctx)
			_ = ro.Close()
		}
		rw, rwErr := Open(dir, nil, Options{})
		if rwErr == nil {
			_, _ = rw.History(ctx)
			_, _ = rw.State(ctx, cloudtest.Target(cloudtest.UnitNSG))
			_ = rw.Close()
		}
		var de *DamageError
		for mode, err := range map[string]error{"read-only": roErr, "read-write": rwErr} {
			switch {
			case err == nil && v.must:
				t.Errorf("%s: %s open succeeded", v.name, mode)
			case err != nil && !errors.As(err, &de):
				t.Errorf("%s: %s open = %v, want *DamageError", v.name, mode, err)
			}
		}
		if roErr != nil {
			reported++
		}
		after := tree(t, filepath.Join(dir, "sim"))
		delete(after, lockFile) // the writer's lock file, created empty
		sameTree(t, v.name+": opening", before, after)
	}
	if reported < len(variants)/2 {
		t.Errorf("only %d of %d damaged files were reported", reported, len(variants))
	}
}

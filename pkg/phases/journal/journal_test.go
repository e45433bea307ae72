package journal

import (
	"context"
	"errors"
	bolt "go.etcd.io/bbolt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testHolder() Holder {
	return Holder{Host: "x", PID: 1234, Command: "migrate run", Since: time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".migrate")
	j, err := Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600, filepath.Join(dir, lockFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
}

func TestLockedErrorNamesHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".migrate")
	j, err := Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	j2, err := Open(dir, Holder{Command: "migrate resume"})
	if err == nil {
		j2.Close()
		t.Fatal("second open succeeded while the journal is held")
	}
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want *LockedError", err)
	}
	want := "state directory " + dir + " is in use by migrate run (pid 1234 on host x) since 2026-11-22T01:02:03Z"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
}

// A reader takes no lock: it answers while the writer holds the state
// directory, names the writer, and the writer keeps writing meanwhile.
func TestReadOnlyAnswersWhileHeld(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".migrate")
	j, err := Open(dir, Holder{Command: "migrate run"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.SetPhase("vnet/a", "Prepared", ""); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(context.Background(), dir)
	if err != nil {
		t.Fatalf("read-only open while held: %v", err)
	}
	defer r.Close()
	if err := j.SetPhase("vnet/a", "Committed", ""); err != nil {
		t.Fatalf("writer blocked by a reader: %v", err)
	}
	u, ok, err := r.Unit("vnet/a")
	if err != nil || !ok || u.Phase != "Prepared" {
		t.Errorf("reader's unit = %+v %v %v, want the snapshot's Prepared", u, ok, err)
	}
	h, ok := r.Holder()
	if !ok || h.Command != "migrate run" || h.PID != os.Getpid() {
		t.Errorf("Holder = %+v %v, want this process's migrate run", h, ok)
	}
}

// Deleting journal.db under a writer neither lets a second writer in nor
// lets the first write on into a file nobody will read.
func TestDeletedJournalStopsWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".migrate")
	j, err := Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := os.Remove(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	if j2, err := Open(dir, Holder{Command: "migrate run"}); !errors.Is(err, ErrLocked) {
		if err == nil {
			j2.Close()
		}
		t.Fatalf("second writer after deleting journal.db: %v, want ErrLocked", err)
	}
	if _, err := j.Intent("vnet/a", "Prepare", 1, "Preparing"); !errors.Is(err, ErrReplaced) {
		t.Fatalf("write after deletion: %v, want ErrReplaced", err)
	}
}

func TestStaleLockFileIsOverwritten(t *testing.T) {
	dir := t.TempDir()
	if err := writeHolder(dir, Holder{Host: "dead", PID: 99, Command: "migrate commit"}); err != nil {
		t.Fatal(err)
	}
	h := testHolder()
	j, err := Open(dir, h)
	if err != nil {
		t.Fatalf("stale lock.json refused: %v", err)
	}
	defer j.Close()
	if got := readHolder(dir); got != h {
		t.Errorf("holder = %+v, want %+v", got, h)
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	run := Run{Command: "run", Units: []string{"vnet/a"}, InventoryPath: "inv.yaml", InventorySHA256: "abc"}
	if err := j.BeginRun(run); err != nil {
		t.Fatal(err)
	}
	s1, err := j.Intent("vnet/a", "Prepare", 1, "Preparing")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Outcome("vnet/a", s1, ResultSucceeded, "Prepared", ""); err != nil {
		t.Fatal(err)
	}
	s2, err := j.Intent("vnet/a", "Commit", 1, "Committing")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.PutFindings(Findings{Unit: "vnet/b", Blocked: true, Errors: 2}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j, err = OpenReadOnly(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	u, ok, err := j.Unit("vnet/a")
	if err != nil || !ok {
		t.Fatalf("unit: %v %v", ok, err)
	}
	if u.Phase != "Committing" || u.Pending == nil || u.Pending.Seq != s2 || u.LastOp != "Commit" {
		t.Errorf("unit after reopen = %+v", u)
	}
	pending, err := j.Pending()
	if err != nil || len(pending) != 1 || pending[0].Op != "Commit" {
		t.Errorf("pending = %+v, %v", pending, err)
	}
	got, err := j.Run()
	if err != nil || got.Command != "run" || got.InventorySHA256 != "abc" {
		t.Errorf("run = %+v, %v", got, err)
	}
	f, err := j.Findings()
	if err != nil || !f["vnet/b"].Blocked {
		t.Errorf("findings = %+v, %v", f, err)
	}
	log, err := j.Log()
	if err != nil || len(log) != 3 {
		t.Fatalf("log = %+v, %v", log, err)
	}
	if log[1].Kind != KindOutcome || log[1].Intent != s1 || log[1].Op != "Prepare" {
		t.Errorf("outcome record = %+v", log[1])
	}
	if err := j.SetPhase("vnet/a", "Committed", ""); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write to read-only journal: %v", err)
	}
}

func TestOpenReadOnlyWithoutJournal(t *testing.T) {
	if _, err := OpenReadOnly(context.Background(), t.TempDir()); !errors.Is(err, ErrNoJournal) {
		t.Errorf("err = %v, want ErrNoJournal", err)
	}
}

func TestErrorTextClipped(t *testing.T) {
	j, err := Open(t.TempDir(), testHolder())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s, _ := j.Intent("vnet/a", "Prepare", 1, "Preparing")
	if err := j.Outcome("vnet/a", s, ResultFailed, "PrepareFailed", strings.Repeat("x", 5000)); err != nil {
		t.Fatal(err)
	}
	u, _, _ := j.Unit("vnet/a")
	if len(u.Error) > maxErrorText+3 {
		t.Errorf("error text not clipped: %d bytes", len(u.Error))
	}
}

func TestDecodeRecord(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"intent", `{"seq":1,"kind":"intent","unit":"vnet/a","op":"Prepare","attempt":1,"time":"2026-11-22T01:02:03Z"}`, true},
		{"outcome", `{"seq":2,"kind":"outcome","unit":"vnet/a","intent":1,"result":"succeeded","phase":"Prepared","time":"2026-11-22T01:02:03Z"}`, true},
		{"phase", `{"seq":3,"kind":"phase","unit":"vnet/a","phase":"Validated","time":"2026-11-22T01:02:03Z"}`, true},
		{"unknown field kept compatible", `{"seq":3,"kind":"phase","unit":"vnet/a","phase":"Validated","new":1}`, true},
		{"zero seq", `{"seq":0,"kind":"phase","unit":"vnet/a","phase":"Validated"}`, false},
		{"no unit", `{"seq":1,"kind":"phase","phase":"Validated"}`, false},
		{"intent without attempt", `{"seq":1,"kind":"intent","unit":"u","op":"Prepare"}`, false},
		{"outcome of later intent", `{"seq":2,"kind":"outcome","unit":"u","intent":2,"result":"succeeded"}`, false},
		{"bad result", `{"seq":2,"kind":"outcome","unit":"u","intent":1,"result":"maybe"}`, false},
		{"bad kind", `{"seq":2,"kind":"other","unit":"u"}`, false},
		{"not json", `{`, false},
		{"bad time", `{"seq":3,"kind":"phase","unit":"u","phase":"P","time":"yesterday"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRecord([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Errorf("DecodeRecord(%s) err = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

// A later command never replaces an unfinished one: each is kept until it
// is finished or abandoned (issue 15 item 4).
func TestUnfinishedCommandsKept(t *testing.T) {
	j, err := Open(t.TempDir(), testHolder())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.BeginRun(Run{Command: "run"}); err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(true); err != nil {
		t.Fatal(err)
	}
	if err := j.BeginRun(Run{Command: "abort", Units: []string{"vnet/a"}}); err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(false); err != nil {
		t.Fatal(err)
	}
	if err := j.BeginRun(Run{Command: "prepare", Units: []string{"vnet/b"}}); err != nil {
		t.Fatal(err)
	}
	// Killed: no EndRun.
	runs, err := j.Unfinished()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Command != "run" || !runs[0].Interrupted || runs[1].Command != "prepare" {
		t.Fatalf("unfinished = %+v, want the interrupted run and the killed prepare", runs)
	}
	if err := j.ResumeRun(runs[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(false); err != nil {
		t.Fatal(err)
	}
	if err := j.AbandonRun(runs[1].ID); err != nil {
		t.Fatal(err)
	}
	if runs, err := j.Unfinished(); err != nil || len(runs) != 0 {
		t.Errorf("after resume and abandon: %+v %v, want none", runs, err)
	}
}

// A journal written before commands were numbered (meta/run only) keeps
// its unfinished run: a new command adopts it instead of replacing it.
func TestLegacyRunAdopted(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	legacy := `{"command":"run","units":null,"rehearse":false,"inventoryPath":"inv.json","inventorySha256":"abc","started":"2026-11-22T01:02:03Z","interrupted":true}`
	if err := j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyRun, []byte(legacy))
	}); err != nil {
		t.Fatal(err)
	}
	runs, err := j.Unfinished()
	if err != nil || len(runs) != 1 || runs[0].ID != 0 || runs[0].InventoryPath != "inv.json" {
		t.Fatalf("legacy unfinished = %+v %v", runs, err)
	}
	// Resumed as ID 0, as an older resume would name it, and killed.
	if err := j.ResumeRun(0); err != nil {
		t.Fatal(err)
	}
	if err := j.BeginRun(Run{Command: "commit", Units: []string{"vnet/a"}}); err != nil {
		t.Fatal(err)
	}
	runs, err = j.Unfinished()
	if err != nil || len(runs) != 2 || runs[0].Command != "run" || runs[0].ID == 0 || runs[1].Command != "commit" {
		t.Fatalf("after a new command = %+v %v, want the legacy run kept first", runs, err)
	}
	if runs[0].Resumes != 1 {
		t.Errorf("legacy run resumes = %d, want 1", runs[0].Resumes)
	}
}

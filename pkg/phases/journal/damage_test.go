package journal

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// damagedFixture writes a journal with enough records to span several
// pages and returns its bytes and page size.
func damagedFixture(t *testing.T) ([]byte, int) {
	t.Helper()
	dir := t.TempDir()
	j, err := Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	if err := j.BeginRun(Run{Command: "run", InventoryPath: "inv.json"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		unit := "vnet/unit-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		seq, err := j.Intent(unit, "Prepare", 1, "Preparing")
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Outcome(unit, seq, ResultSucceeded, "Prepared", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return b, db.Info().PageSize
}

// openBoth opens a copy of data as a reader and as a writer and reads
// everything: any outcome but a panic is acceptable, an error must be a
// *DamagedError, and both must agree on whether the file is damaged.
func openBoth(t *testing.T, data []byte) (damaged bool) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(context.Background(), dir)
	var de *DamagedError
	switch {
	case err == nil:
		readEverything(r)
		_ = r.Close()
	case !errors.As(err, &de):
		t.Errorf("read-only open: %v, want a *DamagedError", err)
	default:
		damaged = true
	}
	j, err := Open(dir, testHolder())
	switch {
	case err == nil:
		readEverything(j)
		_ = j.Close()
		if damaged {
			t.Error("the reader found damage the writer did not")
		}
	case !errors.As(err, &de):
		t.Errorf("open: %v, want a *DamagedError", err)
	case !damaged:
		t.Errorf("the writer found damage the reader did not: %v", err)
	}
	return damaged
}

func readEverything(j *Journal) {
	_, _ = j.Units()
	_, _ = j.Log()
	_, _ = j.Run()
	_, _ = j.Unfinished()
	_, _ = j.Findings()
	_, _ = j.Docs("")
}

// A journal cut mid-page is refused as damaged, never a crash (issue 13
// item 5: "fatal error: fault").
func TestTruncatedJournalIsDamaged(t *testing.T) {
	data, ps := damagedFixture(t)
	// The pages in use end at the high-water mark the meta pages record
	// (bbolt grows the file ahead of it): cut inside the last used page.
	hw := int(min(binary.LittleEndian.Uint64(data[56:]), binary.LittleEndian.Uint64(data[ps+56:])))
	for _, cut := range []int{hw*ps - ps/2, (hw/2)*ps + ps/2, 2*ps + 100, ps + 10, 100} {
		if cut <= 0 || cut >= len(data) {
			continue
		}
		if !openBoth(t, data[:cut]) {
			t.Errorf("journal cut at %d of %d bytes was not reported damaged", cut, len(data))
		}
	}
}

// Each page zeroed in turn: a damaged journal is refused with a message,
// never a panic; a zeroed page nothing reaches may go unnoticed.
func TestZeroedPagesNeverPanic(t *testing.T) {
	data, ps := damagedFixture(t)
	found := 0
	for p := 0; p*ps < len(data); p++ {
		d := append([]byte(nil), data...)
		clear(d[p*ps : min((p+1)*ps, len(d))])
		if openBoth(t, d) {
			found++
		}
	}
	if found == 0 {
		t.Error("no zeroed page was reported damaged")
	}
}

func TestDamagedErrorSaysHowToRecover(t *testing.T) {
	err := &DamagedError{Path: "/s/journal.db", Err: errDamaged}
	if want := "migrate status --rebuild"; !contains(err.Error(), want) {
		t.Errorf("%q does not name %q", err, want)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

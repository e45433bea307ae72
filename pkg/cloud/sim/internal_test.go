package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
)

// seedWhere finds a seed whose decisions for operations 1 and 2 satisfy ok,
// so tests can stage a given fault without reaching into the generator.
func seedWhere(t *testing.T, rate float64, ok func(first, second decision) bool) int64 {
	t.Helper()
	for seed := int64(1); seed < 100000; seed++ {
		if ok(decide(seed, streamOps, 1, rate, true), decide(seed, streamOps, 2, rate, true)) {
			return seed
		}
	}
	t.Fatal("no seed found")
	return 0
}

// stateOf reads State, retrying the read's own faults.
func stateOf(t *testing.T, s *Sim, unit string) cloud.State {
	t.Helper()
	for range 100 {
		st, err := s.State(t.Context(), cloudtest.Target(unit))
		if _, transient := cloud.IsTransient(err); transient {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	t.Fatal("State faulted 100 times in a row")
	return ""
}

// The lost response: Commit took effect, the caller got a fault. A caller
// that reads State before sending Commit again finds Committed.
func TestCommitAfterLostResponse(t *testing.T) {
	t.Parallel()
	const rate = 0.5
	seed := seedWhere(t, rate, func(first, second decision) bool {
		return first.fault == "" && second.fault != "" && second.after
	})
	s, err := Open(t.TempDir(), cloudtest.Inventory(), Options{Seed: seed, FaultRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tg := cloudtest.Target(cloudtest.UnitNSG)
	if err := s.Prepare(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	err = s.Commit(t.Context(), tg)
	if _, ok := cloud.IsTransient(err); !ok {
		t.Fatalf("Commit = %v, want the staged transient fault", err)
	}
	if st := stateOf(t, s, cloudtest.UnitNSG); st != cloud.StateCommitted {
		t.Fatalf("State after the lost response = %s, want Committed", st)
	}
	ops, err := s.History(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[1].Op != OpCommit || ops[1].StateBefore != cloud.StatePrepared || ops[1].Result == ResultSucceeded {
		t.Fatalf("history = %+v, want Commit from Prepared answered with a fault", ops)
	}
}

// A fault before the operation: nothing changed.
func TestFaultBeforeOperation(t *testing.T) {
	t.Parallel()
	const rate = 0.5
	seed := seedWhere(t, rate, func(first, _ decision) bool { return first.fault != "" && !first.after })
	s, err := Open(t.TempDir(), cloudtest.Inventory(), Options{Seed: seed, FaultRate: rate, TimeScale: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Prepare(t.Context(), cloudtest.Target(cloudtest.UnitNSG))
	var te *cloud.TransientError
	if !errors.As(err, &te) {
		t.Fatalf("Prepare = %v, want *cloud.TransientError", err)
	}
	if te.Fault == cloud.FaultThrottled && te.RetryAfter != s.scale(1e9) {
		t.Errorf("Throttled RetryAfter = %s, want 1s scaled", te.RetryAfter)
	}
	if st := stateOf(t, s, cloudtest.UnitNSG); st != cloud.StateNone {
		t.Fatalf("State after a fault before the operation = %s, want None", st)
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rate       float64
		mayBeAfter bool
	}{
		{"reads", 0.2, false},
		{"operations", 0.2, true},
		{"half", 0.5, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const n = 20000
			faults, after := 0, 0
			kinds := map[string]int{}
			for i := int64(1); i <= n; i++ {
				d := decide(9, streamOps, i, tc.rate, tc.mayBeAfter)
				if d != decide(9, streamOps, i, tc.rate, tc.mayBeAfter) {
					t.Fatal("decide is not a pure function")
				}
				if d.fault == "" {
					if d.after {
						t.Fatal("after without a fault")
					}
					continue
				}
				faults++
				kinds[d.fault]++
				if d.after {
					after++
				}
			}
			share := float64(faults) / n
			if share < tc.rate*0.9 || share > tc.rate*1.1 {
				t.Errorf("fault share %.3f, want about %.2f", share, tc.rate)
			}
			if len(kinds) != 3 {
				t.Errorf("fault kinds %v, want all three", kinds)
			}
			if !tc.mayBeAfter && after != 0 {
				t.Errorf("%d lost responses where none may be", after)
			}
			if tc.mayBeAfter && (after < faults*4/10 || after > faults*6/10) {
				t.Errorf("%d of %d faults after the operation, want about half", after, faults)
			}
		})
	}
	if d := decide(9, streamOps, 1, 0, true); d.fault != "" {
		t.Errorf("rate 0 gave fault %v", d)
	}
}

// FuzzLoadState: entries of sim.db that do not decode as written are an
// error naming them, never a panic, and what loads can be opened and used.
// Each input is the values of a unit, a Resource Manager VM, a finished
// operation, a history line and the counters (split at NUL bytes), put
// into a good sim.db.
func FuzzLoadState(f *testing.F) {
	dir := f.TempDir()
	s, err := Open(dir, cloudtest.Inventory(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Prepare(f.Context(), cloudtest.Target(cloudtest.UnitVNet)); err != nil {
		f.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(filepath.Join(dir, "sim", dbFile))
	if err != nil {
		f.Fatal(err)
	}
	join := func(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }
	f.Add(join(`{"id":"nsg/suite-nsg","state":"None"}`, `{"resourceGroup":"a","name":"b"}`, `{"op":"Prepare","unit":"vnet/x"}`, `{"seq":1,"op":"Prepare"}`, `{"gen":9,"seq":1}`))
	f.Add(join(`{"state":"Preparing","pending":{"seq":1,"op":"Prepare","final":"Prepared"}}`, `null`, `{}`, `[]`, `{"gen":"x"}`))
	f.Add(join(`{"state":"Committ`, `{`, ``, `null`, ``))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := bytes.SplitN(data, []byte{0}, 5)
		dir := t.TempDir()
		path := filepath.Join(dir, "sim", dbFile)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		puts := []struct{ bucket, key []byte }{
			{bucketUnits, []byte("nsg/suite-nsg")},
			{bucketARMVMs, []byte("a/b")},
			{bucketFinished, binary.BigEndian.AppendUint64(nil, 1)},
			{bucketHistory, binary.BigEndian.AppendUint64(nil, 99)},
			{bucketMeta, keyCounters},
		}
		if err := db.Update(func(tx *bolt.Tx) error {
			for i, v := range parts {
				if err := tx.Bucket(puts[i].bucket).Put(puts[i].key, v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			_ = db.Close()
			return // a value bbolt refuses (empty key is not possible here; too large)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		for _, open := range []func() (*Sim, error){
			func() (*Sim, error) { return OpenReadOnly(t.Context(), dir, Options{}) },
			func() (*Sim, error) { return Open(dir, nil, Options{}) },
		} {
			s, err := open()
			if err != nil {
				continue
			}
			for _, u := range cloudtest.Units() {
				_, _ = s.State(t.Context(), cloudtest.Target(u))
				_, _ = s.Validate(t.Context(), cloudtest.Target(u))
			}
			_, _ = s.Classic(t.Context())
			_, _ = s.Resources(t.Context())
			_, _ = s.History(t.Context())
			_, _ = s.ListVMs(t.Context())
			_ = s.Close()
		}
	})
}

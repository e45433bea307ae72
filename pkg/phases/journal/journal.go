package journal

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/gofrs/flock"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/migrate-tool/migrate/pkg/boltsnap"
)

// FileName is the journal's file name inside the state directory.
const FileName = "journal.db"

// lockTimeout is how long Open waits for the state directory's lock: long
// enough to ride out another writer closing, short enough to answer at
// once.
const lockTimeout = 100 * time.Millisecond

var (
	bucketLog      = []byte("log")
	bucketUnits    = []byte("units")
	bucketFindings = []byte("findings")
	bucketMeta     = []byte("meta")
	keyRun         = []byte("run")
)

// ErrNoJournal means the state directory has no journal yet: nothing has
// run there.
var ErrNoJournal = errors.New("no journal in state directory")

// ErrReadOnly is returned by writes to a journal opened with OpenReadOnly.
var ErrReadOnly = errors.New("journal opened read-only")

// ErrReplaced means journal.db was deleted or replaced while this process
// held the state directory: whatever is at the path now is not the journal
// this process has been writing, so it stops before sending anything more.
var ErrReplaced = errors.New("journal.db was deleted or replaced while this process held the state directory")

// Journal is an open journal. It is safe for concurrent use: bbolt
// serialises writers, and each write is one fsynced transaction.
type Journal struct {
	db       *bolt.DB
	dir      string
	readOnly bool
	now      func() time.Time
	// lock is the writer's hold on the state directory (nil read-only).
	lock *flock.Flock
	// ident is journal.db as the writer opened it, compared with the path
	// before each write.
	ident os.FileInfo
	// snap is the private copy a read-only journal reads.
	snap *boltsnap.Snapshot

	mu sync.Mutex
	// current is the command this process began or resumed; rehearsing
	// says it is a rehearsal, whose Prepares are marked on their units.
	current    uint64
	rehearsing bool
}

// Open opens (creating if needed) the journal in stateDir as its one
// writer. stateDir is created with mode 0700, journal.db with 0600.
//
// The state directory's lock is the separate file <stateDir>/lock, taken
// with flock before journal.db is opened and held until Close, so deleting
// or replacing journal.db cannot let a second writer in. If another process
// (or another Open in this process) holds it, Open returns a *LockedError
// naming the holder after a short wait. On success it records holder in
// lock.json for others to name; a zero PID, Host or Since is filled in with
// this process's. A damaged journal is a *DamagedError.
func Open(stateDir string, holder Holder) (*Journal, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	lk, err := lockDir(stateDir)
	if err != nil {
		return nil, err
	}
	j, err := openLocked(stateDir, holder)
	if err != nil {
		_ = lk.Unlock()
		return nil, err
	}
	j.lock = lk
	return j, nil
}

func openLocked(stateDir string, holder Holder) (*Journal, error) {
	if holder.PID == 0 {
		holder.PID = os.Getpid()
	}
	if holder.Host == "" {
		holder.Host, _ = os.Hostname()
	}
	if holder.Since.IsZero() {
		holder.Since = time.Now()
	}
	holder.Since = holder.Since.UTC().Truncate(time.Second)
	if err := writeHolder(stateDir, holder); err != nil {
		return nil, err
	}
	path := filepath.Join(stateDir, FileName)
	db, err := openChecked(path, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &LockedError{Dir: stateDir, Holder: readHolder(stateDir)}
		}
		return nil, fmt.Errorf("open journal in %s: %w", stateDir, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketLog, bucketUnits, bucketFindings, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		_ = db.Close() // the open's error is the one to report
		return nil, fmt.Errorf("initialise journal in %s: %w", stateDir, err)
	}
	// The lock is held, so nothing else may replace the file between
	// bbolt's open and this stat.
	ident, err := os.Stat(path)
	if err != nil {
		_ = db.Close() // the open's error is the one to report
		return nil, fmt.Errorf("open journal in %s: %w", stateDir, err)
	}
	return &Journal{db: db, dir: stateDir, now: time.Now, ident: ident}, nil
}

// OpenReadOnly opens the journal for reading, as status does. It takes no
// lock and never writes: it reads a consistent snapshot (package boltsnap),
// so it answers while a writer holds the state directory, and Holder names
// that writer. A state directory without a journal is ErrNoJournal; a
// damaged journal is a *DamagedError.
func OpenReadOnly(ctx context.Context, stateDir string) (*Journal, error) {
	path := filepath.Join(stateDir, FileName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", stateDir, ErrNoJournal)
	}
	if err := checkLength(path); err != nil {
		return nil, err
	}
	snap, err := boltsnap.Open(ctx, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", stateDir, ErrNoJournal)
		}
		if errors.Is(err, boltsnap.ErrBusy) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("read journal in %s: %w", stateDir, err)
		}
		return nil, &DamagedError{Path: path, Err: err}
	}
	if err := check(snap.DB); err != nil {
		_ = snap.Close()
		return nil, &DamagedError{Path: path, Err: err}
	}
	return &Journal{db: snap.DB, dir: stateDir, readOnly: true, now: time.Now, snap: snap}, nil
}

// Close releases the journal and its lock.
func (j *Journal) Close() error {
	if j.snap != nil {
		if err := j.snap.Close(); err != nil {
			return fmt.Errorf("close journal: %w", err)
		}
		return nil
	}
	// Best effort: a stale lock.json is harmless (the lock file, not it,
	// is the truth), removing it only keeps the directory tidy and tells
	// readers nobody holds it.
	_ = os.Remove(filepath.Join(j.dir, lockFile))
	err := j.db.Close()
	if j.lock != nil {
		if uerr := j.lock.Unlock(); uerr != nil && err == nil {
			err = uerr
		}
	}
	if err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}

// Dir is the state directory the journal lives in.
func (j *Journal) Dir() string { return j.dir }

// SetClock replaces the clock stamping records; for tests.
func (j *Journal) SetClock(now func() time.Time) { j.now = now }

func (j *Journal) stamp() time.Time { return j.now().UTC() }

func (j *Journal) update(what string, fn func(tx *bolt.Tx) error) error {
	if j.readOnly {
		return fmt.Errorf("%s: %w", what, ErrReadOnly)
	}
	if err := j.same(); err != nil {
		return fmt.Errorf("journal %s: %w", what, err)
	}
	if err := j.db.Update(fn); err != nil {
		return fmt.Errorf("journal %s: %w", what, err)
	}
	return nil
}

// same checks that journal.db at its path is still the file this writer
// opened: one stat per write, small beside the fsync that follows.
func (j *Journal) same() error {
	path := filepath.Join(j.dir, FileName)
	fi, err := os.Stat(path)
	if err != nil || !os.SameFile(fi, j.ident) {
		return fmt.Errorf("%w: %s (stop: `migrate status --rebuild` rebuilds a journal from the platform)", ErrReplaced, path)
	}
	return nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// appendRecord gives r the next sequence number and writes it to the log.
func appendRecord(tx *bolt.Tx, r *Record) error {
	log := tx.Bucket(bucketLog)
	seq, err := log.NextSequence()
	if err != nil {
		return err
	}
	r.Seq = seq
	return putJSON(log, seqKey(seq), r)
}

func getUnit(tx *bolt.Tx, unit string) (UnitState, bool, error) {
	v := tx.Bucket(bucketUnits).Get([]byte(unit))
	if v == nil {
		return UnitState{Unit: unit}, false, nil
	}
	u, err := DecodeUnit(v)
	return u, err == nil, err
}

// Intent durably records that op is about to be sent for unit (attempt
// counts from 1) and that the unit is now in phase (e.g. Preparing). It
// returns the intent's sequence number, which the outcome names. It returns
// only after the record is on disk.
func (j *Journal) Intent(unit, op string, attempt int, phase string) (uint64, error) {
	var seq uint64
	err := j.update("intent "+op+" "+unit, func(tx *bolt.Tx) error {
		u, _, err := getUnit(tx, unit)
		if err != nil {
			return err
		}
		r := Record{Kind: KindIntent, Unit: unit, Op: op, Attempt: attempt, Phase: phase, Time: j.stamp()}
		if err := appendRecord(tx, &r); err != nil {
			return err
		}
		seq = r.Seq
		u.Pending = &r
		u.LastOp = op
		_, u.Rehearsal = j.currentID()
		if phase != "" {
			u.Phase = phase
		}
		u.Updated = r.Time
		return putJSON(tx.Bucket(bucketUnits), []byte(unit), u)
	})
	return seq, err
}

// Outcome durably closes the intent seq of unit with result. phase is the
// unit's phase after the call, "" when unknown (a transient fault: the
// caller reads the state next and records it with SetPhase). errText is
// clipped; pass driver errors only, never anything holding credentials.
func (j *Journal) Outcome(unit string, intent uint64, result Result, phase, errText string) error {
	return j.update("outcome "+unit, func(tx *bolt.Tx) error {
		u, _, err := getUnit(tx, unit)
		if err != nil {
			return err
		}
		op := ""
		if u.Pending != nil && u.Pending.Seq == intent {
			op = u.Pending.Op
			u.Pending = nil
		}
		r := Record{Kind: KindOutcome, Unit: unit, Op: op, Intent: intent, Result: result, Phase: phase, Error: clip(errText), Time: j.stamp()}
		if err := appendRecord(tx, &r); err != nil {
			return err
		}
		if phase != "" {
			u.Phase = phase
		}
		switch result {
		case ResultSucceeded, ResultReconciled:
			u.Error = ""
		default:
			u.Error = r.Error
		}
		u.Updated = r.Time
		return putJSON(tx.Bucket(bucketUnits), []byte(unit), u)
	})
}

// SetPhase records a phase reached without an operation of this process:
// validated, blocked, or read from the platform. It does not touch a
// pending intent. A phase equal to the current one is not logged again.
func (j *Journal) SetPhase(unit, phase, note string) error {
	return j.update("phase "+unit, func(tx *bolt.Tx) error {
		u, _, err := getUnit(tx, unit)
		if err != nil {
			return err
		}
		if u.Phase == phase && note == "" {
			return nil
		}
		r := Record{Kind: KindPhase, Unit: unit, Phase: phase, Error: clip(note), Time: j.stamp()}
		if err := appendRecord(tx, &r); err != nil {
			return err
		}
		u.Phase = phase
		u.Updated = r.Time
		return putJSON(tx.Bucket(bucketUnits), []byte(unit), u)
	})
}

// Unit returns the journal's record of unit; ok is false if it has none.
func (j *Journal) Unit(unit string) (u UnitState, ok bool, err error) {
	err = j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUnits)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(unit))
		if v == nil {
			return nil
		}
		u, err = DecodeUnit(v)
		ok = err == nil
		return err
	})
	if err != nil {
		return UnitState{}, false, fmt.Errorf("journal read unit %s: %w", unit, err)
	}
	if !ok {
		u = UnitState{Unit: unit}
	}
	return u, ok, nil
}

// Units returns every unit record, by unit id.
func (j *Journal) Units() (map[string]UnitState, error) {
	out, err := readAll(j, bucketUnits, DecodeUnit)
	if err != nil {
		return nil, fmt.Errorf("journal read units: %w", err)
	}
	return out, nil
}

// readAll decodes every record of a bucket, by key.
func readAll[T any](j *Journal, bucket []byte, decode func([]byte) (T, error)) (map[string]T, error) {
	out := map[string]T{}
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			x, err := decode(v)
			if err != nil {
				return err
			}
			out[string(k)] = x
			return nil
		})
	})
	return out, err
}

// RehearsalLeft returns the units a rehearsal prepared and has not yet
// aborted, sorted: a rehearsal killed before it finished leaves them with
// their classic management plane locked until resume aborts them.
func (j *Journal) RehearsalLeft() ([]string, error) {
	units, err := j.Units()
	if err != nil {
		return nil, err
	}
	var out []string
	for id, u := range units {
		switch u.Phase {
		case "Preparing", "Prepared", "PrepareFailed", "Aborting", "AbortFailed":
			if u.Rehearsal {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Pending returns every intent without an outcome, by sequence number.
func (j *Journal) Pending() ([]Record, error) {
	units, err := j.Units()
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, u := range units {
		if u.Pending != nil {
			out = append(out, *u.Pending)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	return out, nil
}

// Log returns every log record in order.
func (j *Journal) Log() ([]Record, error) {
	var out []Record
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLog)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			r, err := DecodeRecord(v)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal read log: %w", err)
	}
	return out, nil
}

// bucketCommands keeps every command that changed the journal, by ID,
// until it is finished or abandoned; meta/run keeps the latest (as older
// builds wrote only that).
var bucketCommands = []byte("commands")

// BeginRun records a new command and makes it the one this Journal's
// intents and EndRun belong to. Earlier unfinished commands are kept: a
// later command never replaces an interrupted one (resume finishes both).
func (j *Journal) BeginRun(r Run) error {
	if r.Started.IsZero() {
		r.Started = j.stamp()
	}
	err := j.update("begin run", func(tx *bolt.Tx) error {
		if err := adoptLegacyRun(tx); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketCommands)
		if err != nil {
			return err
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.ID = id
		if err := putJSON(b, seqKey(id), r); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketMeta), keyRun, r)
	})
	if err == nil {
		j.setCurrent(r)
	}
	return err
}

// adoptLegacyRun moves the unfinished run of a journal written before the
// commands bucket existed into it, so it is kept, not replaced.
func adoptLegacyRun(tx *bolt.Tx) error {
	if b := tx.Bucket(bucketCommands); b != nil {
		return nil
	}
	b, err := tx.CreateBucket(bucketCommands)
	if err != nil {
		return err
	}
	v := tx.Bucket(bucketMeta).Get(keyRun)
	if v == nil {
		return nil
	}
	r, err := DecodeRun(v)
	if err != nil {
		return err
	}
	if r.Finished != nil {
		return nil
	}
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	r.ID = id
	if err := putJSON(b, seqKey(id), r); err != nil {
		return err
	}
	// meta/run names it by its new ID, so a resume of "ID 0" finds it.
	return putJSON(tx.Bucket(bucketMeta), keyRun, r)
}

func (j *Journal) setCurrent(r Run) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.current = r.ID
	j.rehearsing = r.Rehearse
}

func (j *Journal) currentID() (uint64, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.current, j.rehearsing
}

// ResumeRun counts a resume of the unfinished command id, clears its end
// marks and makes it the current command.
func (j *Journal) ResumeRun(id uint64) error {
	var r Run
	err := j.updateCommand("resume run", id, func(c *Run) error {
		c.Resumes++
		c.Finished = nil
		c.Interrupted = false
		r = *c
		return nil
	})
	if err == nil {
		j.setCurrent(r)
	}
	return err
}

// updateCommand changes the recorded command id (0: the legacy meta/run
// of a journal written before IDs) and keeps meta/run in step when it is
// the latest.
func (j *Journal) updateCommand(what string, id uint64, fn func(*Run) error) error {
	return j.update(what, func(tx *bolt.Tx) error {
		if err := adoptLegacyRun(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		b := tx.Bucket(bucketCommands)
		var v []byte
		if id != 0 {
			v = b.Get(seqKey(id))
		} else {
			v = meta.Get(keyRun)
		}
		if v == nil {
			return ErrNoRun
		}
		r, err := DecodeRun(v)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		if r.ID != 0 {
			if err := putJSON(b, seqKey(r.ID), r); err != nil {
				return err
			}
		}
		if latest := meta.Get(keyRun); latest != nil {
			if l, err := DecodeRun(latest); err == nil && l.ID == r.ID {
				return putJSON(meta, keyRun, r)
			}
		}
		return nil
	})
}

// EndRun marks the current command finished, or interrupted with work
// half done (kept for resume).
func (j *Journal) EndRun(interrupted bool) error {
	id, _ := j.currentID()
	return j.updateCommand("end run", id, func(r *Run) error {
		r.Interrupted = interrupted
		r.Finished = nil
		if !interrupted {
			t := j.stamp()
			r.Finished = &t
		}
		return nil
	})
}

// FinishRun marks the recorded command id finished without running it: a
// later command did its work (a new rehearsal finishes an old one).
func (j *Journal) FinishRun(id uint64) error {
	return j.updateCommand("finish run", id, func(r *Run) error {
		t := j.stamp()
		r.Finished, r.Interrupted = &t, false
		return nil
	})
}

// AbandonRun marks the unfinished command id abandoned: the operator said
// resume must not finish it. Its units keep the phases they reached.
func (j *Journal) AbandonRun(id uint64) error {
	return j.updateCommand("abandon run", id, func(r *Run) error {
		t := j.stamp()
		r.Abandoned = &t
		return nil
	})
}

// ErrNoRun means the journal records no command yet.
var ErrNoRun = errors.New("journal records no run")

// Run returns the latest recorded command, or ErrNoRun.
func (j *Journal) Run() (Run, error) {
	var r Run
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil {
			return ErrNoRun
		}
		v := b.Get(keyRun)
		if v == nil {
			return ErrNoRun
		}
		var err error
		r, err = DecodeRun(v)
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("journal read run: %w", err)
	}
	return r, nil
}

// Unfinished returns every command neither finished nor abandoned, oldest
// first. A journal written before commands had IDs gives its one
// unfinished run with ID 0.
func (j *Journal) Unfinished() ([]Run, error) {
	var out []Run
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCommands)
		if b == nil {
			meta := tx.Bucket(bucketMeta)
			if meta == nil {
				return nil
			}
			v := meta.Get(keyRun)
			if v == nil {
				return nil
			}
			r, err := DecodeRun(v)
			if err != nil {
				return err
			}
			if r.Finished == nil && r.Abandoned == nil {
				out = append(out, r)
			}
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			r, err := DecodeRun(v)
			if err != nil {
				return err
			}
			if r.Finished == nil && r.Abandoned == nil {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal read commands: %w", err)
	}
	return out, nil
}

// PutFindings records the findings summary of one unit.
func (j *Journal) PutFindings(f Findings) error {
	return j.update("findings "+f.Unit, func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketFindings), []byte(f.Unit), f)
	})
}

// Findings returns every findings summary, by unit id.
func (j *Journal) Findings() (map[string]Findings, error) {
	out, err := readAll(j, bucketFindings, DecodeFindings)
	if err != nil {
		return nil, fmt.Errorf("journal read findings: %w", err)
	}
	return out, nil
}

// HashFile returns the hex SHA-256 of the file at path: the inventory
// fingerprint Run records.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash inventory: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash inventory %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

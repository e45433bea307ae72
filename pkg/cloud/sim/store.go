package sim

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/migrate-tool/migrate/pkg/boltsnap"
	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The state directory <stateDir>/sim/ holds:
//
//   - sim.db: a bbolt file holding the whole cloud. Bucket meta: format (the
//     layout's version), instance (a random id made with the cloud, so a Sim
//     notices the file being replaced under it) and counters (the
//     generation, bumped by every write, and the operation and read
//     counters the faults derive from). Bucket estate: estate (estateDoc,
//     written once; in a bucket of its own because bbolt rewrites the
//     whole leaf of a changed key, and meta changes at every write). Buckets units,
//     vms, armVms, disks, images and nics: one JSON value per folded key.
//     Bucket finished: operation id (8 bytes big-endian) to its outcome.
//     Bucket history: the operations received, keyed by the bucket's
//     sequence, in order.
//   - lock: the flock a writing access holds for one read-modify-write. It
//     is a blocking flock on a file of its own because bbolt's own lock on
//     sim.db is polled every 50 ms; bbolt's lock stays as a second line
//     (a deleted lock file lets two writers in, and bbolt still serializes
//     them).
//   - disks/ and corrupt-disks (compute.go).
//
// Each changing call is one bbolt transaction holding its state change and
// its history lines, so both are saved or neither is; bbolt's copy-on-write
// commit means a crash leaves the last committed transaction, never a torn
// one. Each Sim keeps the state decoded in memory and re-reads it only when
// another Sim (this process or another) committed since: the generation in
// meta/counters says so. An access that finds sim.db's last transaction id
// (read from its meta pages) unchanged does not even open it unless it has
// something to write.
//
// A writing access opens sim.db, works in one transaction and closes it
// again, so other processes (a `migrate resume` after a `migrate run`, `sim
// serve` beside a CLI) take turns on the one cloud. Readers (OpenReadOnly)
// take no lock at all: they read a boltsnap copy, so they answer while a
// writer holds the file, and change nothing under the state directory.
//
// Damage is reported, never repaired: sim.db is checked with bbolt's own
// consistency check when it is opened, a file shorter than its meta page
// says is refused before anything maps it, bbolt's panics and memory faults
// on a damaged page are turned into a *DamageError, and an entry that does
// not decode names its bucket and key.

// File names inside <stateDir>/sim/.
const (
	dbFile   = "sim.db"
	lockFile = "lock"
	// formatVersion is meta/format. 1 and 2 were the JSON layouts of the
	// previous releases (legacyFiles).
	formatVersion = "3"
	// boltTimeout bounds the wait for bbolt's own lock, which only another
	// writer that went around the lock file can hold.
	boltTimeout = 30 * time.Second
)

// legacyFiles are what the previous releases kept in <stateDir>/sim/.
var legacyFiles = []string{"estate.json", "state.json", "state.log", "history.jsonl"}

var (
	bucketMeta     = []byte("meta")
	bucketEstate   = []byte("estate")
	bucketUnits    = []byte("units")
	bucketVMs      = []byte("vms")
	bucketARMVMs   = []byte("armVms")
	bucketDisks    = []byte("disks")
	bucketImages   = []byte("images")
	bucketNICs     = []byte("nics")
	bucketFinished = []byte("finished")
	bucketHistory  = []byte("history")
	// bucketAvSets and bucketVHDs came with the disk step's issue 10: a
	// file written before has neither, so they are read as empty when
	// missing and made by the first write that needs them (the layout is
	// otherwise unchanged, so the format stays 3).
	bucketAvSets = []byte("availabilitySets")
	bucketVHDs   = []byte("vhds")

	allBuckets = [][]byte{bucketMeta, bucketEstate, bucketUnits, bucketVMs, bucketARMVMs, bucketDisks,
		bucketImages, bucketNICs, bucketFinished, bucketHistory}
	laterBuckets = [][]byte{bucketAvSets, bucketVHDs}

	keyFormat   = []byte("format")
	keyInstance = []byte("instance")
	keyEstate   = []byte("estate")
	keyCounters = []byte("counters")
)

// ErrNoCloud means the state directory holds no simulated cloud: nothing
// has been run against the simulator there yet. It satisfies
// errors.Is(err, fs.ErrNotExist) too.
var ErrNoCloud = fmt.Errorf("no simulated cloud in the state directory yet: %w", fs.ErrNotExist)

// ErrReadOnly answers a changing call on a Sim opened with OpenReadOnly.
var ErrReadOnly = errors.New("the simulator was opened read-only")

// LegacyError refuses a state directory written by a previous release (the
// JSON files of LegacyFiles, no sim.db). Nothing was read into the new
// format and nothing was changed.
type LegacyError struct {
	// Dir is <stateDir>/sim.
	Dir string
	// Files are the previous release's files found there.
	Files []string
}

func (e *LegacyError) Error() string {
	return fmt.Sprintf("%s holds a simulated cloud written by an earlier release of migrate (%s), which this release does not read: "+
		"finish or abort that migration with the release that started it, or move %s aside to start a new simulated cloud (every unit in None)",
		e.Dir, strings.Join(e.Files, ", "), e.Dir)
}

// DamageError reports a simulator state file that cannot be read as
// written: cut short, a damaged page, an entry that does not decode. It is
// never repaired: the file is left as found.
type DamageError struct {
	// Path is sim.db's path.
	Path string
	// What names the damaged part (a bucket and key, "the file").
	What string
	Err  error
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("the simulated cloud's state %s is damaged (%s: %v): nothing was changed; "+
		"move %s aside to start a new simulated cloud", e.Path, e.What, e.Err, filepath.Dir(e.Path))
}

func (e *DamageError) Unwrap() error { return e.Err }

// estateDoc is estate/estate.
type estateDoc struct {
	// Estate is the classic estate as first built from the inventory. It
	// never changes: what stands now is derived from it and the units'
	// states.
	Estate *inventory.Inventory `json:"estate"`
	// ContentSeed is Options.Seed of the Open that built the cloud: the
	// classic disks' generated content derives from it, so every process
	// sees the same bytes whatever seed it passes.
	ContentSeed int64 `json:"contentSeed,omitempty"`
	// Profile is the inventory's target.cloud when the cloud was built
	// (profile.go); "" (a cloud built before profiles) is AzurePublic.
	Profile string `json:"profile,omitempty"`
}

// counters is meta/counters.
type counters struct {
	// Gen is bumped by every committed write.
	Gen uint64 `json:"gen"`
	// Seq numbers every operation received (history), ReadSeq every faulted
	// read; fault decisions derive from (seed, counter), so every process
	// continues one sequence.
	Seq     int64 `json:"seq"`
	ReadSeq int64 `json:"readSeq"`
	// WriteTokens and WriteAt are the Resource Manager write budget left
	// and when it was last spent (throttle.go); a zero WriteAt is a full
	// budget.
	WriteTokens float64   `json:"writeTokens,omitempty"`
	WriteAt     time.Time `json:"writeAt,omitzero"`
	// SimNow is the simulated clock, an offset from the cloud's creation
	// (timing.go).
	SimNow time.Duration `json:"simNow,omitempty"`
}

// persisted is the mutable state of the simulated cloud as each Sim keeps
// it decoded in memory. Every process that opens the same state directory
// changes it only under the flock, so they all see one cloud.
type persisted struct {
	// Units are the migration states, keyed by the folded unit id.
	Units map[string]*unitState
	// VMs hold per-VM state keyed by the folded VM resource id
	// (cloudservice/<cs>/<vm>).
	VMs map[string]*vmState
	// Seq, ReadSeq, WriteTokens and WriteAt: see counters.
	Seq, ReadSeq int64
	WriteTokens  float64
	WriteAt      time.Time
	SimNow       time.Duration
	// Finished holds the outcome of every operation that ran, by id (the
	// Seq of the call that started it), for Poll.
	Finished map[int64]finished

	// The disk step's Resource Manager compute (compute.go): VMs made by
	// Commit, managed disks, images and NICs, keyed by the folded
	// "<resource group>/<name>".
	ARMVMs map[string]*cloud.VM
	Disks  map[string]*managedDisk
	Images map[string]*cloud.Image
	NICs   map[string]string
	// AvSets are the Resource Manager availability sets (availability.go)
	// and VHDs the page blobs' write generations and snapshots
	// (snapshot.go), keyed like ARMVMs and by folded VHD URI.
	AvSets map[string]*availabilitySet
	VHDs   map[string]*vhdState

	// changed names the entries the current access changed: its
	// transaction writes them.
	changed changes
	// ops are the history lines of the current access.
	ops []Operation
	// watch holds the units that may have an operation in flight (a
	// superset), so resolving due operations does not scan every unit.
	watch map[string]struct{}
}

// changes is a set of changed entries per map of persisted.
type changes struct {
	units, vms, armVMs, disks, images, nics map[string]struct{}
	avSets, vhds                            map[string]struct{}
	finished                                []int64
}

func mark(m *map[string]struct{}, k string) {
	if *m == nil {
		*m = map[string]struct{}{}
	}
	(*m)[k] = struct{}{}
}

func (p *persisted) touchUnit(k string) {
	mark(&p.changed.units, k)
	mark(&p.watch, k)
}
func (p *persisted) touchVM(k string)    { mark(&p.changed.vms, k) }
func (p *persisted) touchARMVM(k string) { mark(&p.changed.armVMs, k) }
func (p *persisted) touchDisk(k string)  { mark(&p.changed.disks, k) }
func (p *persisted) touchImage(k string) { mark(&p.changed.images, k) }
func (p *persisted) touchNIC(k string)   { mark(&p.changed.nics, k) }
func (p *persisted) touchAvSet(k string) { mark(&p.changed.avSets, k) }
func (p *persisted) touchVHD(k string)   { mark(&p.changed.vhds, k) }

// forget drops the current access's change set.
func (p *persisted) forget() {
	p.changed = changes{}
	p.ops = nil
}

// fill makes every map non-nil and finds the units with an operation in
// flight.
func (p *persisted) fill() {
	p.Units = nonNil(p.Units)
	p.VMs = nonNil(p.VMs)
	p.ARMVMs = nonNil(p.ARMVMs)
	p.Disks = nonNil(p.Disks)
	p.Images = nonNil(p.Images)
	p.AvSets = nonNil(p.AvSets)
	p.VHDs = nonNil(p.VHDs)
	if p.NICs == nil {
		p.NICs = map[string]string{}
	}
	if p.Finished == nil {
		p.Finished = map[int64]finished{}
	}
	p.watch = map[string]struct{}{}
	for k, u := range p.Units {
		if u.Pending != nil {
			p.watch[k] = struct{}{}
		}
	}
}

func nonNil[V any](m map[string]*V) map[string]*V {
	if m == nil {
		return map[string]*V{}
	}
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	return m
}

// unitState is one unit's migration state and what its operations made.
type unitState struct {
	ID    string      `json:"id"`
	State cloud.State `json:"state"`
	// Pending is the operation in flight, if any; resolved by the first
	// access after its Due time.
	Pending *pending `json:"pending,omitempty"`
	// Failure is the error of the operation that left the unit in a *Failed
	// state.
	Failure *failure `json:"failure,omitempty"`
	// Resources are the Resource Manager resources Prepare made (Committed
	// false) and Commit finished (Committed true).
	Resources []ARMResource `json:"resources,omitempty"`
}

// pending is an asynchronous operation the cloud is running.
type pending struct {
	// Seq is the operation's id: the Seq of the call that started it.
	Seq     int64       `json:"seq"`
	Op      string      `json:"op"`
	Due     time.Time   `json:"due"`
	Final   cloud.State `json:"final"`
	Failure *failure    `json:"failure,omitempty"`
	// SimStart and SimEnd are when it starts and ends in simulated time
	// (timing.go).
	SimStart time.Duration `json:"simStart,omitempty"`
	SimEnd   time.Duration `json:"simEnd,omitempty"`
}

// finished is the outcome of an operation that ran.
type finished struct {
	Op      string   `json:"op"`
	Unit    string   `json:"unit"`
	Failure *failure `json:"failure,omitempty"`
}

func (f finished) outcome() error {
	if f.Failure == nil {
		return nil
	}
	return &cloud.OperationError{Op: f.Op, Unit: f.Unit, Code: f.Failure.Code, Message: f.Failure.Message}
}

// failure is an OperationError's code and message.
type failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// vmState is what the cloud knows about one VM beyond the estate.
type vmState struct {
	// PowerState overrides the estate's role state once an operation changed
	// it (Prepare and Abort stop and deallocate VMs not in a VNet while they
	// run).
	PowerState string `json:"powerState,omitempty"`
	// ReturnTo is the power state the VM had when a Prepare or Abort
	// deallocated it, restored (a running VM started again) when that
	// operation ends.
	ReturnTo string `json:"returnTo,omitempty"`
}

// store is the state directory and one Sim's decoded copy of its state.
// Its methods are called holding the Sim's mutex.
type store struct {
	dir string
	// lock is the lock file's flock (writers); nil when read-only.
	lock *flock.Flock
	// snap is the copy a read-only Sim reads; nil when writing.
	snap *boltsnap.Snapshot

	// instance is meta/instance of the cloud this Sim opened.
	instance string
	// p is the state as of generation gen; nil until loaded, or after a
	// failed write left memory ahead of the file.
	p   *persisted
	gen uint64
	// seen is sim.db's identity and last bbolt transaction id as of p: an
	// access finding both unchanged (under the flock, so no writer is
	// between them) uses p without opening bbolt at all, since opening
	// and closing it (an mmap and a munmap) cost most of a read.
	seen fileMark

	// crashAt, if set, runs at the named points of a write ("commit":
	// before the transaction commits; "committed": after): tests kill a
	// process there.
	crashAt func(point string)
}

func (s *store) crashPoint(name string) {
	if s.crashAt != nil {
		s.crashAt(name)
	}
}

func (s *store) path(name string) string { return filepath.Join(s.dir, name) }

func (s *store) damage(what string, err error) error {
	return &DamageError{Path: s.path(dbFile), What: what, Err: err}
}

// legacy returns a *LegacyError when dir holds a previous release's files
// and no sim.db. It only looks.
func legacy(dir string) error {
	if _, err := os.Lstat(filepath.Join(dir, dbFile)); err == nil {
		return nil
	}
	var found []string
	for _, name := range legacyFiles {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			found = append(found, name)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return &LegacyError{Dir: dir, Files: found}
}

// openStore prepares a writing store over <stateDir>/sim: it refuses a
// previous release's directory before creating anything, then creates the
// directory (0700).
func openStore(stateDir string) (*store, error) {
	dir := filepath.Join(stateDir, "sim")
	if err := legacy(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create sim state directory: %w", err)
	}
	return &store{dir: dir, lock: flock.New(filepath.Join(dir, lockFile), flock.SetPermissions(0o600))}, nil
}

// guard runs fn, turning bbolt's panics and memory faults on a damaged file
// into a *DamageError. Only code reading or writing sim.db runs under it,
// so a bug elsewhere still panics as one.
func (s *store) guard(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			s.p = nil
			err = s.damage("the file", fmt.Errorf("%v", r))
		}
	}()
	return fn()
}

// openDB opens sim.db for writing. Unless create, the file must exist and
// not be empty: bbolt would make a new cloud of a missing or emptied file,
// silently dropping the one that was there.
func (s *store) openDB(create bool) (*bolt.DB, error) {
	path := s.path(dbFile)
	o := &bolt.Options{Timeout: boltTimeout}
	if !create {
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sim state %s is gone from the state directory", path)
		}
		if err != nil {
			return nil, fmt.Errorf("open sim state: %w", err)
		}
		if fi.Size() == 0 {
			return nil, s.damage("the file", errors.New("it is empty"))
		}
		o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			return os.OpenFile(name, flag&^os.O_CREATE, perm)
		}
	}
	db, err := bolt.Open(path, 0o600, o)
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("sim state %s is held by another process that did not take %s", path, s.path(lockFile))
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, s.damage("the file", err)
	case err != nil:
		return nil, fmt.Errorf("open sim state %s: %w", path, err)
	}
	return db, nil
}

// checkFile is run once per Open: the file is as long as its meta page
// says (a cut file would fault where bbolt maps pages past its end), and
// bbolt's consistency check passes.
func (s *store) checkFile(tx *bolt.Tx, fileSize int64) error {
	if want := tx.Size(); fileSize < want {
		return s.damage("the file", fmt.Errorf("cut short: %d bytes, its last transaction wrote %d", fileSize, want))
	}
	var errs []error
	for err := range tx.Check() { // drained whole: Check's goroutine blocks otherwise
		if len(errs) < 5 {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return s.damage("bbolt consistency check", errors.Join(errs...))
	}
	return nil
}

// loadEstate reads estate/estate and meta/instance; an empty file (a crash
// between bbolt's initialisation of a new file and the transaction that
// builds the cloud) is (nil, nil).
func (s *store) loadEstate(tx *bolt.Tx) (*estateDoc, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if empty {
			return nil, nil
		}
		return nil, s.damage("bucket meta", errors.New("missing"))
	}
	if f := string(meta.Get(keyFormat)); f != formatVersion {
		return nil, fmt.Errorf("sim state %s: format %q, this build reads %s", s.path(dbFile), f, formatVersion)
	}
	for _, b := range allBuckets {
		if tx.Bucket(b) == nil {
			return nil, s.damage("bucket "+string(b), errors.New("missing"))
		}
	}
	var e estateDoc
	if err := json.Unmarshal(tx.Bucket(bucketEstate).Get(keyEstate), &e); err != nil {
		return nil, s.damage("estate/estate", err)
	}
	if e.Estate == nil {
		return nil, s.damage("estate/estate", errors.New("no estate"))
	}
	s.instance = string(meta.Get(keyInstance))
	return &e, nil
}

// create builds a new cloud in one transaction: estate, instance, every
// unit's state. A crash before it commits leaves an empty file, which the
// next Open builds again.
func (s *store) create(db *bolt.DB, e *estateDoc, p *persisted) error {
	eb, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode sim estate: %w", err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("make sim instance id: %w", err)
	}
	instance := hex.EncodeToString(id[:])
	for k := range p.Units {
		mark(&p.changed.units, k)
	}
	err = s.guard(func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, b := range slices.Concat(allBuckets, laterBuckets) {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return fmt.Errorf("create sim bucket %s: %w", b, err)
				}
			}
			meta := tx.Bucket(bucketMeta)
			for k, v := range map[string][]byte{string(keyFormat): []byte(formatVersion), string(keyInstance): []byte(instance)} {
				if err := meta.Put([]byte(k), v); err != nil {
					return fmt.Errorf("write sim meta/%s: %w", k, err)
				}
			}
			if err := tx.Bucket(bucketEstate).Put(keyEstate, eb); err != nil {
				return fmt.Errorf("write sim estate: %w", err)
			}
			return s.save(tx, p, 0)
		})
	})
	p.forget()
	if err != nil {
		return fmt.Errorf("create sim state: %w", err)
	}
	s.instance, s.p, s.gen = instance, p, 1
	return nil
}

// fileMark identifies one committed state of sim.db.
type fileMark struct {
	dev, ino uint64
	txid     uint64
}

// mark reads sim.db's identity and last transaction id; ok is false when
// it cannot be read (the slow path then reports why).
func (s *store) mark() (fileMark, bool) {
	f, err := os.Open(s.path(dbFile))
	if err != nil {
		return fileMark{}, false
	}
	defer func() { _ = f.Close() }() // read-only
	fi, err := f.Stat()
	if err != nil {
		return fileMark{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileMark{}, false
	}
	txid, err := boltsnap.LastTxid(f)
	if err != nil || txid == 0 {
		return fileMark{}, false
	}
	return fileMark{dev: uint64(st.Dev), ino: st.Ino, txid: txid}, true
}

// access runs fn on the up-to-date state in one transaction: under the
// flock, with sim.db open for writing, when writing; on the snapshot when
// read-only. When fn reports dirty, what it changed (p.changed, p.ops) is
// written in the same transaction, with the counters; a read-only store
// only forgets it (the changes a reader makes are resolutions of due
// operations, which the next writer makes too). fn must not change
// anything when it reports dirty false.
//
// Without needTx, fn gets a nil tx, and when nothing was committed since
// this store last looked (the file's identity and transaction id
// unchanged) fn runs on the decoded state without opening sim.db; only
// what it changed then opens it, to write.
func (s *store) access(needTx bool, fn func(tx *bolt.Tx, p *persisted) (dirty bool, err error)) (err error) {
	if s.snap != nil {
		return s.view(fn)
	}
	if err := s.lock.Lock(); err != nil {
		return fmt.Errorf("lock sim state: %w", err)
	}
	defer func() {
		if uerr := s.lock.Unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("unlock sim state: %w", uerr)
		}
	}()
	if !needTx && s.p != nil && s.seen.txid != 0 {
		if m, ok := s.mark(); ok && m == s.seen {
			dirty, ferr := fn(nil, s.p)
			if !dirty {
				s.p.forget()
				return ferr
			}
			return s.write(ferr)
		}
	}
	var db *bolt.DB
	if err := s.guard(func() (err error) { db, err = s.openDB(false); return err }); err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close sim state: %w", cerr)
		}
	}()
	var tx *bolt.Tx
	err = s.guard(func() error {
		var err error
		if tx, err = db.Begin(true); err != nil {
			return fmt.Errorf("read sim state: %w", err)
		}
		return s.sync(tx)
	})
	if err != nil {
		if tx != nil {
			_ = tx.Rollback()
		}
		return err
	}
	dirty, ferr := fn(tx, s.p)
	if !dirty {
		s.p.forget()
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(ferr, fmt.Errorf("end sim state read: %w", rerr))
		}
		s.remember(db)
		return ferr
	}
	return s.commit(db, tx, ferr)
}

// write opens sim.db and saves what fn changed in s.p, for an access that
// ran fn without it. The flock has been held since the file was seen
// unchanged, so the transaction must find the generation p is at.
func (s *store) write(ferr error) (err error) {
	var db *bolt.DB
	if err := s.guard(func() (err error) { db, err = s.openDB(false); return err }); err != nil {
		s.p = nil
		return errors.Join(ferr, err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close sim state: %w", cerr)
		}
	}()
	p := s.p
	var tx *bolt.Tx
	err = s.guard(func() error {
		var err error
		if tx, err = db.Begin(true); err != nil {
			return fmt.Errorf("read sim state: %w", err)
		}
		if err := s.sync(tx); err != nil {
			return err
		}
		if s.p != p {
			return fmt.Errorf("sim state %s changed without its lock file being held", s.path(dbFile))
		}
		return nil
	})
	if err != nil {
		if tx != nil {
			_ = tx.Rollback()
		}
		p.forget()
		s.p = nil
		return errors.Join(ferr, err)
	}
	return s.commit(db, tx, ferr)
}

// commit saves the current access's changes in tx and commits it; ferr is
// fn's own error, returned with any of the write's.
func (s *store) commit(db *bolt.DB, tx *bolt.Tx, ferr error) error {
	p := s.p
	err := s.guard(func() error {
		if err := s.save(tx, p, s.gen); err != nil {
			return err
		}
		s.crashPoint("commit")
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("write sim state: %w", err)
		}
		return nil
	})
	p.forget()
	if err != nil {
		_ = tx.Rollback()
		s.p = nil // memory is ahead of the file: reload next time
		s.seen = fileMark{}
		return errors.Join(ferr, err)
	}
	s.gen++
	s.remember(db)
	s.crashPoint("committed")
	return ferr
}

// remember records the file's mark as of the state in memory, read while
// db is still open and the flock held.
func (s *store) remember(db *bolt.DB) {
	s.seen = fileMark{}
	if m, ok := s.mark(); ok {
		var txid uint64
		if db.View(func(tx *bolt.Tx) error { txid = uint64(tx.ID()); return nil }) == nil && txid == m.txid {
			s.seen = m
		}
	}
}

// view is access for a read-only store.
func (s *store) view(fn func(tx *bolt.Tx, p *persisted) (bool, error)) error {
	var tx *bolt.Tx
	if err := s.guard(func() (err error) { tx, err = s.snap.DB.Begin(false); return err }); err != nil {
		return fmt.Errorf("read sim state: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a read transaction: nothing to undo
	_, err := fn(tx, s.p)
	s.p.forget()
	return err
}

// sync brings the decoded state up to date: nothing to do when no other
// Sim committed since this one last looked, a reload otherwise.
func (s *store) sync(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return s.damage("bucket meta", errors.New("missing"))
	}
	if got := string(meta.Get(keyInstance)); got != s.instance {
		return fmt.Errorf("the simulated cloud in %s was replaced by another one while this process had it open", s.dir)
	}
	var c counters
	if err := json.Unmarshal(meta.Get(keyCounters), &c); err != nil {
		return s.damage("meta/counters", err)
	}
	if s.p != nil && c.Gen == s.gen {
		return nil
	}
	s.p = nil
	p := &persisted{Seq: c.Seq, ReadSeq: c.ReadSeq, WriteTokens: c.WriteTokens, WriteAt: c.WriteAt, SimNow: c.SimNow, Units: map[string]*unitState{}, VMs: map[string]*vmState{},
		ARMVMs: map[string]*cloud.VM{}, Disks: map[string]*managedDisk{}, Images: map[string]*cloud.Image{},
		NICs: map[string]string{}, Finished: map[int64]finished{},
		AvSets: map[string]*availabilitySet{}, VHDs: map[string]*vhdState{}}
	if err := errors.Join(
		loadBucket(s, tx, bucketUnits, p.Units),
		loadBucket(s, tx, bucketVMs, p.VMs),
		loadBucket(s, tx, bucketARMVMs, p.ARMVMs),
		loadBucket(s, tx, bucketDisks, p.Disks),
		loadBucket(s, tx, bucketImages, p.Images),
		loadBucket(s, tx, bucketAvSets, p.AvSets),
		loadBucket(s, tx, bucketVHDs, p.VHDs),
	); err != nil {
		return err
	}
	if err := tx.Bucket(bucketNICs).ForEach(func(k, v []byte) error {
		var owner string
		if err := json.Unmarshal(v, &owner); err != nil {
			return s.damage(fmt.Sprintf("nics/%s", k), err)
		}
		p.NICs[string(k)] = owner
		return nil
	}); err != nil {
		return err
	}
	if err := tx.Bucket(bucketFinished).ForEach(func(k, v []byte) error {
		var f finished
		if len(k) != 8 {
			return s.damage(fmt.Sprintf("finished/%x", k), errors.New("not an operation id"))
		}
		if err := json.Unmarshal(v, &f); err != nil {
			return s.damage(fmt.Sprintf("finished/%d", binary.BigEndian.Uint64(k)), err)
		}
		p.Finished[int64(binary.BigEndian.Uint64(k))] = f
		return nil
	}); err != nil {
		return err
	}
	p.fill()
	s.p, s.gen = p, c.Gen
	return nil
}

// loadBucket decodes every entry of bucket name into m; one that does not
// decode (or decodes to null) is damage, named by bucket and key. A missing
// bucket of laterBuckets is empty (checkBuckets refused other missing ones).
func loadBucket[V any](s *store, tx *bolt.Tx, name []byte, m map[string]*V) error {
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var x *V
		if err := json.Unmarshal(v, &x); err != nil {
			return s.damage(fmt.Sprintf("%s/%s", name, k), err)
		}
		if x == nil {
			return s.damage(fmt.Sprintf("%s/%s", name, k), errors.New("null"))
		}
		m[string(k)] = x
		return nil
	})
}

// save writes the current access's changes, history lines and counters
// (generation gen+1) into tx.
func (s *store) save(tx *bolt.Tx, p *persisted, gen uint64) error {
	if err := errors.Join(
		saveBucket(tx, bucketUnits, p.Units, p.changed.units),
		saveBucket(tx, bucketVMs, p.VMs, p.changed.vms),
		saveBucket(tx, bucketARMVMs, p.ARMVMs, p.changed.armVMs),
		saveBucket(tx, bucketDisks, p.Disks, p.changed.disks),
		saveBucket(tx, bucketImages, p.Images, p.changed.images),
		saveBucket(tx, bucketAvSets, p.AvSets, p.changed.avSets),
		saveBucket(tx, bucketVHDs, p.VHDs, p.changed.vhds),
	); err != nil {
		return err
	}
	nics := tx.Bucket(bucketNICs)
	for k := range p.changed.nics {
		var err error
		if owner, ok := p.NICs[k]; ok {
			err = putJSON(nics, []byte(k), owner)
		} else {
			err = nics.Delete([]byte(k))
		}
		if err != nil {
			return fmt.Errorf("write sim nics/%s: %w", k, err)
		}
	}
	fin := tx.Bucket(bucketFinished)
	for _, id := range p.changed.finished {
		if err := putJSON(fin, binary.BigEndian.AppendUint64(nil, uint64(id)), p.Finished[id]); err != nil {
			return fmt.Errorf("write sim finished/%d: %w", id, err)
		}
	}
	hist := tx.Bucket(bucketHistory)
	for _, op := range p.ops {
		n, err := hist.NextSequence()
		if err == nil {
			err = putJSON(hist, binary.BigEndian.AppendUint64(nil, n), op)
		}
		if err != nil {
			return fmt.Errorf("write sim history: %w", err)
		}
	}
	if err := putJSON(tx.Bucket(bucketMeta), keyCounters, counters{Gen: gen + 1, Seq: p.Seq, ReadSeq: p.ReadSeq, WriteTokens: p.WriteTokens, WriteAt: p.WriteAt, SimNow: p.SimNow}); err != nil {
		return fmt.Errorf("write sim counters: %w", err)
	}
	return nil
}

func saveBucket[V any](tx *bolt.Tx, name []byte, m map[string]*V, keys map[string]struct{}) error {
	if len(keys) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(name)
	if err != nil {
		return fmt.Errorf("create sim bucket %s: %w", name, err)
	}
	for k := range keys {
		var err error
		if v, ok := m[k]; ok && v != nil {
			err = putJSON(b, []byte(k), v)
		} else {
			err = b.Delete([]byte(k))
		}
		if err != nil {
			return fmt.Errorf("write sim %s/%s: %w", name, k, err)
		}
	}
	return nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

// history reads every operation received, in order.
func (s *store) history(tx *bolt.Tx) ([]Operation, error) {
	var ops []Operation
	err := s.guard(func() error {
		return tx.Bucket(bucketHistory).ForEach(func(k, v []byte) error {
			var op Operation
			if err := json.Unmarshal(v, &op); err != nil {
				return s.damage(fmt.Sprintf("history/%x", k), err)
			}
			ops = append(ops, op)
			return nil
		})
	})
	return ops, err
}

// openReadOnly opens a read-only store over <stateDir>/sim: a boltsnap copy
// of sim.db, checked and decoded. It creates nothing under stateDir.
func openReadOnly(ctx context.Context, stateDir string) (*store, *estateDoc, error) {
	dir := filepath.Join(stateDir, "sim")
	if err := legacy(dir); err != nil {
		return nil, nil, err
	}
	s := &store{dir: dir}
	fi, err := os.Stat(s.path(dbFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNoCloud
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open sim state: %w", err)
	}
	if fi.Size() == 0 {
		return nil, nil, s.damage("the file", errors.New("it is empty"))
	}
	var snapErr error
	_ = s.guard(func() error { s.snap, snapErr = boltsnap.Open(ctx, s.path(dbFile)); return nil })
	if s.snap == nil {
		if snapErr == nil || errors.Is(snapErr, boltsnap.ErrBusy) || errors.Is(snapErr, ctx.Err()) || errors.Is(snapErr, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("read sim state: %w", errors.Join(snapErr, errors.New("no snapshot")))
		}
		return nil, nil, s.damage("the file", snapErr)
	}
	var e *estateDoc
	err = s.guard(func() error {
		return s.snap.DB.View(func(tx *bolt.Tx) error {
			fi, err := os.Stat(s.snap.DB.Path())
			if err != nil {
				return fmt.Errorf("read sim state snapshot: %w", err)
			}
			if err := s.checkFile(tx, fi.Size()); err != nil {
				return err
			}
			if e, err = s.loadEstate(tx); err != nil {
				return err
			}
			if e == nil {
				return ErrNoCloud
			}
			return s.sync(tx)
		})
	})
	if err != nil {
		_ = s.snap.Close()
		return nil, nil, err
	}
	return s, e, nil
}

func (s *store) close() error {
	if s.snap != nil {
		if err := s.snap.Close(); err != nil {
			return fmt.Errorf("close sim state snapshot: %w", err)
		}
		return nil
	}
	if err := s.lock.Close(); err != nil {
		return fmt.Errorf("close sim lock file: %w", err)
	}
	return nil
}

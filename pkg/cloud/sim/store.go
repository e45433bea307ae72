package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The state directory <stateDir>/sim/ holds:
//
//   - estate.json: the classic estate as first built from the inventory and
//     the content seed. Written once (atomically) and never changed, so each
//     Sim decodes it once, at Open.
//   - state.json: a snapshot of the mutable state (persisted), as of
//     generation Gen. Replaced atomically (temp file, fsync, rename, fsync
//     of the directory) only when the log is compacted.
//   - state.log: the changes since the snapshot, one JSON record a line
//     (record), appended with O_APPEND and fsync. Record n+1 holds the new
//     values of exactly the entries one access changed and the history
//     lines of the calls it answered, so a changing call costs what it
//     changed, not the size of the estate or of the history, and its
//     history line and its effect are saved together or not at all.
//   - history.jsonl: the history of the compacted records (Operation, one
//     a line), appended at each compaction, never rewritten; History reads
//     it, then the history lines of the log.
//   - lock: the flock every access holds, and the log's epoch (a decimal
//     number at its start), bumped each time the log is compacted.
//
// Each Sim keeps the state decoded in memory and, under the flock, checks
// whether another Sim (this process or another) changed it: the epoch is
// unchanged and the log has the size it knows means nothing changed (one
// pread and one fstat); a longer log is read from where it stopped; another
// epoch means a reload of snapshot and log.
//
// Crashes: only complete, decodable lines count. A record cut short by a
// crash (no newline, or not JSON) at the end of the log was never
// acknowledged: the call was not received (no history line, no effect, as
// when the platform drops a request); the next access under the flock cuts
// it off. A compaction bumps the epoch first (every other Sim reloads from
// the files), appends the log's history lines to history.jsonl, writes the
// snapshot with the history's new size (HistEnd), then empties the log. A
// crash before the snapshot leaves history lines beyond the old snapshot's
// HistEnd that the log still holds: a reload cuts them off. A crash after it
// leaves log records the snapshot holds: replay skips them by generation.

// File names inside <stateDir>/sim/.
const (
	estateFile  = "estate.json"
	stateFile   = "state.json"
	logFile     = "state.log"
	historyFile = "history.jsonl"
	lockFile    = "lock"
	// stateVersion is bumped when the persisted shape changes incompatibly.
	// Version 1 was one state.json holding estate, state and history.
	stateVersion = 2
	// compactMin is the log size below which it is never compacted; above
	// it, it is compacted once larger than the snapshot, so compaction costs
	// O(1) amortized per byte appended.
	compactMin = 1 << 20
	// epochBytes is how much of the lock file holds the epoch.
	epochBytes = 20
)

// estateDoc is estate.json.
type estateDoc struct {
	Version int `json:"version"`
	// Estate is the classic estate as first built from the inventory. It
	// never changes: what stands now is derived from it and the units'
	// states.
	Estate *inventory.Inventory `json:"estate"`
	// ContentSeed is Options.Seed of the Open that built the cloud: the
	// classic disks' generated content derives from it, so every process
	// sees the same bytes whatever seed it passes.
	ContentSeed int64 `json:"contentSeed,omitempty"`
}

// persisted is the mutable state of the simulated cloud: state.json's shape,
// and what each Sim keeps decoded in memory. Every process that opens the
// same state directory changes it only under the flock, so they all see one
// cloud.
type persisted struct {
	Version int `json:"version"`
	// Gen is the number of the last log record applied.
	Gen int64 `json:"gen"`
	// HistEnd is the size of history.jsonl as of this snapshot: the history
	// of every record up to Gen.
	HistEnd int64 `json:"histEnd"`
	// Units are the migration states, keyed by the folded unit id.
	Units map[string]*unitState `json:"units"`
	// VMs hold per-VM state keyed by the folded VM resource id
	// (cloudservice/<cs>/<vm>).
	VMs map[string]*vmState `json:"vms"`
	// Seq numbers every operation received (history), ReadSeq every State
	// read; fault decisions derive from (seed, counter), so every process
	// continues one sequence.
	Seq int64 `json:"seq"`
	// Finished holds the outcome of every operation that ran, by id (the
	// Seq of the call that started it), for Poll.
	Finished map[int64]finished `json:"finished"`
	ReadSeq  int64              `json:"readSeq"`

	// The disk step's Resource Manager compute (compute.go): VMs made by
	// Commit, managed disks, images and NICs, keyed by the folded
	// "<resource group>/<name>".
	ARMVMs map[string]*cloud.VM    `json:"armVms"`
	Disks  map[string]*managedDisk `json:"disks"`
	Images map[string]*cloud.Image `json:"images"`
	NICs   map[string]string       `json:"nics"`

	// changed names the entries the current access changed: the next log
	// record holds them.
	changed changes
	// ops are the history lines of the current access.
	ops []Operation
	// logOps are the history lines of the log's records, not yet in
	// history.jsonl.
	logOps []Operation
	// watch holds the units that may have an operation in flight (a
	// superset), so resolving due operations does not scan every unit.
	watch map[string]struct{}
}

// changes is a set of changed entries per map of persisted.
type changes struct {
	units, vms, armVMs, disks, images, nics map[string]struct{}
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

// record is one line of state.log: the counters after one access and the
// new value of every entry it changed (null: the entry was deleted).
type record struct {
	Gen      int64                   `json:"gen"`
	Ops      []Operation             `json:"ops,omitempty"`
	Seq      int64                   `json:"seq"`
	ReadSeq  int64                   `json:"readSeq"`
	Units    map[string]*unitState   `json:"units,omitempty"`
	VMs      map[string]*vmState     `json:"vms,omitempty"`
	Finished map[int64]finished      `json:"finished,omitempty"`
	ARMVMs   map[string]*cloud.VM    `json:"armVms,omitempty"`
	Disks    map[string]*managedDisk `json:"disks,omitempty"`
	Images   map[string]*cloud.Image `json:"images,omitempty"`
	NICs     map[string]*string      `json:"nics,omitempty"`
}

func pick[V any](all map[string]*V, keys map[string]struct{}) map[string]*V {
	if len(keys) == 0 {
		return nil
	}
	out := make(map[string]*V, len(keys))
	for k := range keys {
		out[k] = all[k] // nil when deleted
	}
	return out
}

// record builds the log record of the current access.
func (p *persisted) record() record {
	r := record{Gen: p.Gen + 1, Ops: p.ops, Seq: p.Seq, ReadSeq: p.ReadSeq,
		Units: pick(p.Units, p.changed.units), VMs: pick(p.VMs, p.changed.vms),
		ARMVMs: pick(p.ARMVMs, p.changed.armVMs), Disks: pick(p.Disks, p.changed.disks),
		Images: pick(p.Images, p.changed.images)}
	if len(p.changed.nics) > 0 {
		r.NICs = make(map[string]*string, len(p.changed.nics))
		for k := range p.changed.nics {
			if v, ok := p.NICs[k]; ok {
				r.NICs[k] = &v
			} else {
				r.NICs[k] = nil
			}
		}
	}
	if len(p.changed.finished) > 0 {
		r.Finished = make(map[int64]finished, len(p.changed.finished))
		for _, id := range p.changed.finished {
			r.Finished[id] = p.Finished[id]
		}
	}
	return r
}

func put[V any](all map[string]*V, set map[string]*V) {
	for k, v := range set {
		if v == nil {
			delete(all, k)
		} else {
			all[k] = v
		}
	}
}

// apply replays a log record.
func (p *persisted) apply(r *record) {
	p.Gen, p.Seq, p.ReadSeq = r.Gen, r.Seq, r.ReadSeq
	p.logOps = append(p.logOps, r.Ops...)
	put(p.Units, r.Units)
	for k := range r.Units {
		mark(&p.watch, k)
	}
	put(p.VMs, r.VMs)
	put(p.ARMVMs, r.ARMVMs)
	put(p.Disks, r.Disks)
	put(p.Images, r.Images)
	for k, v := range r.NICs {
		if v == nil {
			delete(p.NICs, k)
		} else {
			p.NICs[k] = *v
		}
	}
	for id, f := range r.Finished {
		p.Finished[id] = f
	}
}

// forget drops the current access's change set.
func (p *persisted) forget() {
	p.changed = changes{}
	p.ops = nil
}

// fill makes every map non-nil and drops nil entries (a hand-edited or
// damaged file), so no access meets a nil pointer.
func (p *persisted) fill() {
	p.Units = nonNil(p.Units)
	p.VMs = nonNil(p.VMs)
	p.ARMVMs = nonNil(p.ARMVMs)
	p.Disks = nonNil(p.Disks)
	p.Images = nonNil(p.Images)
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
// Its methods are called holding the flock (and the Sim's mutex).
type store struct {
	dir  string
	lock *os.File
	log  *os.File // state.log, O_APPEND
	hist *os.File // history.jsonl, O_APPEND

	// p is the state as of the log's first logEnd bytes in epoch epoch; nil
	// until loaded, or after a failed write left memory ahead of the disk.
	p        *persisted
	epoch    int64
	logEnd   int64
	snapSize int64

	// compactAlways: compact after every write (tests).
	compactAlways bool
	// crashAt, if set, runs at the named points of a write ("record": before
	// the record is appended; "archived", "snapshot": inside a compaction,
	// after those steps): tests kill a process there.
	crashAt func(point string)
}

func (s *store) crashPoint(name string) {
	if s.crashAt != nil {
		s.crashAt(name)
	}
}

// openStore creates <stateDir>/sim (0700) and opens its lock file, log and
// history (0600).
func openStore(stateDir string) (*store, error) {
	dir := filepath.Join(stateDir, "sim")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create sim state directory: %w", err)
	}
	s := &store{dir: dir}
	var err error
	if s.lock, err = os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("open sim lock file: %w", err)
	}
	return s, nil
}

// openLogs opens state.log and history.jsonl, creating them; called under
// the flock once the estate exists, so a refused old-format directory gets
// no new files.
func (s *store) openLogs() error {
	var err error
	if s.log == nil {
		if s.log, err = os.OpenFile(s.path(logFile), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return fmt.Errorf("open sim state log: %w", err)
		}
	}
	if s.hist == nil {
		if s.hist, err = os.OpenFile(s.path(historyFile), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return fmt.Errorf("open sim history: %w", err)
		}
	}
	return nil
}

func (s *store) path(name string) string { return filepath.Join(s.dir, name) }

// acquire takes the exclusive flock. It blocks: holders keep it only for
// one read-modify-write, never while an operation's latency passes.
func (s *store) acquire() error {
	for {
		err := syscall.Flock(int(s.lock.Fd()), syscall.LOCK_EX)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("lock sim state: %w", err)
		}
		return nil
	}
}

// release drops the flock.
func (s *store) release() error {
	if err := syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN); err != nil {
		return fmt.Errorf("unlock sim state: %w", err)
	}
	return nil
}

// loadEstate reads estate.json; a missing file is (nil, nil).
func (s *store) loadEstate() (*estateDoc, error) {
	b, err := os.ReadFile(s.path(estateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sim estate: %w", err)
	}
	var e estateDoc
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("decode sim estate %s: %w", s.path(estateFile), err)
	}
	if e.Version != stateVersion {
		return nil, fmt.Errorf("sim estate %s: version %d, this build reads %d", s.path(estateFile), e.Version, stateVersion)
	}
	if e.Estate == nil {
		return nil, fmt.Errorf("sim estate %s: no estate", s.path(estateFile))
	}
	return &e, nil
}

// refuseOld refuses a state directory without estate.json but with a
// state.json: written by a build that kept everything in one state.json
// (version 1), or damaged.
func (s *store) refuseOld() error {
	b, err := os.ReadFile(s.path(stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read sim state: %w", err)
	}
	var v struct {
		Version int `json:"version"`
	}
	if json.Unmarshal(b, &v) != nil || v.Version >= stateVersion {
		return fmt.Errorf("sim state %s has no %s beside it: delete the directory %s to start a new simulated cloud", s.path(stateFile), estateFile, s.dir)
	}
	return fmt.Errorf("%s is a simulated cloud in an older format (one %s, no %s) that this build does not read: delete the directory %s to start a new one",
		s.dir, stateFile, estateFile, s.dir)
}

// create writes a new cloud: estate.json first (the cloud exists once it
// does), then the first snapshot.
func (s *store) create(e *estateDoc, fresh func() *persisted) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode sim estate: %w", err)
	}
	if err := s.writeAtomic(estateFile, b); err != nil {
		return err
	}
	return s.initState(fresh)
}

// initState writes p as the first snapshot when there is none (a crash
// between estate.json and state.json leaves none). A log or history without
// a snapshot is damage, not a new cloud.
func (s *store) initState(fresh func() *persisted) error {
	if _, err := os.Stat(s.path(stateFile)); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read sim state: %w", err)
	}
	if err := s.openLogs(); err != nil {
		return err
	}
	for _, f := range []*os.File{s.log, s.hist} {
		fi, err := f.Stat()
		if err != nil {
			return fmt.Errorf("read sim state: %w", err)
		}
		if fi.Size() != 0 {
			return fmt.Errorf("sim state %s is missing but %s is not empty", s.path(stateFile), fi.Name())
		}
	}
	b, err := json.Marshal(fresh())
	if err != nil {
		return fmt.Errorf("encode sim state: %w", err)
	}
	return s.writeAtomic(stateFile, b)
}

// readEpoch reads the log's epoch from the lock file (empty: 0).
func (s *store) readEpoch() (int64, error) {
	var b [epochBytes]byte
	n, err := s.lock.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read sim lock file: %w", err)
	}
	t := bytes.TrimSpace(b[:n])
	if len(t) == 0 {
		return 0, nil
	}
	e, err := strconv.ParseInt(string(t), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("sim lock file %s: epoch %q: %w", s.path(lockFile), t, err)
	}
	return e, nil
}

// sync brings the decoded state up to date with the files: nothing to do
// when no other Sim wrote since this one last looked; the new log records
// when one did; a reload after a compaction. It also cuts off what a crash
// left torn.
func (s *store) sync() error {
	e, err := s.readEpoch()
	if err != nil {
		return err
	}
	if s.p == nil || e != s.epoch {
		return s.reload(e)
	}
	fi, err := s.log.Stat()
	if err != nil {
		return fmt.Errorf("read sim state log: %w", err)
	}
	switch size := fi.Size(); {
	case size > s.logEnd:
		if err := s.replay(s.p, s.logEnd, size); err != nil {
			s.p = nil // partly applied: reload next time
			return err
		}
	case size < s.logEnd:
		// Only a compaction shrinks the log, and it bumps the epoch
		// first; reload rather than trust anything.
		return s.reload(e)
	}
	return nil
}

// reload reads the snapshot and replays the whole log.
func (s *store) reload(epoch int64) error {
	s.p = nil
	b, err := os.ReadFile(s.path(stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("sim state is gone from the state directory")
	}
	if err != nil {
		return fmt.Errorf("read sim state: %w", err)
	}
	var p persisted
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("decode sim state %s: %w", s.path(stateFile), err)
	}
	if p.Version != stateVersion {
		return fmt.Errorf("sim state %s: version %d, this build reads %d", s.path(stateFile), p.Version, stateVersion)
	}
	p.fill()
	if err := s.openLogs(); err != nil {
		return err
	}
	fi, err := s.log.Stat()
	if err != nil {
		return fmt.Errorf("read sim state log: %w", err)
	}
	s.logEnd = 0
	if err := s.replay(&p, 0, fi.Size()); err != nil {
		return err
	}
	if err := s.syncHistory(&p); err != nil {
		return err
	}
	s.p, s.epoch, s.snapSize = &p, epoch, int64(len(b))
	return nil
}

// replay applies the log's records in [from, to) to p and moves logEnd past
// the last complete one. Records the snapshot holds already (a crash
// between a compaction's snapshot and its truncation of the log) are
// skipped; a gap in the generations is damage. A torn tail is cut off.
func (s *store) replay(p *persisted, from, to int64) error {
	buf := make([]byte, to-from)
	if _, err := s.log.ReadAt(buf, from); err != nil {
		return fmt.Errorf("read sim state log: %w", err)
	}
	good := from
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break // torn: the write never completed
		}
		var r record
		if err := json.Unmarshal(buf[:i], &r); err != nil {
			if i+1 == len(buf) {
				break // torn: the last line, never acknowledged
			}
			return fmt.Errorf("sim state log %s at byte %d: %w", s.path(logFile), good, err)
		}
		switch {
		case r.Gen <= p.Gen:
		case r.Gen == p.Gen+1:
			p.apply(&r)
		default:
			return fmt.Errorf("sim state log %s at byte %d: record %d after %d", s.path(logFile), good, r.Gen, p.Gen)
		}
		good += int64(i) + 1
		buf = buf[i+1:]
	}
	s.logEnd = good
	if good < to {
		if err := s.log.Truncate(good); err != nil {
			return fmt.Errorf("cut torn sim state log: %w", err)
		}
	}
	return nil
}

// syncHistory cuts history.jsonl back to the snapshot's HistEnd: lines
// beyond it are a compaction's that a crash interrupted before its
// snapshot, and the log still holds them.
func (s *store) syncHistory(p *persisted) error {
	fi, err := s.hist.Stat()
	if err != nil {
		return fmt.Errorf("read sim history: %w", err)
	}
	switch size := fi.Size(); {
	case size < p.HistEnd:
		return fmt.Errorf("sim history %s holds %d bytes, the state says %d: it was cut", s.path(historyFile), size, p.HistEnd)
	case size > p.HistEnd:
		if err := s.hist.Truncate(p.HistEnd); err != nil {
			return fmt.Errorf("cut sim history: %w", err)
		}
	}
	return nil
}

// decodeHistory decodes history lines, stopping at the first torn one; n is
// the size of the complete lines.
func decodeHistory(buf []byte) (ops []Operation, n int64) {
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		var op Operation
		if err := json.Unmarshal(buf[:i], &op); err != nil {
			break
		}
		ops = append(ops, op)
		n += int64(i) + 1
		buf = buf[i+1:]
	}
	return ops, n
}

// history reads every operation received, in order: history.jsonl, then
// the log's.
func (s *store) history() ([]Operation, error) {
	buf := make([]byte, s.p.HistEnd)
	if _, err := s.hist.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("read sim history: %w", err)
	}
	ops, n := decodeHistory(buf)
	if n != s.p.HistEnd {
		return nil, fmt.Errorf("sim history %s: line at byte %d is not an operation", s.path(historyFile), n)
	}
	return append(ops, s.p.logOps...), nil
}

// commit makes the current access durable: one record (its changes and
// its history lines), appended and fsynced. Then it compacts the log if it
// has grown past the snapshot. After a failed write memory may be ahead of
// the disk: the next access reloads.
func (s *store) commit() (err error) {
	p := s.p
	defer func() {
		p.forget()
		if err != nil {
			s.p = nil
		}
	}()
	b, err := json.Marshal(p.record())
	if err != nil {
		return fmt.Errorf("encode sim state record: %w", err)
	}
	b = append(b, '\n')
	s.crashPoint("record")
	if err := appendSync(s.log, b); err != nil {
		return fmt.Errorf("write sim state log: %w", err)
	}
	p.Gen++
	p.logOps = append(p.logOps, p.ops...)
	s.logEnd += int64(len(b))
	if s.compactAlways || s.logEnd > compactMin && s.logEnd > s.snapSize {
		return s.compact()
	}
	return nil
}

func appendSync(f *os.File, b []byte) error {
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Sync()
}

// compact bumps the epoch (so every other Sim reloads from the files, what
// ever step a crash stops this at), appends the log's history lines to
// history.jsonl, writes the state as a new snapshot and empties the log.
func (s *store) compact() error {
	p := s.p
	e := s.epoch + 1
	if _, err := s.lock.WriteAt(fmt.Appendf(nil, "%0*d\n", epochBytes-1, e), 0); err != nil {
		return fmt.Errorf("write sim lock file: %w", err)
	}
	if err := s.lock.Sync(); err != nil {
		return fmt.Errorf("sync sim lock file: %w", err)
	}
	// Anything beyond HistEnd is an interrupted compaction's: the log
	// holds it still.
	if err := s.syncHistory(p); err != nil {
		return err
	}
	var h []byte
	for _, op := range p.logOps {
		line, err := json.Marshal(op)
		if err != nil {
			return fmt.Errorf("encode sim history: %w", err)
		}
		h = append(append(h, line...), '\n')
	}
	if err := appendSync(s.hist, h); err != nil {
		return fmt.Errorf("write sim history: %w", err)
	}
	s.crashPoint("archived")
	p.HistEnd += int64(len(h))
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode sim state: %w", err)
	}
	if err := s.writeAtomic(stateFile, b); err != nil {
		return err
	}
	s.crashPoint("snapshot")
	p.logOps = nil
	if err := s.log.Truncate(0); err != nil {
		return fmt.Errorf("compact sim state log: %w", err)
	}
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("compact sim state log: %w", err)
	}
	s.epoch, s.logEnd, s.snapSize = e, 0, int64(len(b))
	return nil
}

// writeAtomic replaces name with b: a temp file in the same directory,
// fsync, rename, fsync the directory, so a crash leaves either the old or
// the new file, never a torn one.
func (s *store) writeAtomic(name string, b []byte) error {
	tmp, err := os.CreateTemp(s.dir, name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write sim %s: %w", name, err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	// CreateTemp makes 0600 already; say so explicitly, it is the contract.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write sim %s: %w", name, err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write sim %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync sim %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write sim %s: %w", name, err)
	}
	if err := os.Rename(tmpName, s.path(name)); err != nil {
		return fmt.Errorf("replace sim %s: %w", name, err)
	}
	ok = true
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("sync sim state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync sim state directory: %w", err)
	}
	return nil
}

func (s *store) close() error {
	var errs []error
	for _, f := range []*os.File{s.log, s.hist} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	if err := s.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close sim lock file: %w", err))
	}
	return errors.Join(errs...)
}

package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/retry"
)

// Operation names recorded in the history.
const (
	OpValidate = "Validate"
	OpPrepare  = "Prepare"
	OpCommit   = "Commit"
	OpAbort    = "Abort"
)

// Results recorded in the history besides the cloud.Fault* names.
const (
	ResultSucceeded = "Succeeded"
	ResultFailed    = "Failed"
)

// Operation is one call the simulated cloud received.
type Operation struct {
	Seq int64  `json:"seq"`
	Op  string `json:"op"`
	// Unit is the target's unit id as the estate spells it.
	Unit string `json:"unit"`
	// StateBefore is the migration state the call found.
	StateBefore cloud.State `json:"stateBefore"`
	// Result is ResultSucceeded, ResultFailed (refused, or the operation
	// failed on the platform) or the transient fault it was answered with.
	Result string `json:"result"`
	// Time is when the call was received (Options.Now, UTC).
	Time time.Time `json:"time"`
	// SimStart and SimDuration are when the operation the call started
	// began in simulated time (an offset from the cloud's creation) and how
	// long it took there (timing.go); zero for calls that started none.
	SimStart    time.Duration `json:"simStart,omitempty"`
	SimDuration time.Duration `json:"simDuration,omitempty"`
}

// HistoryDocument is the shape `migrate sim history -o json` prints.
type HistoryDocument struct {
	Operations []Operation `json:"operations"`
}

// Options configure the simulated platform's timing and faults. They belong
// to the process: each Open may pass different ones over the same state.
type Options struct {
	// Latency is how long each Prepare, Commit and Abort takes. When it is
	// 0 and Timing is given, the timing model says (timing.go).
	Latency time.Duration
	// Timing is the timing model the operations follow when Latency is 0
	// (timing.go); nil with Latency 0 makes them instantaneous.
	Timing *plan.Model
	// FaultRate is the share of calls (Validate, Prepare, Commit, Abort,
	// State) answered with a *cloud.TransientError.
	FaultRate float64
	// Seed makes the faults reproducible.
	Seed int64
	// TimeScale multiplies Latency and Retry-After; 0 means 1. Tests use a
	// tiny scale so a "30 minute" Prepare takes milliseconds.
	TimeScale float64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CorruptDisks is a test-only hook proving that the disk step verifies
	// what it wrote: managed disks with these names (case-insensitive) get
	// one byte of their data flipped when their upload ends or their
	// import completes. The file <stateDir>/sim/corrupt-disks (one name a
	// line) adds names, for tests driving the CLI.
	CorruptDisks []string
	// FailedExtensions is a test-only hook proving that the disk step
	// checks extensions before a conversion: each "<vm>/<extension>"
	// (case-insensitive) reports provisioning state Failed whenever the
	// VM is read. The file <stateDir>/sim/failed-extensions (one a line)
	// adds more (carry.go).
	FailedExtensions []string
	// ARMWritesPerHour is the subscription's Resource Manager write budget
	// per simulated hour (throttle.go); 0 means the platform's
	// DefaultARMWritesPerHour. Tests lower it to reach the limit quickly.
	ARMWritesPerHour int
	// DiskAPIVersion is the Azure Stack Hub profile's disk API version
	// (its API profile); "" means DefaultHubDiskAPIVersion. Below
	// 2019-03-01, CreateDisk refuses createOption Upload. Azure profiles
	// ignore it.
	DiskAPIVersion string
}

// Sim is the simulated classic cloud over one state directory. It
// implements cloud.Migrator, cloud.Discoverer, cloud.Compute,
// cloud.DiskData, cloud.PlatformConversion (refused on Azure Stack Hub,
// where Platform is nil) and cloud.VHDSnapshots, is safe for concurrent use,
// and other Sims (in this or other processes) over the same directory see
// the same cloud.
type Sim struct {
	o     Options
	store *store
	topo  *topology
	// contentSeed and vhds describe the classic disks' generated content
	// (content.go); both are fixed once the cloud is built.
	contentSeed int64
	vhds        map[string]vhdInfo
	// profile is the platform simulated (profile.go), fixed once the cloud
	// is built.
	profile string
	// planned are the plan's units of the estate, for their sizes in the
	// timing model (timing.go).
	planned map[string]*plan.Unit
	// customClock: Options.Now was given, and may be moved by hand, so
	// waits look at it in small steps.
	customClock bool
	// mu serializes this Sim's goroutines and guards the store's decoded
	// state; the flock does not, since flock locks belong to the open file,
	// which they share.
	mu sync.Mutex
	// readOnlyReads counts a read-only Sim's State reads (guarded by mu).
	readOnlyReads int64
}

var (
	_ cloud.Migrator           = (*Sim)(nil)
	_ cloud.Discoverer         = (*Sim)(nil)
	_ cloud.Compute            = (*Sim)(nil)
	_ cloud.DiskData           = (*Sim)(nil)
	_ cloud.PlatformConversion = (*Sim)(nil)
	_ cloud.VHDSnapshots       = (*Sim)(nil)
)

// Open opens the simulated cloud kept in <stateDir>/sim for reading and
// writing. The first Open builds the classic estate from inv, every
// resource in migration state None. Later Opens load the persisted cloud
// and ignore inv (which may be nil): the cloud is the truth, as the real
// one would be, even if the inventory passed has changed since. A state
// directory written by an earlier release is refused (*LegacyError), a
// damaged one reported (*DamageError); neither is changed.
func Open(stateDir string, inv *inventory.Inventory, o Options) (*Sim, error) {
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	custom := o.Now != nil
	if !custom {
		o.Now = time.Now
	}
	st, err := openStore(stateDir)
	if err != nil {
		return nil, fmt.Errorf("open sim in %s: %w", stateDir, err)
	}
	s := &Sim{o: o, store: st, customClock: custom}
	if err := s.load(inv); err != nil {
		_ = st.close()
		return nil, fmt.Errorf("open sim in %s: %w", stateDir, err)
	}
	s.vhds = s.topo.vhds()
	if o.Timing != nil {
		s.planned = planUnits(s.topo.estate)
	}
	return s, nil
}

// load builds the cloud from inv when the state directory has none, or
// checks and loads the one there, holding the flock.
func (s *Sim) load(inv *inventory.Inventory) (err error) {
	st := s.store
	if err := st.lock.Lock(); err != nil {
		return fmt.Errorf("lock sim state: %w", err)
	}
	defer func() {
		if uerr := st.lock.Unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("unlock sim state: %w", uerr)
		}
	}()
	fi, err := os.Stat(st.path(dbFile))
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open sim state: %w", err)
	}
	if exists && fi.Size() == 0 {
		return st.damage("the file", errors.New("it is empty"))
	}
	if !exists && inv == nil {
		return ErrNoCloud
	}
	var db *bolt.DB
	if err := st.guard(func() (err error) { db, err = st.openDB(!exists); return err }); err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close sim state: %w", cerr)
		}
	}()
	var e *estateDoc
	err = st.guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if exists {
				if err := st.checkFile(tx, fi.Size()); err != nil {
					return err
				}
			}
			var err error
			e, err = st.loadEstate(tx)
			if err != nil || e == nil {
				return err
			}
			s.topo = newTopology(e.Estate)
			return st.sync(tx)
		})
	})
	if err != nil {
		return err
	}
	if e == nil {
		// No cloud yet (or a file whose building a crash interrupted).
		if inv == nil {
			return ErrNoCloud
		}
		if e, err = newEstate(inv, s.o.Seed); err != nil {
			return err
		}
		s.topo = newTopology(e.Estate)
		s.profile = e.Profile
		if err := st.create(db, e, s.newPersisted()); err != nil {
			return err
		}
	}
	s.contentSeed = e.ContentSeed
	s.profile = e.Profile
	if s.profile == "" {
		s.profile = inventory.CloudAzurePublic
	}
	return nil
}

// OpenReadOnly opens the simulated cloud in <stateDir>/sim for reading
// only, as status and `sim history` need: it takes no lock, creates nothing
// and changes no byte under stateDir, and it answers while another process
// holds the simulator for writing, since it reads a consistent copy of the
// state (pkg/boltsnap) taken when it opens. The Sim it returns sees the
// cloud as of that copy, with operations whose due time has passed since
// shown finished (as the next writer will record them). Its changing calls
// (Validate, Prepare, Commit, Abort, Begin and the disk step's) return
// ErrReadOnly; its reads are faulted at Options.FaultRate like a writer's,
// counting on from the persisted read counter in memory (a reader cannot
// advance it). Close removes the copy.
//
// No cloud in stateDir is ErrNoCloud; an earlier release's directory a
// *LegacyError; a damaged state a *DamageError.
func OpenReadOnly(ctx context.Context, stateDir string, o Options) (*Sim, error) {
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	custom := o.Now != nil
	if !custom {
		o.Now = time.Now
	}
	st, e, err := openReadOnly(ctx, stateDir)
	if err != nil {
		return nil, fmt.Errorf("open sim in %s read-only: %w", stateDir, err)
	}
	s := &Sim{o: o, store: st, customClock: custom, topo: newTopology(e.Estate), contentSeed: e.ContentSeed, profile: e.Profile}
	if s.profile == "" {
		s.profile = inventory.CloudAzurePublic
	}
	s.vhds = s.topo.vhds()
	return s, nil
}

// ReadOnly reports whether s was opened with OpenReadOnly.
func (s *Sim) ReadOnly() bool { return s.store.snap != nil }

// refuseReadOnly is the first check of every changing call.
func (s *Sim) refuseReadOnly(op, unitID string) error {
	if s.ReadOnly() {
		return fmt.Errorf("%s %s: %w", strings.ToLower(op), unitID, ErrReadOnly)
	}
	return nil
}

// newEstate builds the estate document from a deep copy of inv, so later
// changes to the caller's inventory cannot reach it.
func newEstate(inv *inventory.Inventory, contentSeed int64) (*estateDoc, error) {
	b, err := json.Marshal(inv)
	if err != nil {
		return nil, fmt.Errorf("copy inventory: %w", err)
	}
	var estate inventory.Inventory
	if err := json.Unmarshal(b, &estate); err != nil {
		return nil, fmt.Errorf("copy inventory: %w", err)
	}
	return &estateDoc{Estate: &estate, ContentSeed: contentSeed, Profile: profileOf(inv)}, nil
}

// newPersisted is a fresh cloud's state: every unit in None, or on Azure
// Stack Hub no unit and the Resource Manager VMs it starts with.
func (s *Sim) newPersisted() *persisted {
	t := s.topo
	p := &persisted{Units: make(map[string]*unitState, len(t.order))}
	p.fill()
	if s.hub() {
		s.buildHub(p)
		return p
	}
	for _, k := range t.order {
		p.Units[k] = &unitState{ID: t.units[k].id, State: cloud.StateNone}
	}
	return p
}

// Close releases the lock file (or removes a read-only Sim's copy).
// Operations in flight go on in the cloud.
func (s *Sim) Close() error { return s.store.close() }

// scale applies the time scale.
func (s *Sim) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.o.TimeScale)
}

// update is one read-modify-write of the cloud: catch up with what other
// Sims wrote, resolve operations whose time has come (any access does,
// whichever process makes it), run fn, and save what changed if anything
// did, in one transaction. fn must not change anything when it reports
// dirty false.
func (s *Sim) update(fn func(p *persisted) (dirty bool, err error)) error {
	return s.access(false, func(_ *bolt.Tx, p *persisted) (bool, error) {
		dirty := s.resolveDue(p)
		if fn == nil {
			return dirty, nil
		}
		d, err := fn(p)
		return dirty || d, err
	})
}

// access runs fn holding this Sim's mutex, in one store access; tx is
// nil unless needTx (store.access).
func (s *Sim) access(needTx bool, fn func(tx *bolt.Tx, p *persisted) (bool, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.access(needTx, func(tx *bolt.Tx, p *persisted) (bool, error) {
		p.forget()
		return fn(tx, p)
	})
}

// resolveDue finishes every pending operation whose due time has passed,
// in unit order.
func (s *Sim) resolveDue(p *persisted) bool {
	now := s.o.Now()
	var due []string
	for k := range p.watch {
		st := p.Units[k]
		if st == nil || st.Pending == nil {
			delete(p.watch, k)
			continue
		}
		if !now.Before(st.Pending.Due) {
			due = append(due, k)
		}
	}
	sort.Strings(due)
	for _, k := range due {
		p.touchUnit(k)
		s.finish(p, k, p.Units[k])
	}
	return len(due) > 0
}

// finish applies a pending operation's outcome.
func (s *Sim) finish(p *persisted, k string, st *unitState) {
	pd := st.Pending
	st.Pending = nil
	st.State = pd.Final
	p.SimNow = max(p.SimNow, pd.SimEnd)
	st.Failure = pd.Failure
	p.Finished[pd.Seq] = finished{Op: pd.Op, Unit: st.ID, Failure: pd.Failure}
	p.changed.finished = append(p.changed.finished, pd.Seq)
	u := s.topo.units[k]
	if u == nil {
		return // a unit this estate does not have: a hand-edited state file
	}
	if u.notInVNet && (pd.Op == OpPrepare || pd.Op == OpAbort) {
		startVMs(p, u)
	}
	switch pd.Final {
	case cloud.StatePrepared:
		st.Resources = s.topo.armResources(u)
	case cloud.StateCommitted:
		for i := range st.Resources {
			st.Resources[i].Committed = true
		}
		s.commitVMs(p, u)
	case cloud.StateNone:
		// Abort deletes what Prepare made.
		st.Resources = nil
	}
}

// Power states of classic roles the sim sets.
const (
	roleRunning     = "Running"
	roleStopped     = "Stopped"
	roleDeallocated = "StoppedDeallocated"
)

// stopVMs stops and deallocates the VMs of a unit not in a VNet as its
// Prepare or Abort starts (cli.md's downtime "restart": Stop, Deallocate,
// Start), remembering each one's power state for startVMs.
func stopVMs(p *persisted, u *unit) {
	for _, cs := range u.services {
		for _, r := range cs.Deployment.Roles {
			vm := p.vm(inventory.VMID(cs.Name, r.Name))
			if vm.ReturnTo == "" {
				vm.ReturnTo = r.State
				if vm.PowerState != "" {
					vm.ReturnTo = vm.PowerState
				}
				if vm.ReturnTo == "" {
					vm.ReturnTo = roleRunning
				}
			}
			vm.PowerState = roleDeallocated
		}
	}
}

// startVMs ends the restart stopVMs began, however the operation ended:
// a VM that was running runs again (in its Resource Manager VNet after a
// Prepare); one that was stopped or deallocated stays deallocated, since
// nothing starts a VM that was not running.
func startVMs(p *persisted, u *unit) {
	for _, cs := range u.services {
		for _, r := range cs.Deployment.Roles {
			vm := p.vm(inventory.VMID(cs.Name, r.Name))
			if vm.ReturnTo == "" {
				continue
			}
			switch inventory.Key(vm.ReturnTo) {
			case inventory.Key(roleStopped), inventory.Key(roleDeallocated):
				vm.PowerState = roleDeallocated
			default:
				vm.PowerState = vm.ReturnTo
			}
			vm.ReturnTo = ""
		}
	}
}

func (p *persisted) vm(id string) *vmState {
	k := inventory.Key(id)
	v := p.VMs[k]
	if v == nil {
		v = &vmState{}
		p.VMs[k] = v
	}
	p.touchVM(k)
	return v
}

// unit returns u's state to change it.
func (p *persisted) unit(u *unit) *unitState {
	k := inventory.Key(u.id)
	st := p.Units[k]
	if st == nil {
		st = &unitState{ID: u.id, State: cloud.StateNone}
		p.Units[k] = st
	}
	p.touchUnit(k)
	return st
}

// stateOf reads u's migration state.
func (p *persisted) stateOf(u *unit) cloud.State {
	if st := p.Units[inventory.Key(u.id)]; st != nil {
		return st.State
	}
	return cloud.StateNone
}

// target is a resolved cloud.Target.
type target struct {
	u  *unit  // the unit whose state the call reads and changes
	id string // the unit id as the call addressed it, estate spelling
	al *alias // non-nil when the target migrates with another unit
}

// resolve finds t's unit; unknown targets are cloud.ErrNotFound.
func (s *Sim) resolve(op string, t cloud.Target) (target, error) {
	kind, name := t.Kind, t.Name
	if kind == "" && name == "" {
		kind, name, _ = strings.Cut(t.Unit, "/")
	}
	k := unitKey(kind, name)
	if u, ok := s.topo.units[k]; ok {
		return target{u: u, id: u.id}, nil
	}
	if al, ok := s.topo.aliases[k]; ok {
		return target{u: s.topo.units[al.owner], id: strings.ToLower(kind) + "/" + al.name, al: &al}, nil
	}
	return target{}, fmt.Errorf("%s %s/%s: %w", strings.ToLower(op), kind, name, cloud.ErrNotFound)
}

// Validate returns the platform's validation messages for t. It changes no
// migration state (the call is recorded in the history).
func (s *Sim) Validate(ctx context.Context, t cloud.Target) ([]cloud.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.refuseOnHub(OpValidate, t); err != nil {
		return nil, err
	}
	tg, err := s.resolve(OpValidate, t)
	if err != nil {
		return nil, err
	}
	if err := s.refuseReadOnly(OpValidate, tg.id); err != nil {
		return nil, err
	}
	var (
		msgs  []cloud.Message
		took  = s.duration(tg.u, OpValidate)
		start time.Duration
	)
	err = s.update(func(p *persisted) (bool, error) {
		p.Seq++
		d := decide(s.o.Seed, streamOps, p.Seq, s.o.FaultRate, false)
		s.record(p, OpValidate, tg.id, p.stateOf(tg.u), d, ResultSucceeded)
		if d.fault != "" {
			return true, s.transient(d, OpValidate, tg.id)
		}
		start = p.SimNow
		last := &p.ops[len(p.ops)-1]
		last.SimStart, last.SimDuration = start, took
		if tg.al != nil {
			msgs = []cloud.Message{tg.al.refusal()}
		} else {
			msgs = s.topo.validate(tg.u, p)
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", tg.id, err)
	}
	if took > 0 {
		// The platform's Validate is synchronous: it answers when done.
		if err := retry.Sleep(ctx, s.scale(took)); err != nil {
			return nil, err
		}
		err = s.update(func(p *persisted) (bool, error) {
			if p.SimNow >= start+took {
				return false, nil
			}
			p.SimNow = start + took
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("validate %s: %w", tg.id, err)
		}
	}
	return msgs, nil
}

func (a *alias) refusal() cloud.Message {
	return cloud.Message{ResourceType: a.resType, ResourceName: a.name, Category: categoryError, Message: a.message}
}

// record appends the call to the history; a fault replaces result.
func (s *Sim) record(p *persisted, op, unitID string, before cloud.State, d decision, result string) {
	if d.fault != "" {
		result = d.fault
	}
	p.ops = append(p.ops, Operation{Seq: p.Seq, Op: op, Unit: unitID,
		StateBefore: before, Result: result, Time: s.o.Now().UTC()})
}

// State reads t's migration state, resolving any operation whose time has
// come. Reads are not recorded in the history, but they are faulted at the
// same rate as operations (the real API throttles reads too), drawing from
// their own counter so they do not shift the operations' faults.
func (s *Sim) State(ctx context.Context, t cloud.Target) (cloud.State, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := s.refuseOnHub("State", t); err != nil {
		return "", err
	}
	tg, err := s.resolve("state", t)
	if err != nil {
		return "", err
	}
	var state cloud.State
	err = s.update(func(p *persisted) (bool, error) {
		state = p.stateOf(tg.u)
		if s.o.FaultRate <= 0 {
			return false, nil
		}
		// A read-only Sim cannot advance the persisted counter, so it
		// counts its own reads on from it: its faults are as seeded and
		// as reproducible as a writer's, and `status --sim-fault-rate`
		// still shows an unreadable platform.
		var seq int64
		if s.ReadOnly() {
			s.readOnlyReads++
			seq = p.ReadSeq + s.readOnlyReads
		} else {
			p.ReadSeq++
			seq = p.ReadSeq
		}
		if d := decide(s.o.Seed, streamReads, seq, s.o.FaultRate, false); d.fault != "" {
			return true, s.transient(d, "State", tg.id)
		}
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("state %s: %w", tg.id, err)
	}
	return state, nil
}

// Prepare starts the unit's Prepare and waits for it. Prepare on a Prepared
// unit is success without change (the platform's idempotency); from
// PrepareFailed it runs again. It is refused (*cloud.StateError) from any
// other state and when Validate finds an Error. It fails, leaving the unit
// PrepareFailed, on what the platform's Prepare refuses and its Validate
// does not see (preparefail.go) and, with target.quotas given, when the unit
// needs more than is free in its region.
func (s *Sim) Prepare(ctx context.Context, t cloud.Target) error {
	return s.mutate(ctx, OpPrepare, t)
}

// Commit starts the unit's Commit and waits for it. Commit on a Committed
// unit is success without doing anything again; from CommitFailed it runs
// again; from any state but Prepared it is refused (*cloud.StateError).
func (s *Sim) Commit(ctx context.Context, t cloud.Target) error {
	return s.mutate(ctx, OpCommit, t)
}

// Abort starts the unit's Abort and waits for it. Abort on a unit in None is
// success without change; it runs from Prepared, PrepareFailed and
// AbortFailed, and is refused (*cloud.StateError) otherwise, after Commit
// above all.
func (s *Sim) Abort(ctx context.Context, t cloud.Target) error {
	return s.mutate(ctx, OpAbort, t)
}

// inFlight names the pending operation a call waits for.
type inFlight struct {
	key     string
	seq     int64
	outcome error
}

// mutate is Prepare, Commit and Abort: start the call, then wait outside
// the lock until the operation it started or joined is resolved.
func (s *Sim) mutate(ctx context.Context, op string, t cloud.Target) error {
	c, err := s.start(ctx, op, t)
	if err != nil {
		return err
	}
	if c.d.fault != "" && !c.d.after {
		return s.transient(c.d, op, c.id)
	}
	if c.wait != nil {
		if err := s.await(ctx, c.wait); err != nil {
			return err
		}
	}
	if c.d.fault != "" {
		return s.transient(c.d, op, c.id)
	}
	return c.outcome
}

// call is what start made of one Prepare, Commit or Abort.
type call struct {
	id      string    // unit id as addressed
	wait    *inFlight // the operation started or joined; nil if none
	outcome error     // the call's answer once wait is resolved
	d       decision
}

// start decides the call's fault, applies it (start an operation, join one
// in flight, succeed idempotently, or refuse) and records it, in one access.
func (s *Sim) start(ctx context.Context, op string, t cloud.Target) (call, error) {
	if err := ctx.Err(); err != nil {
		return call{}, err
	}
	if err := s.refuseOnHub(op, t); err != nil {
		return call{}, err
	}
	tg, err := s.resolve(op, t)
	if err != nil {
		return call{}, err
	}
	if err := s.refuseReadOnly(op, tg.id); err != nil {
		return call{}, err
	}
	c := call{id: tg.id}
	err = s.update(func(p *persisted) (bool, error) {
		p.Seq++
		st := p.unit(tg.u)
		c.d = decide(s.o.Seed, streamOps, p.Seq, s.o.FaultRate, true)
		if c.d.fault != "" && !c.d.after {
			s.record(p, op, tg.id, st.State, c.d, "")
			return true, nil
		}
		before := st.State
		c.wait, c.outcome = s.apply(p, op, tg, st)
		result := ResultSucceeded
		if _, throttled := cloud.IsTransient(c.outcome); throttled {
			result = cloud.FaultThrottled
		} else if c.outcome != nil {
			result = ResultFailed
		}
		s.record(p, op, tg.id, before, c.d, result)
		if pd := st.Pending; pd != nil && pd.Seq == p.Seq {
			last := &p.ops[len(p.ops)-1]
			last.SimStart, last.SimDuration = pd.SimStart, pd.SimEnd-pd.SimStart
		}
		// With no latency the operation is done within this same access.
		s.resolveDue(p)
		return true, nil
	})
	if err != nil {
		return call{}, fmt.Errorf("%s %s: %w", strings.ToLower(op), tg.id, err)
	}
	return c, nil
}

// Begin sends op (OpPrepare, OpCommit or OpAbort) for t without waiting, as
// the platform's asynchronous API does (202 and an operation to poll); it is
// for `migrate sim serve`. It returns the id of the operation the call
// started or joined, for Poll; 0 with a nil error means the call was an
// idempotent success with nothing to run (Prepare on Prepared). Refusals are
// *cloud.StateError, unknown targets cloud.ErrNotFound. A transient fault
// returns 0 and *cloud.TransientError; for a lost response the operation
// runs all the same.
func (s *Sim) Begin(ctx context.Context, op string, t cloud.Target) (int64, error) {
	switch op {
	case OpPrepare, OpCommit, OpAbort:
	default:
		return 0, fmt.Errorf("begin %s: not an asynchronous operation", op)
	}
	c, err := s.start(ctx, op, t)
	if err != nil {
		return 0, err
	}
	if c.d.fault != "" {
		return 0, s.transient(c.d, op, c.id)
	}
	if c.wait == nil {
		return 0, c.outcome
	}
	return c.wait.seq, nil
}

// Poll reports whether the operation id (from Begin) has finished and, if
// so, its outcome: nil or *cloud.OperationError. An id the cloud never gave
// is cloud.ErrNotFound. Polls are neither faulted nor recorded.
func (s *Sim) Poll(ctx context.Context, id int64) (done bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var outcome error
	found := false
	uerr := s.update(func(p *persisted) (bool, error) {
		for k := range p.watch {
			if st := p.Units[k]; st != nil && st.Pending != nil && st.Pending.Seq == id {
				found = true
				return false, nil
			}
		}
		if f, ok := p.Finished[id]; ok {
			found, done = true, true
			outcome = f.outcome()
		}
		return false, nil
	})
	if uerr != nil {
		return false, fmt.Errorf("poll operation %d: %w", id, uerr)
	}
	if !found {
		return false, fmt.Errorf("poll operation %d: %w", id, cloud.ErrNotFound)
	}
	return done, outcome
}

// apply decides what op does in st's state; it returns the operation to
// wait for, if one is in flight, and the call's outcome.
func (s *Sim) apply(p *persisted, op string, tg target, st *unitState) (*inFlight, error) {
	refuse := &cloud.StateError{Op: op, Unit: tg.id, State: st.State}
	if tg.al != nil {
		return nil, refuse
	}
	k := inventory.Key(tg.u.id)
	if st.Pending != nil {
		if st.Pending.Op == op {
			return &inFlight{key: k, seq: st.Pending.Seq, outcome: pendingOutcome(st.Pending, tg.id)}, pendingOutcome(st.Pending, tg.id)
		}
		return nil, refuse
	}
	var (
		during, final cloud.State
		fail          *failure
	)
	switch op {
	case OpPrepare:
		switch st.State {
		case cloud.StatePrepared:
			return nil, nil
		case cloud.StateNone, cloud.StatePrepareFailed:
		default:
			return nil, refuse
		}
		if hasError(s.topo.validate(tg.u, p)) {
			return nil, refuse
		}
		if err := s.takeWrites(p, op, tg.id, len(s.topo.armResources(tg.u))); err != nil {
			return nil, err
		}
		during, final = cloud.StatePreparing, cloud.StatePrepared
		if fail = s.prepareFailure(p, tg.u); fail != nil {
			final = cloud.StatePrepareFailed
		}
	case OpCommit:
		switch st.State {
		case cloud.StateCommitted:
			return nil, nil
		case cloud.StatePrepared, cloud.StateCommitFailed:
		default:
			return nil, refuse
		}
		during, final = cloud.StateCommitting, cloud.StateCommitted
	case OpAbort:
		switch st.State {
		case cloud.StateNone:
			return nil, nil
		case cloud.StatePrepared, cloud.StatePrepareFailed, cloud.StateAbortFailed:
		default:
			return nil, refuse
		}
		during, final = cloud.StateAborting, cloud.StateNone
	}
	if tg.u.notInVNet && (op == OpPrepare || op == OpAbort) {
		stopVMs(p, tg.u)
	}
	st.State = during
	st.Failure = nil
	d := s.duration(tg.u, op)
	st.Pending = &pending{Seq: p.Seq, Op: op, Due: s.o.Now().Add(s.scale(d)), Final: final, Failure: fail,
		SimStart: p.SimNow, SimEnd: p.SimNow + d}
	out := pendingOutcome(st.Pending, tg.id)
	return &inFlight{key: k, seq: p.Seq, outcome: out}, out
}

// pendingOutcome is what a caller of the pending operation is answered.
func pendingOutcome(pd *pending, id string) error {
	if pd.Failure == nil {
		return nil
	}
	return &cloud.OperationError{Op: pd.Op, Unit: id, Code: pd.Failure.Code, Message: pd.Failure.Message}
}

// quota is one regional Resource Manager quota Prepare checks. The
// planning guide lists the quotas that stop a migration: "Network
// Interfaces, Load Balancers, Public IPs, Static Public IPs, Cores, Network
// Security Groups, Route Tables" (MicrosoftDocs/azure-docs,
// articles/virtual-machines/migration-classic-resource-manager-plan.md,
// "Azure Resource Manager Quotas"); Validate does not check them, Prepare
// fails (the FAQ: "What if I hit a Quota error while preparing ...? We
// recommend that you abort your migration and then log a support request
// ..."), leaving the unit PrepareFailed.
type quota struct {
	limit func(q inventory.Quota) *int
	// need is what the unit's Prepare makes of it.
	need func(t *topology, u *unit) int
	fail func(limit, inUse, need int, region string) *failure
}

// quotas are checked in this order; the first exceeded fails the Prepare.
var quotas = []quota{
	{
		limit: func(q inventory.Quota) *int { return q.Cores },
		// 1 core per VM: the sim keeps no VM size table.
		need: func(_ *topology, u *unit) int { return u.vmCount() },
		// Resource Manager compute's quota message.
		fail: func(limit, inUse, need int, region string) *failure {
			return &failure{Code: "QuotaExceeded", Message: fmt.Sprintf(
				"Operation results in exceeding quota limits of Core. Maximum allowed: %d, Current in use: %d, Additional requested: %d in region %s.",
				limit, inUse, need, region)}
		},
	},
	networkQuota(func(q inventory.Quota) *int { return q.NetworkInterfaces }, typeNIC, "QuotaExceeded", "network interfaces"),
	// PublicIPCountLimitReached and its message are the network resource
	// provider's, as MicrosoftDocs/azure-docs quotes them (Azure Databricks
	// troubleshooting, "Cloud provider launch failure ...
	// (PublicIPCountLimitReached)"); the other network quotas answer in
	// the same words.
	networkQuota(func(q inventory.Quota) *int { return q.PublicIPAddresses }, typePublicIP, "PublicIPCountLimitReached", "public IP addresses"),
	networkQuota(func(q inventory.Quota) *int { return q.LoadBalancers }, typeLoadBalancer, "QuotaExceeded", "load balancers"),
	networkQuota(func(q inventory.Quota) *int { return q.NetworkSecurityGroups }, typeNSG, "QuotaExceeded", "network security groups"),
	networkQuota(func(q inventory.Quota) *int { return q.RouteTables }, typeRouteTable, "QuotaExceeded", "route tables"),
}

// networkQuota counts the unit's Resource Manager resources of one type.
func networkQuota(limit func(inventory.Quota) *int, resType, code, what string) quota {
	return quota{
		limit: limit,
		need: func(t *topology, u *unit) int {
			n := 0
			for _, r := range t.armResources(u) {
				if r.Type == resType {
					n++
				}
			}
			return n
		},
		fail: func(limit, _, _ int, _ string) *failure {
			return &failure{Code: code, Message: fmt.Sprintf(
				"Cannot create more than %d %s for this subscription in this region.", limit, what)}
		},
	}
}

// quotaFailure is the failure of u's Prepare when it would exceed a quota
// target.quotas gives for u's region, counting what the units Preparing
// through Committed in that region hold; nil when it fits.
func (s *Sim) quotaFailure(p *persisted, u *unit) *failure {
	q, found := lookupQuota(s.topo.estate.Target.Quotas, u.region)
	if !found {
		return nil
	}
	for _, k := range quotas {
		limit := k.limit(q)
		if limit == nil {
			continue
		}
		need := k.need(s.topo, u)
		if need == 0 {
			continue
		}
		inUse := s.inUse(p, u.region, func(o *unit) int { return k.need(s.topo, o) })
		if inUse+need > *limit {
			return k.fail(*limit, inUse, need, u.region)
		}
	}
	return nil
}

// inUse sums count over the units whose Resource Manager resources exist
// or are being made in region: Preparing through Committed.
func (s *Sim) inUse(p *persisted, region string, count func(*unit) int) int {
	n := 0
	for k, st := range p.Units {
		u := s.topo.units[k]
		if u == nil || !strings.EqualFold(u.region, region) {
			continue
		}
		switch st.State {
		case cloud.StatePreparing, cloud.StatePrepared, cloud.StateCommitting, cloud.StateCommitted, cloud.StateCommitFailed:
			if st.Pending != nil && st.Pending.Final == cloud.StatePrepareFailed {
				continue
			}
			n += count(u)
		}
	}
	return n
}

func lookupQuota(m map[string]inventory.Quota, region string) (inventory.Quota, bool) {
	if q, ok := m[region]; ok {
		return q, true
	}
	for k, q := range m {
		if strings.EqualFold(k, region) {
			return q, true
		}
	}
	return inventory.Quota{}, false
}

// pollStep bounds one wait between looks at a pending operation when
// Options.Now is given, so a clock that tests move by hand is noticed soon.
// With the real clock a wait lasts until the operation's due time (nothing
// resolves an operation earlier), bounded by maxWaitStep against clock
// jumps.
const (
	pollStep    = 20 * time.Millisecond
	maxWaitStep = time.Second
)

// await blocks until the pending operation w is resolved (by this or any
// process), sleeping until its due time. If ctx ends first it returns
// ctx.Err(): the operation goes on in the cloud.
func (s *Sim) await(ctx context.Context, w *inFlight) error {
	for {
		var (
			done bool
			left time.Duration
		)
		err := s.update(func(p *persisted) (bool, error) {
			st := p.Units[w.key]
			if st == nil || st.Pending == nil || st.Pending.Seq != w.seq {
				done = true
				return false, nil
			}
			left = st.Pending.Due.Sub(s.o.Now())
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("poll operation %d: %w", w.seq, err)
		}
		if done {
			return nil
		}
		step := min(max(left, time.Millisecond), maxWaitStep)
		if s.customClock {
			step = min(step, pollStep)
		}
		timer := time.NewTimer(step)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// History returns every operation received, in order.
func (s *Sim) History(ctx context.Context) ([]Operation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ops []Operation
	err := s.access(true, func(tx *bolt.Tx, p *persisted) (bool, error) {
		var err error
		ops, err = s.store.history(tx)
		return s.resolveDue(p), err
	})
	if err != nil {
		return nil, fmt.Errorf("read sim history: %w", err)
	}
	return ops, nil
}

// Resources lists the Resource Manager resources the cloud holds for
// migrated or prepared units, in estate order.
func (s *Sim) Resources(ctx context.Context) ([]ARMResource, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []ARMResource
	err := s.update(func(p *persisted) (bool, error) {
		for _, k := range s.topo.order {
			if st := p.Units[k]; st != nil {
				out = append(out, st.Resources...)
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sim resources: %w", err)
	}
	return out, nil
}

// Discover is Classic, for cloud.Discoverer.
func (s *Sim) Discover(ctx context.Context) (*inventory.Inventory, error) { return s.Classic(ctx) }

// Classic returns the classic estate as it now stands: the resources of
// committed units are gone, and VMs say what a Prepare or Abort did to
// their power state (deallocated while it runs).
func (s *Sim) Classic(ctx context.Context) (*inventory.Inventory, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var inv *inventory.Inventory
	err := s.update(func(p *persisted) (bool, error) {
		var err error
		inv, err = s.classic(p)
		return false, err
	})
	if err != nil {
		return nil, fmt.Errorf("read classic estate: %w", err)
	}
	return inv, nil
}

func (s *Sim) classic(p *persisted) (*inventory.Inventory, error) {
	if s.hub() {
		return hubClassic(s.topo.estate), nil
	}
	b, err := json.Marshal(s.topo.estate)
	if err != nil {
		return nil, err
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		return nil, err
	}
	gone := map[string]bool{}
	for k, st := range p.Units {
		if u := s.topo.units[k]; u != nil && st.State == cloud.StateCommitted {
			for m := range u.members {
				if !clonedAtCommit(u, m) {
					gone[m] = true
				}
			}
		}
	}
	keep := func(id string) bool { return !gone[inventory.Key(id)] }
	inv.VirtualNetworks = filter(inv.VirtualNetworks, func(v inventory.VirtualNetwork) bool { return keep(inventory.VNetID(v.Name)) })
	inv.CloudServices = filter(inv.CloudServices, func(c inventory.CloudService) bool { return keep(inventory.CloudServiceID(c.Name)) })
	inv.StorageAccounts = filter(inv.StorageAccounts, func(a inventory.StorageAccount) bool { return keep(inventory.StorageID(a.Name)) })
	inv.NetworkSecurityGroups = filter(inv.NetworkSecurityGroups, func(n inventory.NetworkSecurityGroup) bool { return keep(inventory.NSGID(n.Name)) })
	inv.RouteTables = filter(inv.RouteTables, func(r inventory.RouteTable) bool { return keep(inventory.RouteTableID(r.Name)) })
	inv.ReservedIPs = filter(inv.ReservedIPs, func(r inventory.ReservedIP) bool { return keep(inventory.ReservedIPID(r.Name)) })
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			if vm := p.VMs[inventory.Key(inventory.VMID(cs.Name, r.Name))]; vm != nil && vm.PowerState != "" {
				r.State = vm.PowerState
			}
		}
	}
	return &inv, nil
}

// clonedAtCommit reports whether member m of u stays classic when u is
// committed: "Network security groups associated with a virtual machine or
// subnet are cloned as part of the migration ... The NSG in the classic
// deployment model is not removed during the migration", and user-defined
// routes associated with a subnet likewise (MicrosoftDocs/azure-docs,
// articles/virtual-machines/migration-classic-resource-manager-deep-dive.md,
// translation table, "NSGs" and "UDRs"). An unassociated NSG or route table
// migrated on its own (Move-AzureNetworkSecurityGroup, Move-AzureRouteTable)
// is its own unit and moves.
func clonedAtCommit(u *unit, m string) bool {
	if u.kind == kindNSG || u.kind == kindRouteTable {
		return false
	}
	return strings.HasPrefix(m, kindNSG+"/") || strings.HasPrefix(m, kindRouteTable+"/")
}

func filter[T any](in []T, keep func(T) bool) []T {
	out := in[:0]
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

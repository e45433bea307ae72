package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// File names inside <stateDir>/sim/.
const (
	stateFile = "state.json"
	lockFile  = "lock"
	// stateVersion is bumped when the persisted shape changes incompatibly.
	stateVersion = 1
)

// persisted is the whole simulated cloud as stored in state.json. Every
// process that opens the same state directory reads and writes this one
// document, under the flock, so they all see one cloud.
type persisted struct {
	Version int `json:"version"`
	// Estate is the classic estate as first built from the inventory. It never
	// changes: what stands now is derived from it and the units' states.
	Estate *inventory.Inventory `json:"estate"`
	// Units are the migration states, keyed by the folded unit id.
	Units map[string]*unitState `json:"units"`
	// VMs hold per-VM state keyed by the folded VM resource id
	// (cloudservice/<cs>/<vm>); the disk step adds its fields here.
	VMs map[string]*vmState `json:"vms"`
	// Seq numbers every operation received (history), ReadSeq every State
	// read; fault decisions derive from (seed, counter), so every process
	// continues one sequence.
	Seq int64 `json:"seq"`
	// Finished holds the outcome of every operation that ran, by id (the
	// Seq of the call that started it), for Poll.
	Finished map[int64]finished `json:"finished"`
	ReadSeq  int64              `json:"readSeq"`
	History  []Operation        `json:"history"`

	// The disk step's Resource Manager compute (compute.go): VMs made by
	// Commit, managed disks, images and NICs, keyed by the folded
	// "<resource group>/<name>". Absent in state files written before the
	// disk step existed; load fills in empty maps.
	ARMVMs map[string]*cloud.VM    `json:"armVms,omitempty"`
	Disks  map[string]*managedDisk `json:"disks,omitempty"`
	Images map[string]*cloud.Image `json:"images,omitempty"`
	NICs   map[string]string       `json:"nics,omitempty"`
	// ContentSeed is Options.Seed of the Open that built the cloud: the
	// classic disks' generated content derives from it, so every process
	// sees the same bytes whatever seed it passes.
	ContentSeed int64 `json:"contentSeed,omitempty"`
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
	Seq int64 `json:"seq"`
	// Finished holds the outcome of every operation that ran, by id (the
	// Seq of the call that started it), for Poll.
	Finished map[int64]finished `json:"finished"`
	Op       string             `json:"op"`
	Due      time.Time          `json:"due"`
	Final    cloud.State        `json:"final"`
	Failure  *failure           `json:"failure,omitempty"`
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

// store is the state directory: the state file and its lock file.
type store struct {
	dir  string
	lock *os.File
}

// openStore creates <stateDir>/sim (0700) and opens its lock file (0600).
func openStore(stateDir string) (*store, error) {
	dir := filepath.Join(stateDir, "sim")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create sim state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sim lock file: %w", err)
	}
	return &store{dir: dir, lock: f}, nil
}

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

// load reads the state file; a missing file is (nil, nil).
func (s *store) load() (*persisted, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sim state: %w", err)
	}
	var p persisted
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode sim state %s: %w", filepath.Join(s.dir, stateFile), err)
	}
	if p.Version != stateVersion {
		return nil, fmt.Errorf("sim state %s: version %d, this build reads %d", filepath.Join(s.dir, stateFile), p.Version, stateVersion)
	}
	if p.Estate == nil {
		return nil, fmt.Errorf("sim state %s: no estate", filepath.Join(s.dir, stateFile))
	}
	if p.Units == nil {
		p.Units = map[string]*unitState{}
	}
	for k, u := range p.Units {
		if u == nil {
			delete(p.Units, k)
		}
	}
	if p.VMs == nil {
		p.VMs = map[string]*vmState{}
	}
	if p.Finished == nil {
		p.Finished = map[int64]finished{}
	}
	for k, v := range p.VMs {
		if v == nil {
			delete(p.VMs, k)
		}
	}
	p.initCompute()
	return &p, nil
}

// save writes the state atomically: a temp file in the same directory,
// fsync, rename over the state file, fsync the directory, so a crash leaves
// either the old or the new document, never a torn one.
func (s *store) save(p *persisted) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode sim state: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, stateFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("write sim state: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	// CreateTemp makes 0600 already; say so explicitly, it is the contract.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write sim state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write sim state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync sim state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write sim state: %w", err)
	}
	if err := os.Rename(name, filepath.Join(s.dir, stateFile)); err != nil {
		return fmt.Errorf("replace sim state: %w", err)
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
	if err := s.lock.Close(); err != nil {
		return fmt.Errorf("close sim lock file: %w", err)
	}
	return nil
}

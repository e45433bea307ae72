package convert

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/step"
)

// The engine's write-ahead record of one VM: a journal document under
// "convert/<vm id folded>", rewritten (one fsynced transaction) before and
// after every changing call. Definition is written before anything
// changes, so a VM deleted by the conversion always has its size, NICs,
// availability set and disks (with LUNs and VHD URIs) on record.

const docPrefix = "convert/"

// Steps of a VM's conversion, in order.
const (
	stepNew         = ""
	stepRecorded    = "recorded"    // definition on record
	stepPrecopied   = "precopied"   // precopy: every disk copied from a snapshot and verified while running
	stepDeallocated = "deallocated" // VM stopped, its VHDs stable
	stepDisks       = "disks"       // every managed disk made and verified
	stepDeleted     = "deleted"     // the VM on VHDs removed
	stepCreated     = "created"     // the VM recreated on managed disks
	stepDone        = "done"        // power state restored
)

var stepOrder = map[string]int{stepNew: 0, stepRecorded: 1, stepPrecopied: 2, stepDeallocated: 3, stepDisks: 4, stepDeleted: 5, stepCreated: 6, stepDone: 7}

// vmRecord is the per-VM document.
type vmRecord struct {
	VM         string    `json:"vm"`
	Definition *cloud.VM `json:"definition,omitempty"`
	Step       string    `json:"step"`
	// Disks by folded disk name.
	Disks map[string]*diskRecord `json:"disks"`
	// Pending is the intent without an outcome: its call's effect is
	// unknown until the cloud is read.
	Pending *intentRec `json:"pending,omitempty"`
	// Restart names the disk whose verification failed while the VM,
	// running before the conversion, is being put back: the managed disks
	// made are deleted and the VM started again on its VHDs; it fails
	// with that disk's mismatch once it runs. Set, the VM's step is
	// stepRecorded, since once it runs its VHDs are no longer stable.
	Restart string `json:"restart,omitempty"`
	// PutBack is why a VM that ran before the conversion and failed while
	// deallocated (before DeleteVM) is being started again on its VHDs,
	// the managed disks made for it deleted first; journaled before
	// anything is sent for it, like Restart.
	PutBack string `json:"putBack,omitempty"`
	// Rollback is why the VM, deleted for a recreate, is being recreated
	// on its original VHDs from Definition (journaled before anything is
	// sent for it, so a run stopped anywhere finishes it first); the VM
	// then fails with it.
	Rollback string `json:"rollback,omitempty"`
	// Method is the method the VM's conversion started with; a later run
	// finishes with it even if the plan changed.
	Method string `json:"method,omitempty"`
	// Status is done or failed once a run finished with the VM; Reason
	// says why it failed.
	Status Status `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Hash names the content hash of every SourceSHA256 and
	// ManagedSHA256 here (disks.HashTree). A record without it was written
	// by a release whose copies hashed sha256-runs: its unverified hashes
	// are dropped on load and computed again, so a source hashed one way
	// is never compared with a managed disk hashed the other (issue 12).
	Hash    string      `json:"hash,omitempty"`
	Log     []logRecord `json:"log"`
	Updated time.Time   `json:"updated"`
}

// diskRecord is one disk's progress.
type diskRecord struct {
	Name     string `json:"name"`
	Movement string `json:"movement"`
	Created  bool   `json:"created,omitempty"`
	// Staged: leg 1 wrote a complete staging image.
	Staged bool `json:"staged,omitempty"`
	// Copied: the streamed copy into the disk finished.
	Copied bool `json:"copied,omitempty"`
	// Uploaded: the upload ended (EndUpload); never sent again.
	Uploaded bool `json:"uploaded,omitempty"`
	// SourceSHA256 is the content hash of the source VHD, ManagedSHA256
	// that of the managed disk read back; Verified when they matched.
	SourceSHA256  string `json:"sourceSha256,omitempty"`
	ManagedSHA256 string `json:"managedSha256,omitempty"`
	Verified      bool   `json:"verified,omitempty"`
	// Mismatch: verification failed; the managed disk is being deleted.
	Mismatch bool `json:"mismatch,omitempty"`
	// Pending is the open intent of a call on this disk (its managed
	// disk, its snapshots): a VM's disks move in parallel, each with its
	// own write-ahead.
	Pending *intentRec `json:"pending,omitempty"`

	// Precopy. VHDURI is the source's; Snapshot is the snapshot the
	// pre-copy copied (the base of the delta), Precopied when that copy
	// was read back and matched leaf by leaf; Final is the cut-over's
	// snapshot and Delta is set once what changed between the two is
	// copied. Snapshots lists every snapshot id ever journaled for the
	// disk (kept across a reset, for Leftovers and Cleanup).
	VHDURI    string   `json:"vhdUri,omitempty"`
	Snapshot  string   `json:"snapshot,omitempty"`
	Precopied bool     `json:"precopied,omitempty"`
	Final     string   `json:"final,omitempty"`
	Delta     bool     `json:"delta,omitempty"`
	Snapshots []string `json:"snapshots,omitempty"`
	// Passes counts the catch-up passes made while the VM runs; CaughtUp
	// is set when they are done (the last was short enough).
	Passes   int  `json:"passes,omitempty"`
	CaughtUp bool `json:"caughtUp,omitempty"`
	// Cleaned lists the snapshots Cleanup removed.
	Cleaned []string `json:"cleaned,omitempty"`
}

// reset forgets a disk's progress (its managed disk is gone), keeping what
// Leftovers needs.
func (d *diskRecord) reset() {
	*d = diskRecord{Name: d.Name, Movement: d.Movement, VHDURI: d.VHDURI, Snapshots: d.Snapshots, Cleaned: d.Cleaned, Pending: d.Pending}
}

// down reports whether a stopped run may have left the VM down (or going
// down): it holds its availability set's place at the gate first.
func (r *vmRecord) down() bool {
	if r.Status == StatusDone {
		return false
	}
	if r.Rollback != "" || r.Restart != "" || r.PutBack != "" {
		return true
	}
	if p := r.Pending; p != nil && (p.Op == OpDeallocate || p.Op == OpConvert || p.Op == OpAlign) {
		return true
	}
	o := stepOrder[r.Step]
	return o >= stepOrder[stepDeallocated] && o < stepOrder[stepDone]
}

// untouched reports whether nothing of the VM has changed yet (a blocked
// VM is skipped only then).
func (r *vmRecord) untouched() bool {
	return stepOrder[r.Step] <= stepOrder[stepRecorded] && r.Pending == nil && r.Restart == "" && r.Rollback == "" && r.PutBack == "" &&
		r.Status != StatusDone && !r.anyDisk()
}

func (r *vmRecord) anyDisk() bool {
	for _, d := range r.Disks {
		if d.Created || d.Snapshot != "" || len(d.Snapshots) > 0 || d.Pending != nil {
			return true
		}
	}
	return false
}

// intentRec is a call about to be sent.
type intentRec struct {
	Op      string    `json:"op"`
	Target  string    `json:"target"`
	Attempt int       `json:"attempt"`
	Time    time.Time `json:"time"`
}

// logRecord is one line of what happened to the VM: an intent, its
// outcome, or a note (a skip, a reconciliation, a verification).
type logRecord struct {
	Kind    string    `json:"kind"` // intent, outcome, note
	Op      string    `json:"op,omitempty"`
	Target  string    `json:"target,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	Result  string    `json:"result,omitempty"`
	Error   string    `json:"error,omitempty"`
	Time    time.Time `json:"time"`
}

func docKey(vmID string) string { return docPrefix + inventory.Key(vmID) }

func loadRecord(j *journal.Journal, vmID string) (*vmRecord, error) {
	b, ok, err := j.Doc(docKey(vmID))
	if err != nil {
		return nil, err
	}
	r := &vmRecord{VM: vmID, Disks: map[string]*diskRecord{}, Log: []logRecord{}}
	if !ok {
		return r, nil
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("decode conversion record of %s: %w", vmID, err)
	}
	if r.Disks == nil {
		r.Disks = map[string]*diskRecord{}
	}
	if r.Hash != disks.HashTree {
		for _, d := range r.Disks {
			if !d.Verified {
				d.SourceSHA256, d.ManagedSHA256 = "", ""
			}
		}
		r.Hash = disks.HashTree
	}
	return r, nil
}

func (r *vmRecord) save(j *journal.Journal, now time.Time) error {
	r.Updated = now.UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode conversion record of %s: %w", r.VM, err)
	}
	if err := j.PutDoc(docKey(r.VM), b); err != nil {
		// Without a durable record write-ahead is broken: the engine
		// stops.
		return &step.StoreError{Err: err}
	}
	return nil
}

// Record is the journal's account of one VM's conversion, for status
// displays.
type Record struct {
	VM         string    `json:"vm"`
	Step       string    `json:"step"`
	Status     Status    `json:"status,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Definition *cloud.VM `json:"definition,omitempty"`
	// Pending is the operation of an intent without an outcome.
	Pending string       `json:"pending,omitempty"`
	Disks   []DiskResult `json:"disks"`
	Updated time.Time    `json:"updated"`
}

// Records returns what the journal holds about every VM's conversion, by
// VM id (folded). j may be read-only.
func Records(j *journal.Journal) (map[string]Record, error) {
	docs, err := j.Docs(docPrefix)
	if err != nil {
		return nil, err
	}
	out := map[string]Record{}
	for k, b := range docs {
		var r vmRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("decode conversion record %s: %w", k, err)
		}
		rec := Record{VM: r.VM, Step: r.Step, Status: r.Status, Reason: r.Reason, Definition: r.Definition, Updated: r.Updated, Disks: r.diskResults()}
		if r.Pending != nil {
			rec.Pending = r.Pending.Op
		}
		for _, d := range r.Disks {
			if d.Pending != nil && rec.Pending == "" {
				rec.Pending = d.Pending.Op
			}
		}
		out[inventory.Key(r.VM)] = rec
	}
	return out, nil
}

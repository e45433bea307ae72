package convert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// Leftover is a VHD or a blob snapshot of one the disk step kept: the
// conversion never removes the data it converted from, so an operator can
// go back until they decide otherwise (migrate disks cleanup).
type Leftover struct {
	VM     string `json:"vm"`
	Disk   string `json:"disk"`
	VHDURI string `json:"vhdUri"`
	// Snapshot is the snapshot's id; "" is the VHD itself.
	Snapshot string `json:"snapshot,omitempty"`
	// Removable is set when the VM runs on managed disks that were
	// verified (or made by the platform): nothing of the disk step needs
	// the leftover any more. Others belong to a conversion still going
	// on, failed or rolled back, and Cleanup leaves them.
	Removable bool `json:"removable"`
}

// VHDRemover deletes a VHD's page blob (with its snapshots); a missing one
// succeeds. Optional for Cleanup: without one VHDs are listed, not
// removed.
type VHDRemover interface {
	DeleteVHD(ctx context.Context, vhdURI string) error
}

// vhdCleaned marks, in a disk's Cleaned, that its VHD is removed.
const vhdCleaned = "vhd"

// Leftovers lists, VM by VM in id order then disk by disk, the VHDs and
// snapshots the journal says the disk step kept and Cleanup has not
// removed. j may be read-only. Snapshots taken by a call whose outcome
// was never journaled (a kill in the call) are unknown here.
func Leftovers(j *journal.Journal) ([]Leftover, error) {
	recs, err := loadRecords(j)
	if err != nil {
		return nil, err
	}
	var out []Leftover
	for _, r := range recs {
		if r.Definition == nil {
			continue
		}
		done := r.Status == StatusDone
		for _, d := range allDisks(r.Definition) {
			dr := r.Disks[inventory.Key(d.Name)]
			if dr == nil {
				continue
			}
			for _, s := range dr.Snapshots {
				if !slices.Contains(dr.Cleaned, s) {
					out = append(out, Leftover{VM: r.VM, Disk: d.Name, VHDURI: d.VHDURI, Snapshot: s, Removable: done})
				}
			}
			if done && !slices.Contains(dr.Cleaned, vhdCleaned) {
				out = append(out, Leftover{VM: r.VM, Disk: d.Name, VHDURI: d.VHDURI, Removable: true})
			}
		}
	}
	return out, nil
}

func loadRecords(j *journal.Journal) ([]*vmRecord, error) {
	docs, err := j.Docs(docPrefix)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*vmRecord
	for _, k := range keys {
		r := &vmRecord{}
		if err := json.Unmarshal(docs[k], r); err != nil {
			return nil, fmt.Errorf("decode conversion record %s: %w", k, err)
		}
		if r.Disks == nil {
			r.Disks = map[string]*diskRecord{}
		}
		out = append(out, r)
	}
	return out, nil
}

// CleanupOptions configure Cleanup.
type CleanupOptions struct {
	// Snapshots deletes the snapshots; required.
	Snapshots cloud.VHDSnapshots
	// VHDs deletes the VHDs; nil keeps them (only snapshots go).
	VHDs VHDRemover
	// VMs limits the cleanup to these VM ids; empty means every VM.
	VMs []string
	// Now stamps the records; nil means time.Now.
	Now func() time.Time
}

// Cleanup removes the Removable leftovers (Leftovers) and records each
// removal in the VM's journal record, so a second Cleanup sends nothing
// for it. Deleting a snapshot or VHD that is gone succeeds, so a Cleanup
// stopped anywhere is finished by running it again. Every leftover is
// tried; the errors of those that failed are returned together. j must be
// writable. The caller asks the operator first (disks cleanup without
// --yes).
func Cleanup(ctx context.Context, j *journal.Journal, o CleanupOptions) ([]Leftover, error) {
	if o.Snapshots == nil {
		return nil, fmt.Errorf("%w: Cleanup needs the snapshots' driver", ErrOptions)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	want := map[string]bool{}
	for _, id := range o.VMs {
		want[inventory.Key(id)] = true
	}
	recs, err := loadRecords(j)
	if err != nil {
		return nil, err
	}
	var (
		removed []Leftover
		errs    []error
	)
	for _, r := range recs {
		if r.Definition == nil || r.Status != StatusDone || (len(want) > 0 && !want[inventory.Key(r.VM)]) {
			continue
		}
		for _, d := range allDisks(r.Definition) {
			dr := r.Disks[inventory.Key(d.Name)]
			if dr == nil {
				continue
			}
			for _, s := range dr.Snapshots {
				if slices.Contains(dr.Cleaned, s) {
					continue
				}
				if err := o.Snapshots.DeleteVHDSnapshot(ctx, d.VHDURI, s); err != nil && !errors.Is(err, cloud.ErrNotFound) {
					errs = append(errs, fmt.Errorf("%s disk %s: delete snapshot %s: %w", r.VM, d.Name, s, err))
					continue
				}
				dr.Cleaned = append(dr.Cleaned, s)
				removed = append(removed, Leftover{VM: r.VM, Disk: d.Name, VHDURI: d.VHDURI, Snapshot: s, Removable: true})
				if err := r.save(j, o.Now()); err != nil {
					return removed, err
				}
			}
			if o.VHDs == nil || slices.Contains(dr.Cleaned, vhdCleaned) {
				continue
			}
			if err := o.VHDs.DeleteVHD(ctx, d.VHDURI); err != nil && !errors.Is(err, cloud.ErrNotFound) {
				errs = append(errs, fmt.Errorf("%s disk %s: delete VHD: %w", r.VM, d.Name, err))
				continue
			}
			dr.Cleaned = append(dr.Cleaned, vhdCleaned)
			removed = append(removed, Leftover{VM: r.VM, Disk: d.Name, VHDURI: d.VHDURI, Removable: true})
			if err := r.save(j, o.Now()); err != nil {
				return removed, err
			}
		}
	}
	return removed, errors.Join(errs...)
}

// Unfinished returns the recorded definitions (as they were before the
// conversion, on their VHDs) of the VMs whose conversion began and is not
// done, in id order. Where the plan is made from what the platform lists
// (BuildFromVMs, Azure Stack Hub), a VM deleted for its recreate, or
// recreated but not yet recorded so, is listed no more or listed as
// converted: only the journal knows it is the disk step's to finish, so
// the caller plans these from their definitions. j may be read-only.
func Unfinished(j *journal.Journal) ([]cloud.VM, error) {
	recs, err := loadRecords(j)
	if err != nil {
		return nil, err
	}
	var out []cloud.VM
	for _, r := range recs {
		if r.Definition == nil || r.Status == StatusDone {
			continue
		}
		out = append(out, *r.Definition)
	}
	return out, nil
}

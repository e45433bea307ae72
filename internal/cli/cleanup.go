package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/report"
)

// cleanupDoc is what disks cleanup reports: what it removed and what it
// kept, each with the reason.
type cleanupDoc struct {
	Removed []leftoverDoc `json:"removed" yaml:"removed"`
	Kept    []leftoverDoc `json:"kept" yaml:"kept"`
}

type leftoverDoc struct {
	VM       string `json:"vm" yaml:"vm"`
	Disk     string `json:"disk" yaml:"disk"`
	VHD      string `json:"vhd" yaml:"vhd"`
	Snapshot string `json:"snapshot,omitempty" yaml:"snapshot,omitempty"`
	Reason   string `json:"reason,omitempty" yaml:"reason,omitempty"`
}

func leftoverOf(l convert.Leftover, reason string) leftoverDoc {
	return leftoverDoc{VM: l.VM, Disk: l.Disk, VHD: disks.RedactURL(l.VHDURI), Snapshot: l.Snapshot, Reason: reason}
}

func (a *app) newDisksCleanupCmd() *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "cleanup [VM...]",
		Short: "Remove the VHDs and snapshots the disk step kept, once their VMs run on verified managed disks",
		Long: `cleanup removes what the disk step keeps on purpose until a conversion is
proven: the blob snapshots a pre-copy took, and the VHDs of VMs that now run
on managed disks. Only the leftovers of VMs the journal records as converted
(their managed disks verified, or made by the platform's own conversion)
are removed; those of a conversion still going on, failed or rolled back
are kept and listed with the reason. A VHD a VM still holds (the
platform's lease) is never deleted.

It asks before it deletes anything, like commit; --yes answers for a
script. Run it again after an interruption: what is gone already is not
sent again.`,
		Example: `  migrate disks cleanup --inventory estate.json
  migrate disks cleanup --inventory estate.json vm/contoso-web-Migrated/web1 --yes`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			return a.cleanupDisks(cmd.Context(), args, yes)
		},
	}
	c.Flags().BoolVar(&yes, "yes", false, "remove without asking (the VHDs and snapshots cannot be recovered)")
	return c
}

func (a *app) cleanupDisks(ctx context.Context, vms []string, yes bool) (err error) {
	inv, err := a.loadInventory()
	if err != nil {
		return err
	}
	j, err := a.openJournal("disks cleanup")
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, j.Close)
	left, err := convert.Leftovers(j)
	if err != nil {
		return fmt.Errorf("read the disk step's records: %w", err)
	}
	want := map[string]bool{}
	for _, id := range vms {
		want[id] = true
	}
	var doc cleanupDoc
	var removable []convert.Leftover
	for _, l := range left {
		if len(want) > 0 && !want[l.VM] {
			continue
		}
		if !l.Removable {
			doc.Kept = append(doc.Kept, leftoverOf(l, "its VM's conversion is not finished (going on, failed or rolled back): its VHDs and snapshots are how it gets back"))
			continue
		}
		removable = append(removable, l)
	}
	if len(removable) == 0 {
		fmt.Fprintln(a.io.ErrOut, "migrate: nothing to clean up")
		return a.printCleanup(doc)
	}
	if !yes && a.io.InTTY {
		t := newTable(a.io.ErrOut, "VM", "DISK", "REMOVE")
		for _, l := range removable {
			what := "VHD " + disks.RedactURL(l.VHDURI)
			if l.Snapshot != "" {
				what = "snapshot " + l.Snapshot
			}
			t.row(l.VM, l.Disk, what)
		}
		t.flush()
	}
	if err := a.confirm(ctx, yes, "cleanup",
		"disks cleanup deletes VHDs and snapshots for good: pass --yes to remove them without a terminal to confirm on (nothing was changed)",
		fmt.Sprintf("Delete these %d VHD(s) and snapshot(s)? They cannot be recovered. Type yes to delete: ", len(removable))); err != nil {
		return err
	}
	drv, closeDriver, err := a.openDriver(ctx, inv, j)
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, closeDriver)
	snaps, ok := drv.(cloud.VHDSnapshots)
	if !ok {
		return badInputf("driver %s cannot delete VHD snapshots", a.cfg.Driver)
	}
	o := convert.CleanupOptions{Snapshots: snaps, VMs: vms}
	if r, ok := drv.(convert.VHDRemover); ok {
		o.VHDs = r
	}
	removed, cerr := convert.Cleanup(ctx, j, o)
	for _, l := range removed {
		doc.Removed = append(doc.Removed, leftoverOf(l, ""))
	}
	if perr := a.printCleanup(doc); perr != nil {
		return perr
	}
	if cerr != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("cleanup: %w (run it again to retry what failed)", cerr)}
	}
	return nil
}

func (a *app) printCleanup(doc cleanupDoc) error {
	if doc.Removed == nil {
		doc.Removed = []leftoverDoc{}
	}
	if doc.Kept == nil {
		doc.Kept = []leftoverDoc{}
	}
	if a.structured() {
		return a.writeDoc(doc)
	}
	t := newTable(a.io.Out, "VM", "DISK", "WHAT", "DONE", "REASON")
	for _, l := range doc.Removed {
		t.row(l.VM, l.Disk, leftoverWhat(l), "removed", "")
	}
	for _, l := range doc.Kept {
		t.row(l.VM, l.Disk, leftoverWhat(l), "kept", l.Reason)
	}
	t.flush()
	fmt.Fprintf(a.io.Out, "\n%d removed, %d kept\n", len(doc.Removed), len(doc.Kept))
	return nil
}

func leftoverWhat(l leftoverDoc) string {
	if l.Snapshot != "" {
		return "snapshot " + l.Snapshot
	}
	return "VHD " + l.VHD
}

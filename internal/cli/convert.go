package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/orchestrate"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/report"
	"github.com/migrate-tool/migrate/pkg/retry"
)

// convertFlags are the disk step's flags, shared by `disks convert` and
// `run --convert-disks`.
type convertFlags struct {
	staging     string
	keyFile     string
	cipher      string
	stream      bool
	bandwidth   string
	iops        int
	accountType string
	// method, changeRate and diskAPIVersion choose how VMs convert
	// (issue 10): PlanOptions.Method, ChangeRate and DiskAPIVersion.
	method         string
	changeRate     string
	diskAPIVersion string
}

func (f *convertFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.staging, "staging", "", "carry every disk through an encrypted staging image in this folder (two legs: VHD to staging, staging to managed disk)")
	c.Flags().StringVar(&f.keyFile, "key-file", "", "key-encryption key for --staging: 32 raw bytes, mode 0600 or stricter")
	c.Flags().StringVar(&f.cipher, "cipher", "xts-aes-128", "staging cipher: xts-aes-128 or xts-aes-256")
	c.Flags().BoolVar(&f.stream, "stream", false, "stream every disk through this machine (Upload) instead of a server-side Import")
	c.Flags().StringVar(&f.bandwidth, "max-bandwidth", "", "cap each disk's streamed copy, bytes per second (e.g. 145MB; at least 1KiB, 0 for none); implies --stream")
	c.Flags().IntVar(&f.iops, "max-iops", 0, "cap each disk's streamed copy, write calls per second; implies --stream")
	c.Flags().StringVar(&f.accountType, "account-type", "", "managed disk type for every disk (Premium_LRS, Standard_LRS, StandardSSD_LRS); default: from the storage account")
	f.addMethod(c)
}

// addMethod adds the flags that choose each VM's method, shared by the
// disk step's commands and plan.
func (f *convertFlags) addMethod(c *cobra.Command) {
	c.Flags().StringVar(&f.method, "method", "", "how every VM converts: platform (Azure's Convert To Managed Disks), precopy (copy while running, then only what changed), cutover (every byte while down); default: the best the target allows")
	c.Flags().StringVar(&f.changeRate, "change-rate", "", "how fast a running VM writes to its disks, bytes per second (e.g. 5MB), for the pre-copy's forecast; default 1MB")
	c.Flags().StringVar(&f.diskAPIVersion, "disk-api-version", "", "the target's disk API version (Azure Stack Hub: 2017-03-30, 2017-12-01 (default) or 2019-07-01, which allows precopy)")
	_ = c.RegisterFlagCompletionFunc("method", fixedCompletion(convert.MethodPlatform, convert.MethodPrecopy, convert.MethodCutover))
}

// planOptions turns the flags into conversion plan options (exit 2 on a
// bad value).
func (f *convertFlags) planOptions() (convert.PlanOptions, error) {
	o := convert.PlanOptions{Staging: f.staging != "", Stream: f.stream, MaxIOPS: f.iops, AccountType: f.accountType}
	bw, err := parseBandwidthFlag(f.bandwidth)
	if err != nil {
		return o, err
	}
	o.MaxBandwidth = bw
	o.Method, o.DiskAPIVersion = f.method, f.diskAPIVersion
	if f.changeRate != "" {
		if o.ChangeRate, err = parseRateFlag("--change-rate", f.changeRate); err != nil {
			return o, err
		}
	}
	if f.iops < 0 {
		return o, badInputf("--max-iops must not be negative")
	}
	if f.staging != "" && f.keyFile == "" {
		return o, badInputf("--staging needs --key-file: staging images are always encrypted")
	}
	if f.staging == "" && f.keyFile != "" {
		return o, badInputf("--key-file is for --staging; without it nothing is encrypted")
	}
	return o, nil
}

// conversionPlan builds the disk step's plan; problems (a disk over the
// target's ceiling) are exit 2 before anything changes.
func conversionPlan(inv *inventory.Inventory, o convert.PlanOptions) (*convert.Plan, error) {
	return planned(convert.Build(inv, o))
}

// planned maps a conversion plan's build: its problems are exit 2 (the plan
// is kept to be shown), anything else an error.
func planned(cp *convert.Plan, err error) (*convert.Plan, error) {
	if err != nil {
		var pe *convert.PlanError
		if errors.As(err, &pe) {
			return cp, badInput(err)
		}
		return nil, fmt.Errorf("conversion plan: %w", err)
	}
	return cp, nil
}

// convertRecord is what the journal keeps of a disk step command, so
// resume can run it again with the same options (never the key itself:
// only its path).
type convertRecord struct {
	Flags struct {
		Staging     string `json:"staging,omitempty"`
		KeyFile     string `json:"keyFile,omitempty"`
		Cipher      string `json:"cipher,omitempty"`
		Stream      bool   `json:"stream,omitempty"`
		Bandwidth   string `json:"maxBandwidth,omitempty"`
		IOPS        int    `json:"maxIops,omitempty"`
		AccountType string `json:"accountType,omitempty"`
		Method      string `json:"method,omitempty"`
		ChangeRate  string `json:"changeRate,omitempty"`
		DiskAPI     string `json:"diskApiVersion,omitempty"`
	} `json:"flags"`
	VMs []string `json:"vms,omitempty"`
	// FromRun: the disk step of `run --convert-disks`, over the VMs of the
	// units that committed.
	FromRun  bool `json:"fromRun,omitempty"`
	Finished bool `json:"finished"`
	// Abandoned: given up by `migrate resume --abandon` (Finished is set
	// too, so older builds do not resume it either).
	Abandoned bool `json:"abandoned,omitempty"`
}

const convertDocKey = "cli/convert"

// record is what the journal keeps; a staging container's SAS is not
// kept (resume asks for a fresh one with --staging).
func (f *convertFlags) record(vms []string, fromRun bool) convertRecord {
	r := convertRecord{FromRun: fromRun}
	r.Flags.Staging, r.Flags.KeyFile, r.Flags.Cipher = disks.RedactURL(f.staging), f.keyFile, f.cipher
	r.Flags.Stream, r.Flags.Bandwidth, r.Flags.IOPS, r.Flags.AccountType = f.stream, f.bandwidth, f.iops, f.accountType
	r.Flags.Method, r.Flags.ChangeRate, r.Flags.DiskAPI = f.method, f.changeRate, f.diskAPIVersion
	r.VMs = vms
	return r
}

func (r convertRecord) flags() convertFlags {
	return convertFlags{staging: r.Flags.Staging, keyFile: r.Flags.KeyFile, cipher: r.Flags.Cipher, stream: r.Flags.Stream,
		bandwidth: r.Flags.Bandwidth, iops: r.Flags.IOPS, accountType: r.Flags.AccountType,
		method: r.Flags.Method, changeRate: r.Flags.ChangeRate, diskAPIVersion: r.Flags.DiskAPI}
}

func putConvertRecord(j *journal.Journal, r convertRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return j.PutDoc(convertDocKey, b)
}

func getConvertRecord(j *journal.Journal) (convertRecord, bool, error) {
	var r convertRecord
	b, ok, err := j.Doc(convertDocKey)
	if err != nil || !ok {
		return r, ok, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, false, fmt.Errorf("journal %s: %w", convertDocKey, err)
	}
	return r, true, nil
}

// ConvertOptions are what disks convert is asked.
type ConvertOptions struct {
	Disks convertFlags
	// Yes: convert without asking.
	Yes bool
	// VMs are the VMs named; none means every VM of the inventory.
	VMs []string
}

// newDisksConvertCmd is disks convert; runF, when set, is run instead of
// runConvert (tests of the flags).
func (a *app) newDisksConvertCmd(runF func(context.Context, *ConvertOptions) error) *cobra.Command {
	if runF == nil {
		runF = a.runConvert
	}
	o := &ConvertOptions{}
	c := &cobra.Command{
		Use:   "convert [VM...]",
		Short: "Turn migrated VMs' unmanaged VHDs into managed disks",
		Long: `convert takes each migrated VM (no argument: every VM of the inventory) from
unmanaged VHDs to managed disks, the way the Azure Stack Hub procedure does
it by hand: its definition is recorded in the journal, the VM is
deallocated, a managed disk is made from each VHD (server side with Import,
or streamed with Upload when --stream, a rate cap or --staging asks for it),
every disk's content hash is checked against its VHD, and only then is the
VM removed (keeping its disks and NIC) and created again on the managed
disks with the same size, availability set, NIC and data-disk LUNs.

A disk whose copy differs from its source fails its VM, which stays on its
VHDs. After a kill, "migrate resume" (or the same command) continues at the
right step and never uploads a disk twice.

--staging DIR carries every disk through an encrypted staging image
(disks.md): VHD to staging, then staging decrypted, verified and uploaded.
On Azure Stack Hub, Premium disks are capped at 2,300 IOPS and 145 MB/s by
default. VMs are named vm/<resource group>/<name> or cloudservice/<cs>/<vm>.`,
		Example: `  migrate disks convert --inventory estate.json --yes
  migrate disks convert --inventory estate.json cloudservice/contoso-web/web1 --stream --max-bandwidth 145MB
  migrate disks convert --inventory estate.json --staging /mnt/usb --key-file kek.bin`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.VMs = args
			return runF(cmd.Context(), o)
		},
	}
	o.Disks.add(c)
	c.Flags().BoolVar(&o.Yes, "yes", false, "convert without asking (VMs are deallocated, and removed and recreated where the platform has no conversion of its own)")
	return c
}

// runConvert runs the disk step on the VMs named.
func (a *app) runConvert(ctx context.Context, o *ConvertOptions) error {
	if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
		return badInput(err)
	}
	return finishStep(a.convertDisks(ctx, o.Disks, o.VMs, nil, false, o.Yes))
}

// platformer is a driver that says whether its platform has its own
// conversion (nil where it has none).
type platformer interface {
	Platform() cloud.PlatformConversion
}

// convertDisks runs the disk step. j, when given, is the journal the
// calling command already holds. yes: the operator already agreed (--yes,
// or the run or resume that carries this step); otherwise the VMs and what
// happens to each are shown and confirmed first.
func (a *app) convertDisks(ctx context.Context, f convertFlags, vms []string, j *journal.Journal, fromRun, yes bool) (_ orchestrate.Status, err error) {
	po, err := f.planOptions()
	if err != nil {
		return orchestrate.Failed, err
	}
	po.Parallel = a.cfg.Parallel
	a.diskAPIVersion = f.diskAPIVersion
	if !yes && !a.io.InTTY {
		// Refused before anything is opened: there is no one to ask.
		return orchestrate.Failed, a.confirm(ctx, yes, "conversion", convertRefusal, "")
	}
	inv, err := a.loadInventory()
	if err != nil {
		return orchestrate.Failed, err
	}
	cp, err := conversionPlan(inv, po)
	if err != nil {
		return orchestrate.Failed, err
	}
	for _, id := range vms {
		if cp.Lookup(id) == nil {
			return orchestrate.Failed, badInputf("unknown VM %s: name it vm/<resource group>/<name> or cloudservice/<cs>/<vm>", id)
		}
	}
	var kek []byte
	if f.keyFile != "" {
		if kek, err = staging.LoadKeyFile(f.keyFile); err != nil {
			return orchestrate.Failed, err
		}
	}
	if j == nil {
		if j, err = a.openJournal("disks convert"); err != nil {
			return orchestrate.Failed, err
		}
		defer keepCloseErr(&err, j.Close)
	}
	drv, closeDriver, err := a.openDriver(ctx, inv, j)
	if err != nil {
		return orchestrate.Failed, err
	}
	defer keepCloseErr(&err, closeDriver)
	compute, ok1 := drv.(cloud.Compute)
	data, ok2 := drv.(cloud.DiskData)
	if !ok1 || !ok2 {
		return orchestrate.Failed, badInputf("driver %s cannot convert disks", a.cfg.Driver)
	}
	if cp.Cloud == inventory.CloudAzureStackHub {
		// Azure Stack Hub's VMs never were classic: the plan that runs is
		// made from what Resource Manager lists now; the inventory's was
		// the offline check.
		if cp, err = a.hubPlan(ctx, compute, j, inv, po); err != nil {
			return orchestrate.Failed, err
		}
	}
	blocked, err := a.blockedVMs(ctx, inv, j, drv, cp)
	if err != nil {
		return orchestrate.Failed, err
	}
	if err := a.confirmConvert(ctx, yes, cp, vms, blocked); err != nil {
		return orchestrate.Failed, err
	}
	if err := putConvertRecord(j, f.record(vms, fromRun)); err != nil {
		return orchestrate.Failed, fmt.Errorf("journal: %w", err)
	}
	prog := a.newConvertProgress()
	o := convert.Options{
		Plan: cp, VMs: vms, Compute: compute, Data: data, Journal: j, Blocked: blocked,
		Parallel: a.cfg.Parallel, Drain: a.drain, Staging: f.staging, KEK: kek, Cipher: f.cipher,
		MaxBandwidth: po.MaxBandwidth, MaxIOPS: po.MaxIOPS, StateDir: a.cfg.StateDir,
		Events: prog.Event,
	}
	// The platform's conversion and the VHD snapshots, where the driver
	// has them (Platform() is nil on Azure Stack Hub): Run refuses a plan
	// whose methods need what is missing.
	if p, ok := drv.(platformer); ok {
		o.Platform = p.Platform()
	}
	if s, ok := drv.(cloud.VHDSnapshots); ok {
		o.Snapshots = s
	}
	// Put Page From URL, where the target's storage service has it: the
	// pre-copy's bytes then move inside the cloud, not through here.
	if pc, ok := drv.(cloud.PageCopier); ok {
		o.Pages = pc
	}
	if a.cfg.Driver == "sim" {
		o.TimeScale = a.cfg.Sim.TimeScale
	}
	if hook := a.crashHook(); hook != nil {
		o.OnBoundary = func(convert.Boundary, string, string) { hook("", "", "") }
	}
	res, err := convert.Run(ctx, o)
	prog.Close()
	if err != nil {
		if errors.Is(err, convert.ErrOptions) || errors.Is(err, convert.ErrUnknownVM) {
			return orchestrate.Failed, badInput(err)
		}
		return orchestrate.Failed, err
	}
	if convertStatus(res) == orchestrate.Done {
		r := f.record(vms, fromRun)
		r.Finished = true
		if err := putConvertRecord(j, r); err != nil {
			return orchestrate.Failed, fmt.Errorf("journal: %w", err)
		}
	}
	if err := a.printConvertResult(res, prog.stats); err != nil {
		return orchestrate.Failed, err
	}
	return convertStatus(res), nil
}

// convertStatus is how the disk step's result ended.
func convertStatus(res convert.Result) orchestrate.Status {
	out := orchestrate.Done
	for _, v := range res.VMs {
		switch v.Status {
		case convert.StatusInterrupted:
			out = orchestrate.Worst(out, orchestrate.Interrupted)
		case convert.StatusFailed:
			out = orchestrate.Worst(out, orchestrate.Failed)
		}
	}
	return out
}

func (a *app) printConvertResult(res convert.Result, stats *runStats) error {
	if a.structured() {
		return a.writeDoc(res)
	}
	t := newTable(a.io.Out, "VM", "STATUS", "DISKS", "VERIFIED", "REASON")
	count := map[convert.Status]int{}
	for _, v := range res.VMs {
		verified, platform := 0, len(v.Disks) > 0
		for _, d := range v.Disks {
			if d.Verified {
				verified++
			}
			platform = platform && d.Movement == convert.MovePlatform
		}
		count[v.Status]++
		ver := fmt.Sprint(verified)
		if platform {
			// The platform converted in place: nothing of ours to hash.
			ver = "by the platform"
		}
		t.row(v.ID, string(v.Status), fmt.Sprint(len(v.Disks)), ver, v.Reason)
	}
	t.flush()
	fmt.Fprintf(a.io.Out, "\n%d VMs: %d on managed disks, %d failed, %d skipped, %d interrupted", len(res.VMs),
		count[convert.StatusDone], count[convert.StatusFailed], count[convert.StatusSkipped], count[convert.StatusInterrupted])
	if sum := stats.summary(); sum != "" {
		fmt.Fprint(a.io.Out, "; "+sum)
	}
	fmt.Fprintln(a.io.Out)
	switch {
	case count[convert.StatusInterrupted] > 0:
		fmt.Fprintln(a.io.Out, "Next: `migrate resume` continues where this stopped.")
	case count[convert.StatusFailed] > 0:
		fmt.Fprintln(a.io.Out, "Next: read each failed VM's reason above (and the log), fix it, then `migrate resume` or convert again.")
	case count[convert.StatusDone] > 0:
		fmt.Fprintln(a.io.Out, "Next: once the VMs are checked, `migrate disks cleanup` removes the VHDs and snapshots kept for them.")
	}
	return nil
}

// blockedVMs are the plan's VMs that must not be converted yet, with the
// reason: the platform converts only what the classic migration committed
// (a VM whose cloud service, or a storage account of whose disks, is not
// Committed is still classic, or its VHDs are; on Azure an Import or a
// conversion from them fails after the VM was deallocated). The units'
// phases are read as status reads them: the journal reconciled with the
// platform.
func (a *app) blockedVMs(ctx context.Context, inv *inventory.Inventory, j *journal.Journal, drv cloud.Migrator, cp *convert.Plan) (map[string]string, error) {
	blocked := map[string]string{}
	if cp.Cloud == inventory.CloudAzureStackHub {
		// No classic side: every VM is a Resource Manager VM already.
		return blocked, nil
	}
	pl, err := plan.Build(inv)
	if err != nil {
		return nil, badInput(err)
	}
	st, err := phases.Status(ctx, j, drv, pl, phases.TargetsFor(inv))
	if err != nil {
		return nil, fmt.Errorf("read the units' migration state: %w", err)
	}
	phase := map[string]phases.Phase{}
	for _, u := range st {
		phase[u.ID] = u.Phase
	}
	for _, vp := range cp.VMs {
		units := []string{pl.UnitOf(vp.ClassicID)}
		for _, d := range vp.Disks() {
			if d.Account != "" {
				units = append(units, pl.UnitOf(inventory.StorageID(d.Account)))
			}
		}
		for _, u := range units {
			if u == "" {
				continue
			}
			if p := phase[u]; p != phases.Committed {
				if p == "" {
					p = "not started"
				}
				blocked[vp.ID] = fmt.Sprintf("unit %s is %s: a VM is converted only once its cloud service and the storage accounts of its disks are Committed", u, p)
				break
			}
		}
	}
	return blocked, nil
}

// convertRefusal is the disk step's answer without --yes or a terminal.
const convertRefusal = "disks convert deallocates VMs and may remove and recreate them: pass --yes to convert without a terminal to confirm on (nothing was changed)"

// confirmConvert shows what the disk step will do to each selected VM and
// asks, as commit does: a conversion deallocates VMs and, where the
// platform has no conversion of its own, removes and recreates them.
func (a *app) confirmConvert(ctx context.Context, yes bool, cp *convert.Plan, vms []string, blocked map[string]string) error {
	if yes {
		return nil
	}
	if a.io.InTTY {
		sel := map[string]bool{}
		for _, id := range vms {
			if v := cp.Lookup(id); v != nil {
				sel[v.ID] = true
			}
		}
		fmt.Fprintf(a.io.ErrOut, "The disk step on %s (driver %s):\n", cp.Cloud, a.cfg.Driver)
		t := newTable(a.io.ErrOut, "VM", "METHOD", "DOWNTIME", "WHAT HAPPENS")
		for _, v := range cp.VMs {
			if len(sel) > 0 && !sel[v.ID] {
				continue
			}
			what := methodEffect(v.Method)
			if r, ok := blocked[v.ID]; ok {
				what = "skipped: " + r
			}
			t.row(v.ID, v.Method, v.Downtime.Round(time.Second).String(), what)
		}
		t.flush()
	}
	return a.confirm(ctx, yes, "conversion", convertRefusal, "Type yes to convert these VMs: ")
}

// methodEffect says in a few words what a method does to a running VM.
func methodEffect(method string) string {
	switch method {
	case convert.MethodPlatform:
		return "deallocated, converted in place by the platform, started"
	case convert.MethodPrecopy:
		return "disks copied while it runs; deallocated for the changes, removed and recreated on managed disks"
	default:
		return "deallocated, every disk copied, removed and recreated on managed disks"
	}
}

// hubPlan plans the disk step on Azure Stack Hub from the VMs Resource
// Manager lists (convert.BuildFromVMs), with the storage account types the
// inventory knows. A VM whose conversion the journal records as begun and
// not done is planned from its recorded definition instead: deleted for
// its recreate, Resource Manager lists it no more, and it must never be
// left so.
func (a *app) hubPlan(ctx context.Context, compute cloud.Compute, j *journal.Journal, inv *inventory.Inventory, po convert.PlanOptions) (*convert.Plan, error) {
	var listed []cloud.VM
	err := retry.Do(ctx, retry.Policy{Transient: cloud.IsTransient}, func(ctx context.Context) error {
		var err error
		listed, err = compute.ListVMs(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the Resource Manager VMs: %w", err)
	}
	unfinished, err := convert.Unfinished(j)
	if err != nil {
		return nil, fmt.Errorf("read the disk step's records: %w", err)
	}
	for _, def := range unfinished {
		i := slices.IndexFunc(listed, func(vm cloud.VM) bool {
			return inventory.Key(vm.ResourceGroup) == inventory.Key(def.ResourceGroup) && inventory.Key(vm.Name) == inventory.Key(def.Name)
		})
		if i >= 0 {
			listed[i] = def
		} else {
			listed = append(listed, def)
		}
	}
	po.AccountTypes = map[string]string{}
	for _, sa := range inv.StorageAccounts {
		po.AccountTypes[sa.Name] = sa.AccountType
	}
	return planned(convert.BuildFromVMs(inventory.CloudAzureStackHub, listed, po))
}

package convert

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Data movements of a disk.
const (
	// MoveImport is the server-side copy: a managed disk created with
	// createOption Import from the VHD's URI; nothing streams through us.
	MoveImport = "Import"
	// MoveUpload streams the disk through the copier into a disk created
	// with createOption Upload (rate capped, resumable, optionally through
	// an encrypted staging image).
	MoveUpload = "Upload"
	// MovePlatform is the platform's own conversion (MethodPlatform): the
	// platform makes the managed disk from the VHD; nothing moves through
	// us and no rate cap applies.
	MovePlatform = "Platform"
)

// Disk API versions (Microsoft.Compute/disks) that decide what a target
// can do. createOption Upload first appears in 2019-03-01
// (Azure/azure-rest-api-specs, specification/compute/resource-manager/
// Microsoft.Compute/stable/2019-03-01/disk.json, DiskCreateOption). The
// seed document lists 2017-03-30 and 2017-12-01 for Azure Stack Hub's
// profiles; the 2020-09-01-hybrid profile brings 2019-07-01.
const (
	DiskAPIUpload            = "2019-03-01"
	HubDefaultDiskAPIVersion = "2017-12-01"
	HubPrecopyDiskAPIVersion = "2019-07-01"
)

// hubDiskAPIVersions are the disk API versions Azure Stack Hub's profiles
// offer.
var hubDiskAPIVersions = []string{"2017-03-30", HubDefaultDiskAPIVersion, HubPrecopyDiskAPIVersion}

// Methods of converting a VM (issue 10; disks.md). The plan picks one per
// VM and says why (VMPlan.MethodReason).
const (
	// MethodPlatform is the platform's own Convert To Managed Disks (Azure
	// public and sovereign): the availability set made Aligned first, the
	// VM deallocated, one call converts every disk and starts it, keeping
	// extensions, tags and everything else. No data moves through us.
	MethodPlatform = "platform"
	// MethodPrecopy copies each disk while the VM runs, from blob
	// snapshots of its VHDs into managed disks created for Upload; at
	// cut-over the VM is deallocated, snapshotted again, only the pages
	// that changed are copied and verified, and the VM is recreated on the
	// managed disks (Azure Stack Hub, whose platform has no conversion).
	MethodPrecopy = "precopy"
	// MethodCutover moves every byte while the VM is down (Import, Upload
	// or the encrypted staging legs), then recreates it: the honest
	// downtime of a whole-disk copy.
	MethodCutover = "cutover"
)

// Managed disk account types.
const (
	AccountPremium     = "Premium_LRS"
	AccountStandard    = "Standard_LRS"
	AccountStandardSSD = "StandardSSD_LRS"
)

// Azure Stack Hub's documented per-disk caps for Premium_LRS, used as the
// default rate caps of a streamed copy onto such a disk.
const (
	HubPremiumIOPS      = 2300
	HubPremiumBandwidth = 145_000_000 // bytes per second
)

// The downtime model (Estimate). A VM is down from DeallocateVM until it
// runs again; what happens while it runs (the pre-copy) does not count.
//
// Fixed costs: the platform documents no duration for deallocating,
// deleting, creating and booting a VM or for Convert To Managed Disks, so
// these are estimates of a typical VM: deallocate 60s, delete 30s, create
// and boot 120s (start and boot after the platform's conversion: the
// same), 10s per disk for creating it and granting and revoking access, 5s
// per blob snapshot at cut-over. The platform's conversion does not copy
// data through anyone (the ConvertTo-AzVMManagedDisk cmdlet: "The virtual
// machine must be stop-deallocated before invoking this operation"; the
// platform starts it again), so it is 60s plus the per-disk cost whatever
// the disks' size: a few minutes in all.
//
// Data moves at the slowest of: this machine's stream (PlanOptions.
// Throughput, default 60 MB/s, a typical single-stream upload), the
// operator's cap, and the target disk's documented write throughput
// (diskThroughput); an Import at the platform's server-side rate (200 MB/s,
// an estimate) or the disk's throughput if lower. The volume is the
// allocated bytes where known (PlanOptions.Allocated), else the virtual
// size (offline, the worst case of a full disk).
//
// cutover: every disk copied and read back for the hash while the VM is
// down (the source's hash comes with the copy; an Import's source is read
// at the same time as the copy is read back), the disks of a VM in
// parallel; with staging the copy is two legs.
//
// precopy: the first pass (copy and read-back of every allocated byte)
// runs while the VM runs; each catch-up pass then copies and verifies what
// the VM wrote during the pass before, at PlanOptions.ChangeRate, until a
// pass takes under catchUpTarget (at most maxCatchUpPasses); the cut-over
// copies and verifies only what changed during the last pass. Default
// change rate: 1 MB/s per VM, 86 GB a day: more than a general-purpose
// server's daily writes, less than a busy database's; set it from the
// platform's Disk Write Bytes/sec metric when known.
const (
	costDeallocate = 60 * time.Second
	costDelete     = 30 * time.Second
	costCreate     = 120 * time.Second
	costPerDisk    = 10 * time.Second
	costSnapshot   = 5 * time.Second
	costConvert    = 60 * time.Second
	importRate     = 200_000_000
	defaultUpRate  = 60_000_000
	// DefaultChangeRate is PlanOptions.ChangeRate's default, bytes/s.
	DefaultChangeRate = 1_000_000
	catchUpTarget     = 2 * time.Minute
	maxCatchUpPasses  = 5
	maxAzureDiskGiB   = 32767
	mib               = 1 << 20
)

// Throughputs of the target disks, bytes/s. Azure's are the documented
// per-disk limits (MicrosoftDocs/azure-docs, the managed disks sizes
// include: Standard HDD S4 to S50 up to 60 MiB/s, S60 300, S70 and S80
// 500; Premium P4 25 MiB/s, P6 50, P10 100, P15 125, P20 150, P30 200, P40
// and P50 250, P60 480, P70 and P80 750; Standard SSD as Standard HDD of
// the same size). Azure Stack Hub documents its Premium cap
// (HubPremiumBandwidth); its Standard disks are taken as Azure's (an
// estimate).
var premiumThroughput = map[string]int64{"P1": 25 * mib, "P2": 25 * mib, "P3": 25 * mib, "P4": 25 * mib, "P6": 50 * mib,
	"P10": 100 * mib, "P15": 125 * mib, "P20": 150 * mib, "P30": 200 * mib, "P40": 250 * mib, "P50": 250 * mib,
	"P60": 480 * mib, "P70": 750 * mib, "P80": 750 * mib}

// diskThroughput is the documented write throughput of a disk of tier
// on cloud, bytes/s.
func diskThroughput(cloud, accountType, tier string) int64 {
	switch {
	case cloud == inventory.CloudAzureStackHub && accountType == AccountPremium:
		return HubPremiumBandwidth
	case accountType == AccountPremium && premiumThroughput[tier] > 0:
		return premiumThroughput[tier]
	}
	switch tier {
	case "S60", "E60":
		return 300 * mib
	case "S70", "S80", "E70", "E80":
		return 500 * mib
	}
	return 60 * mib
}

// PlanOptions shape a conversion plan.
type PlanOptions struct {
	// Cloud is the target cloud (inventory.Cloud*); "" means the
	// inventory's target.cloud.
	Cloud string
	// Staging streams every disk through an encrypted staging image (two
	// legs); the Run's Staging folder must then be given.
	Staging bool
	// Stream forces MoveUpload even without staging or a rate cap.
	Stream bool
	// MaxBandwidth (bytes/s) and MaxIOPS cap each disk's streamed copy;
	// either set means MoveUpload. On Azure Stack Hub Premium disks they
	// default to the platform's caps (HubPremium*).
	MaxBandwidth int64
	MaxIOPS      int
	// AccountType replaces the account type derived from each disk's
	// storage account ("" keeps it): Premium_LRS, Standard_LRS or
	// StandardSSD_LRS (not on Azure Stack Hub).
	AccountType string
	// Throughput is the assumed streaming rate in bytes/s for the downtime
	// estimate; 0 means 60 MB/s.
	Throughput int64
	// Method forces one method for every VM ("" picks per VM: platform
	// on Azure, precopy on Azure Stack Hub, cutover with staging).
	Method string
	// ChangeRate is the assumed rate at which a running VM writes to its
	// disks, bytes/s, for the pre-copy's cut-over delta; 0: the default.
	ChangeRate int64
	// DiskAPIVersion is the target's Microsoft.Compute/disks API version;
	// "" is the cloud's default (HubDefaultDiskAPIVersion on Azure Stack
	// Hub, any recent one on Azure). It decides whether a disk can be
	// created for Upload (DiskAPIUpload or later), which the pre-copy and
	// every streamed copy need.
	DiskAPIVersion string
	// Parallel is the most VMs down at once (Plan.Batches); 0 means 4.
	Parallel int
	// Allocated is the data each VHD holds (its page ranges), by VHD URI
	// (case-insensitive), where a caller could read it; a VHD not in it is
	// assumed full.
	Allocated map[string]int64
	// AccountTypes are the account types of storage accounts by name
	// (case-insensitive), for BuildFromVMs, where the VMs do not say;
	// an account not in it is Standard_LRS.
	AccountTypes map[string]string
}

// Plan is the conversion of every migrated VM of an inventory: an inert
// artifact Run executes.
type Plan struct {
	Cloud string   `json:"cloud"`
	VMs   []VMPlan `json:"vms"`
	// Staged is set when the plan moves disks through staging images.
	Staged bool `json:"staged"`
	// Parallel is the most VMs of one batch.
	Parallel int `json:"parallel"`
	// Batches are the waves of downtime in order: the VMs of one batch
	// are down together, at most Parallel of them, never two of one
	// availability set.
	Batches []Batch `json:"batches"`
	Summary Summary `json:"summary"`
}

// Batch is one wave of the disk step.
type Batch struct {
	Index int      `json:"index"`
	VMs   []string `json:"vms"`
	// StartSeconds is when the batch's VMs go down, from the start of the
	// disk step (when the pre-copies start, all at once; the first
	// cut-over when nothing is pre-copied); DowntimeSeconds its longest
	// VM's downtime.
	StartSeconds    int64 `json:"startSeconds"`
	DowntimeSeconds int64 `json:"downtimeSeconds"`
}

// VMPlan is one VM's conversion.
type VMPlan struct {
	// ID is the Resource Manager id, vm/<resource group>/<name>.
	ID string `json:"id"`
	// ClassicID is cloudservice/<cs>/<vm>.
	ClassicID     string `json:"classicId"`
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"name"`
	Size          string `json:"size"`
	// AvailabilitySet is kept across the conversion, "" when none.
	AvailabilitySet string `json:"availabilitySet,omitempty"`
	// Method is how the VM is converted (Method*) and MethodReason why.
	Method       string `json:"method"`
	MethodReason string `json:"methodReason,omitempty"`
	// Units are the migration units the VM's conversion waits for: its
	// cloud service and the storage accounts of its disks (cloudservice/
	// <cs>, storage/<account>); none on Azure Stack Hub, which has no
	// classic side. A VM is converted only when each is Committed.
	Units []string `json:"units,omitempty"`
	// Batch is the VM's place in the plan's Batches: VMs of one batch are
	// down together, never two of one availability set; -1 for a VM the
	// plan refuses.
	Batch int `json:"batch"`
	// Dropped lists what removing and recreating the VM cannot carry over
	// (protected extension settings, osProfile secrets): shown in the plan
	// before anything changes.
	Dropped   []string   `json:"dropped,omitempty"`
	OSDisk    DiskPlan   `json:"osDisk"`
	DataDisks []DiskPlan `json:"dataDisks"`
	// Downtime is the estimate from deallocation to running again (see the
	// model above Estimate's constants); DowntimeSeconds is the same for
	// JSON consumers.
	Downtime        time.Duration `json:"-"`
	DowntimeSeconds int64         `json:"downtimeSeconds"`
	// PrecopySeconds is how long the pre-copy runs before the cut-over,
	// while the VM runs (MethodPrecopy only): the first pass, then
	// CatchUpPasses passes each copying what changed during the one
	// before, until one takes under two minutes; the cut-over copies what
	// changed during the last. The engine should run as many.
	PrecopySeconds int64 `json:"precopySeconds,omitempty"`
	CatchUpPasses  int   `json:"catchUpPasses,omitempty"`
	// Problems refuse the VM's conversion (and the plan's).
	Problems []string `json:"problems,omitempty"`
}

// Disks lists the OS disk then the data disks.
func (v *VMPlan) Disks() []DiskPlan { return append([]DiskPlan{v.OSDisk}, v.DataDisks...) }

// DiskPlan is one disk's conversion.
type DiskPlan struct {
	// Name is the classic disk's name and the managed disk's.
	Name string `json:"name"`
	// Account is the classic storage account holding the VHD.
	Account string `json:"account"`
	// LUN is the data disk's LUN; -1 for the OS disk.
	LUN       int    `json:"lun"`
	VHDURI    string `json:"vhdUri"`
	SizeBytes int64  `json:"sizeBytes"`
	// AccountType is the managed disk's account type and Tier its size
	// tier (P10, E30, S4, M20...).
	AccountType string `json:"accountType"`
	Tier        string `json:"tier"`
	// Movement is MoveImport or MoveUpload; Staged means the upload goes
	// through an encrypted staging image.
	Movement string `json:"movement"`
	Staged   bool   `json:"staged,omitempty"`
	// AllocatedBytes is the data the disk holds (its page ranges) where
	// known, else 0 and the model assumes SizeBytes.
	AllocatedBytes int64 `json:"allocatedBytes,omitempty"`
	// MaxBandwidth (bytes/s) and MaxIOPS cap the streamed copy; 0: none.
	MaxBandwidth int64  `json:"maxBandwidth,omitempty"`
	MaxIOPS      int    `json:"maxIops,omitempty"`
	OS           string `json:"os,omitempty"`
}

// Summary counts a plan.
type Summary struct {
	VMs   int   `json:"vms"`
	Disks int   `json:"disks"`
	Bytes int64 `json:"bytes"`
	// ByMovement counts disks and bytes per movement.
	ByMovement map[string]MovementSummary `json:"byMovement"`
	// DowntimeSeconds is the longest estimated downtime of a VM the plan
	// converts (one it refuses is never down for it).
	DowntimeSeconds int64 `json:"downtimeSeconds"`
	// WindowSeconds is the disk step's whole window: from its start (the
	// pre-copies') to the end of the last batch.
	WindowSeconds int64 `json:"windowSeconds"`
	Problems      int   `json:"problems"`
}

// MovementSummary is one movement's share of a plan.
type MovementSummary struct {
	Disks int   `json:"disks"`
	Bytes int64 `json:"bytes"`
}

// Problem is one reason a plan refuses a VM.
type Problem struct {
	VM      string
	Disk    string
	Message string
}

// optionsVM is Problem.VM for a problem with the options, not one VM.
const optionsVM = "*"

// PlanError is every problem Build found; nothing may change while it
// stands (the CLI exits 2).
type PlanError struct {
	Problems []Problem
}

// RefusesOptions reports whether a problem is with the plan's options
// rather than one VM (a method or disk API the target cannot do): no VM
// could be planned as asked.
func (e *PlanError) RefusesOptions() bool {
	for _, p := range e.Problems {
		if p.VM == optionsVM {
			return true
		}
	}
	return false
}

func (e *PlanError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "conversion plan refused: %d problem(s)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.VM)
		if p.Disk != "" {
			b.WriteString(" disk " + p.Disk)
		}
		b.WriteString(": " + p.Message)
	}
	return b.String()
}

// tier is one managed disk size tier.
type tier struct {
	name string
	gib  int64
}

var (
	premiumTiers = []tier{{"P1", 4}, {"P2", 8}, {"P3", 16}, {"P4", 32}, {"P6", 64}, {"P10", 128}, {"P15", 256},
		{"P20", 512}, {"P30", 1024}, {"P40", 2048}, {"P50", 4096}, {"P60", 8192}, {"P70", 16384}, {"P80", maxAzureDiskGiB}}
	ssdTiers = []tier{{"E1", 4}, {"E2", 8}, {"E3", 16}, {"E4", 32}, {"E6", 64}, {"E10", 128}, {"E15", 256},
		{"E20", 512}, {"E30", 1024}, {"E40", 2048}, {"E50", 4096}, {"E60", 8192}, {"E70", 16384}, {"E80", maxAzureDiskGiB}}
	hddTiers = []tier{{"S4", 32}, {"S6", 64}, {"S10", 128}, {"S15", 256}, {"S20", 512}, {"S30", 1024},
		{"S40", 2048}, {"S50", 4096}, {"S60", 8192}, {"S70", 16384}, {"S80", maxAzureDiskGiB}}
	hubTiers = []tier{{"M4", 32}, {"M6", 64}, {"M10", 128}, {"M15", 256}, {"M20", 512}, {"M30", 1024}}
)

// Tier returns the size tier of a disk of sizeBytes with accountType on
// cloud, or an error when the disk is larger than the cloud's largest.
func Tier(cloud, accountType string, sizeBytes int64) (string, error) {
	var tiers []tier
	switch {
	case cloud == inventory.CloudAzureStackHub:
		tiers = hubTiers
	case accountType == AccountPremium:
		tiers = premiumTiers
	case accountType == AccountStandardSSD:
		tiers = ssdTiers
	default:
		tiers = hddTiers
	}
	gib := (sizeBytes + 1<<30 - 1) >> 30
	for _, t := range tiers {
		if gib <= t.gib {
			return t.name, nil
		}
	}
	top := tiers[len(tiers)-1]
	return "", fmt.Errorf("%d GiB is larger than the largest %s disk on %s (%s, %d GiB)", gib, accountType, cloud, top.name, top.gib)
}

// Build plans the conversion of every VM role of inv. Problems (a disk
// above the cloud's largest tier, a size that is not a whole MiB, a type
// the cloud lacks, a missing disk, a method the target cannot do) are
// collected for every VM and returned together as a *PlanError, with the
// plan (its VMs carry their Problems) so it can still be shown.
//
// On Azure a VM's resource group is <cloud service><suffix>, where the
// classic migration put it, and the VM waits for the unit that moved its
// cloud service (vnet/<vnet> for a deployment in a VNet the inventory
// knows, cloudservice/<cs> otherwise, as pkg/plan builds them) and for the
// storage/<account> unit of each of its disks. Azure Stack Hub has no
// classic side: its VMs are already Resource Manager VMs, in a resource
// group named after the cloud service (how the inventory describes them),
// waiting for nothing.
func Build(inv *inventory.Inventory, o PlanOptions) (*Plan, error) {
	cloudName := o.Cloud
	if cloudName == "" {
		cloudName = inv.Target.Cloud
	}
	if cloudName == "" {
		cloudName = inventory.CloudAzurePublic
	}
	b := newBuilder(cloudName, o)
	suffix := inv.Target.ResourceGroupSuffix
	if suffix == "" {
		suffix = inventory.DefaultResourceGroupSuffix
	}
	ix := inventory.NewIndex(inv)
	for _, cs := range inv.CloudServices {
		rg, unit := cs.Name+suffix, inventory.CloudServiceID(cs.Name)
		if vn, ok := ix.VNets[inventory.Key(cs.Deployment.VirtualNetwork)]; ok && cs.Deployment.VirtualNetwork != "" {
			unit = inventory.VNetID(vn.Name)
		}
		if b.hub {
			rg = cs.Name
		}
		for _, r := range cs.Deployment.Roles {
			if r.Kind != inventory.RoleVirtualMachine && r.Kind != "" {
				continue
			}
			vp := VMPlan{ID: VMID(rg, r.Name), ClassicID: inventory.VMID(cs.Name, r.Name), ResourceGroup: rg,
				Name: r.Name, Size: r.Size, AvailabilitySet: r.AvailabilitySet, DataDisks: []DiskPlan{}}
			if !b.hub {
				vp.Units = []string{unit}
			}
			disk := func(name string, lun int) DiskPlan {
				dp := DiskPlan{Name: name, LUN: lun}
				ref, ok := ix.Disks[inventory.Key(name)]
				if !ok {
					vp.Problems = append(vp.Problems, fmt.Sprintf("disk %s: not in any storage account", name))
					return dp
				}
				dp.Name, dp.Account, dp.VHDURI, dp.OS = ref.Disk.Name, ref.Account.Name, ref.Disk.VHDURI, ref.Disk.OS
				dp.SizeBytes = ref.Disk.SizeGiB << 30
				if bs := ref.Disk.BlobSizeBytes; bs != 0 && bs-512 != dp.SizeBytes {
					// The blob is the truth: virtual size plus the footer.
					dp.SizeBytes = bs - 512
				}
				dp.AccountType = AccountStandard
				if ref.Account.AccountType == AccountPremium {
					dp.AccountType = AccountPremium
				}
				if !b.hub {
					vp.Units = appendUnique(vp.Units, inventory.StorageID(ref.Account.Name))
				}
				b.disk(&vp, &dp)
				return dp
			}
			if r.OSDisk == "" {
				vp.Problems = append(vp.Problems, "no OS disk")
			} else {
				vp.OSDisk = disk(r.OSDisk, -1)
			}
			for _, dd := range r.DataDisks {
				vp.DataDisks = append(vp.DataDisks, disk(dd.Disk, dd.LUN))
			}
			b.add(vp)
		}
	}
	return b.finish()
}

// BuildFromVMs plans the conversion of Resource Manager VMs that run on
// unmanaged disks, as Compute.ListVMs returns them: Azure Stack Hub's,
// which never were classic, so no inventory describes them and they wait
// for no migration unit. VMs already on managed disks are left out; a VM
// with both kinds of disk is refused. What a recreate cannot carry over
// (protected extension settings, osProfile secrets) is listed in each
// VM's Dropped. Storage account types come from o.AccountTypes. VMs are
// planned in resource group and name order, so the same estate gives the
// same plan whatever order the platform listed it in.
func BuildFromVMs(cloudName string, vms []cloud.VM, o PlanOptions) (*Plan, error) {
	if cloudName == "" {
		cloudName = inventory.CloudAzureStackHub
	}
	b := newBuilder(cloudName, o)
	vms = slices.Clone(vms)
	slices.SortStableFunc(vms, func(x, y cloud.VM) int {
		if c := strings.Compare(strings.ToLower(x.ResourceGroup), strings.ToLower(y.ResourceGroup)); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
	})
	for _, v := range vms {
		if v.Managed() {
			continue
		}
		vp := VMPlan{ID: VMID(v.ResourceGroup, v.Name), ResourceGroup: v.ResourceGroup, Name: v.Name, Size: v.Size,
			AvailabilitySet: v.AvailabilitySet, DataDisks: []DiskPlan{}}
		disk := func(d cloud.VMDisk, lun int, os string) DiskPlan {
			dp := DiskPlan{Name: d.Name, LUN: lun, VHDURI: d.VHDURI, SizeBytes: d.SizeBytes, OS: os, AccountType: AccountStandard}
			if d.VHDURI == "" {
				vp.Problems = append(vp.Problems, fmt.Sprintf("disk %s: already a managed disk (%s); a VM with both kinds of disk is not converted", d.Name, d.ManagedDisk))
				return dp
			}
			dp.Account = vhdAccount(d.VHDURI)
			if t := b.accountTypes[strings.ToLower(dp.Account)]; t != "" {
				dp.AccountType = t
			}
			b.disk(&vp, &dp)
			return dp
		}
		vp.OSDisk = disk(v.OSDisk, -1, v.OSType)
		for _, d := range v.DataDisks {
			vp.DataDisks = append(vp.DataDisks, disk(d, d.LUN, ""))
		}
		if b.method != MethodPlatform {
			vp.Dropped = dropped(v)
		}
		b.add(vp)
	}
	return b.finish()
}

// dropped lists what removing and recreating v cannot carry over.
func dropped(v cloud.VM) []string {
	var out []string
	for _, e := range v.Extensions {
		if e.HasProtectedSettings {
			out = append(out, fmt.Sprintf("extension %s: its protected settings (write-only: the platform never returns them; add them again after the conversion)", e.Name))
		}
	}
	if v.Secrets > 0 {
		out = append(out, fmt.Sprintf("osProfile secrets: %d Key Vault certificate group(s) (a VM created on an existing OS disk takes no osProfile)", v.Secrets))
	}
	return out
}

// vhdAccount is the storage account of a VHD's URI, the first label of
// its host (https://<account>.blob.<endpoint>/...); "" when it has none.
func vhdAccount(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return ""
	}
	account, _, _ := strings.Cut(u.Hostname(), ".")
	return account
}

// builder holds what every VM of one plan shares: the target, the
// options, the method and the problems found so far.
type builder struct {
	cloud string
	hub   bool
	o     PlanOptions
	// upload: the target can create a disk for Upload.
	upload bool
	// allocated and accountTypes are the options' maps, keys in lower
	// case.
	allocated    map[string]int64
	accountTypes map[string]string
	// method and reason are every VM's; method is "" when the options
	// ask for something the target cannot do (a plan-wide problem).
	method, reason string
	p              *Plan
	perr           PlanError
}

func newBuilder(cloudName string, o PlanOptions) *builder {
	b := &builder{cloud: cloudName, hub: cloudName == inventory.CloudAzureStackHub, o: o,
		allocated: foldKeys(o.Allocated), accountTypes: foldKeys(o.AccountTypes),
		p: &Plan{Cloud: cloudName, Staged: o.Staging, VMs: []VMPlan{}, Batches: []Batch{}, Summary: Summary{ByMovement: map[string]MovementSummary{}}}}
	if o.AccountType != "" {
		switch o.AccountType {
		case AccountPremium, AccountStandard:
		case AccountStandardSSD:
			if b.hub {
				b.problem("Azure Stack Hub has no StandardSSD_LRS disks")
			}
		default:
			b.problem(fmt.Sprintf("account type %q is not Premium_LRS, Standard_LRS or StandardSSD_LRS", o.AccountType))
		}
	}
	if o.ChangeRate < 0 || o.Throughput < 0 || o.Parallel < 0 {
		b.problem("change rate, throughput and parallel must not be negative")
	}
	b.upload = b.diskAPI()
	b.method, b.reason = b.chooseMethod()
	return b
}

func (b *builder) problem(msg string) {
	b.perr.Problems = append(b.perr.Problems, Problem{VM: optionsVM, Message: msg})
}

// diskAPI checks the disk API version and says whether it creates disks
// for Upload.
func (b *builder) diskAPI() bool {
	v := b.o.DiskAPIVersion
	if v == "" {
		if b.hub {
			return HubDefaultDiskAPIVersion >= DiskAPIUpload
		}
		return true
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		b.problem(fmt.Sprintf("disk API version %q is not a date (YYYY-MM-DD)", v))
		return false
	}
	if b.hub && !slices.Contains(hubDiskAPIVersions, v) {
		b.problem(fmt.Sprintf("disk API version %s is not one Azure Stack Hub's profiles offer (%s)", v, strings.Join(hubDiskAPIVersions, ", ")))
		return false
	}
	// The versions are dates: their text sorts as they do.
	return v >= DiskAPIUpload
}

// streams: the options ask for the disks to move through us.
func (b *builder) streams() bool {
	return b.o.Staging || b.o.Stream || b.o.MaxBandwidth > 0 || b.o.MaxIOPS > 0
}

// chooseMethod picks the method every VM gets, and why, or records why
// the one asked for cannot be done.
func (b *builder) chooseMethod() (method, reason string) {
	noUpload := fmt.Sprintf("creating a managed disk for Upload needs disk API version %s or later (this target: %s)", DiskAPIUpload, b.apiVersion())
	switch b.o.Method {
	case "":
	case MethodPlatform:
		switch {
		case b.hub:
			b.problem("method platform: Azure Stack Hub has no Convert To Managed Disks (its managed disks documentation: migration not yet supported); use precopy or cutover")
			return "", ""
		case b.streams():
			b.problem("method platform: the platform converts in place, nothing moves through this machine; --staging, --stream and rate caps need precopy or cutover")
			return "", ""
		}
		return MethodPlatform, "asked for (--method platform): the platform converts in place (Convert To Managed Disks)"
	case MethodPrecopy:
		switch {
		case !b.upload:
			b.problem("method precopy: " + noUpload + "; select a newer profile (--disk-api-version " + HubPrecopyDiskAPIVersion + ") or use cutover")
			return "", ""
		case b.o.Staging:
			b.problem("method precopy copies from blob snapshots straight into the managed disks; staging images need cutover")
			return "", ""
		}
		return MethodPrecopy, "asked for (--method precopy): copied while the VM runs, only what changed at cut-over"
	case MethodCutover:
		if b.streams() && !b.upload {
			b.problem("streamed copies (--staging, --stream, rate caps): " + noUpload)
			return "", ""
		}
		return MethodCutover, "asked for (--method cutover): every byte moves while the VM is down"
	default:
		b.problem(fmt.Sprintf("method %q is not platform, precopy or cutover", b.o.Method))
		return "", ""
	}
	switch {
	case b.streams():
		if !b.upload {
			b.problem("streamed copies (--staging, --stream, rate caps): " + noUpload)
			return "", ""
		}
		return MethodCutover, "streamed copies asked for (--staging, --stream or a rate cap): every byte moves while the VM is down"
	case !b.hub:
		return MethodPlatform, "the platform converts in place: Convert To Managed Disks"
	case b.upload:
		return MethodPrecopy, "Azure Stack Hub has no platform conversion: copied while the VM runs, only what changed at cut-over"
	}
	return MethodCutover, fmt.Sprintf("Azure Stack Hub has no platform conversion, and its disk API %s cannot create disks for Upload, so the pre-copy is not possible: Import while the VM is down; --disk-api-version %s (a newer profile) allows precopy",
		b.apiVersion(), HubPrecopyDiskAPIVersion)
}

func (b *builder) apiVersion() string {
	switch {
	case b.o.DiskAPIVersion != "":
		return b.o.DiskAPIVersion
	case b.hub:
		return HubDefaultDiskAPIVersion
	}
	return "latest"
}

// disk completes a disk's plan from its size, account type and source:
// tier, movement and caps as the method says.
func (b *builder) disk(vp *VMPlan, dp *DiskPlan) {
	if dp.SizeBytes <= 0 || dp.SizeBytes%(1<<20) != 0 {
		vp.Problems = append(vp.Problems, fmt.Sprintf("disk %s: virtual size %d bytes is not a whole number of MiB (a managed disk must be)", dp.Name, dp.SizeBytes))
	}
	if b.o.AccountType != "" {
		dp.AccountType = b.o.AccountType
	}
	t, err := Tier(b.cloud, dp.AccountType, dp.SizeBytes)
	if err != nil {
		vp.Problems = append(vp.Problems, fmt.Sprintf("disk %s: %v", dp.Name, err))
	}
	dp.Tier = t
	if n := b.allocated[strings.ToLower(dp.VHDURI)]; n > 0 {
		dp.AllocatedBytes = min(n, dp.SizeBytes)
	}
	switch b.method {
	case MethodPlatform:
		dp.Movement = MovePlatform
		return
	case MethodPrecopy:
		dp.Movement = MoveUpload
	default:
		dp.Movement = MoveImport
		if b.streams() {
			dp.Movement = MoveUpload
			dp.Staged = b.o.Staging
		}
	}
	if dp.Movement != MoveUpload {
		// An Import is the platform's own server-side copy: no cap of ours
		// applies to it.
		return
	}
	dp.MaxBandwidth, dp.MaxIOPS = b.o.MaxBandwidth, b.o.MaxIOPS
	if b.hub && dp.AccountType == AccountPremium {
		// The platform's own per-disk caps: writing faster only gets
		// throttled.
		if dp.MaxBandwidth == 0 {
			dp.MaxBandwidth = HubPremiumBandwidth
		}
		if dp.MaxIOPS == 0 {
			dp.MaxIOPS = HubPremiumIOPS
		}
	}
}

// add completes a VM's plan (method, downtime) and adds it.
func (b *builder) add(vp VMPlan) {
	vp.Method, vp.MethodReason = b.method, b.reason
	e := Estimate(b.cloud, &vp, b.o)
	vp.Downtime, vp.PrecopySeconds, vp.CatchUpPasses = e.Downtime.Round(time.Second), int64(e.Precopy.Round(time.Second)/time.Second), e.CatchUpPasses
	vp.DowntimeSeconds = int64(vp.Downtime / time.Second)
	for _, pr := range vp.Problems {
		b.perr.Problems = append(b.perr.Problems, Problem{VM: vp.ID, Message: pr})
	}
	b.p.VMs = append(b.p.VMs, vp)
}

// finish sums the plan up and returns it with its problems.
func (b *builder) finish() (*Plan, error) {
	p := b.p
	for _, vp := range p.VMs {
		p.Summary.VMs++
		for _, d := range vp.Disks() {
			if d.Movement == "" {
				continue
			}
			p.Summary.Disks++
			p.Summary.Bytes += d.SizeBytes
			m := p.Summary.ByMovement[d.Movement]
			m.Disks++
			m.Bytes += d.SizeBytes
			p.Summary.ByMovement[d.Movement] = m
		}
	}
	p.Summary.Problems = len(b.perr.Problems)
	p.schedule(b.o.Parallel)
	for _, vp := range p.VMs {
		if vp.Batch >= 0 {
			p.Summary.DowntimeSeconds = max(p.Summary.DowntimeSeconds, vp.DowntimeSeconds)
		}
	}
	if len(b.perr.Problems) > 0 {
		return p, &b.perr
	}
	return p, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}

// foldKeys copies m with its keys in lower case; of keys equal but for
// case, the one that sorts first wins, so the result does not depend on
// map order.
func foldKeys[V any](m map[string]V) map[string]V {
	keys := slices.Sorted(maps.Keys(m))
	out := make(map[string]V, len(m))
	for _, k := range keys {
		if _, ok := out[strings.ToLower(k)]; !ok {
			out[strings.ToLower(k)] = m[k]
		}
	}
	return out
}

// VMEstimate is one VM's forecast by the downtime model.
type VMEstimate struct {
	// Downtime is from deallocation to running again.
	Downtime time.Duration
	// Precopy is how long the pre-copy runs before the cut-over, while
	// the VM runs: its first pass and CatchUpPasses catch-up passes.
	Precopy       time.Duration
	CatchUpPasses int
}

// Estimate is the downtime model documented above its constants, for v's
// method on cloud.
func Estimate(cloud string, v *VMPlan, o PlanOptions) VMEstimate {
	stream := o.Throughput
	if stream <= 0 {
		stream = defaultUpRate
	}
	change := o.ChangeRate
	if change <= 0 {
		change = DefaultChangeRate
	}
	secs := func(bytes, rate int64) time.Duration {
		return time.Duration(float64(bytes) / float64(rate) * float64(time.Second))
	}
	var (
		n int
		// whole: the longest disk's copy and read-back of every byte;
		// perByte: the slowest disk's time to copy and verify one byte.
		whole   time.Duration
		perByte float64
		volume  int64
	)
	for _, dp := range v.Disks() {
		if dp.Movement == "" {
			continue
		}
		n++
		vol := dp.SizeBytes
		if dp.AllocatedBytes > 0 {
			vol = dp.AllocatedBytes
		}
		volume += vol
		target := diskThroughput(cloud, dp.AccountType, dp.Tier)
		read := min(stream, target)
		write := read
		if dp.Movement == MoveImport {
			write = min(int64(importRate), target)
		}
		if dp.MaxBandwidth > 0 {
			write = min(write, dp.MaxBandwidth)
		}
		legs := time.Duration(1)
		if dp.Staged {
			legs = 2
		}
		whole = max(whole, legs*secs(vol, write)+secs(vol, read))
		perByte = max(perByte, 1/float64(write)+1/float64(read))
	}
	fixed := time.Duration(n) * costPerDisk
	switch v.Method {
	case MethodPlatform:
		return VMEstimate{Downtime: costDeallocate + costConvert + fixed + costCreate}
	case MethodPrecopy:
		e := VMEstimate{Precopy: whole}
		delta := func(during time.Duration) time.Duration {
			b := min(int64(float64(change)*during.Seconds()), volume)
			return time.Duration(float64(b) * perByte * float64(time.Second))
		}
		last := whole
		for e.CatchUpPasses < maxCatchUpPasses && last > catchUpTarget {
			last = delta(last)
			e.Precopy += last
			e.CatchUpPasses++
		}
		e.Downtime = costDeallocate + time.Duration(n)*costSnapshot + delta(last) + fixed + costDelete + costCreate
		return e
	}
	return VMEstimate{Downtime: costDeallocate + whole + fixed + costDelete + costCreate}
}

// VMID is the Resource Manager id of a VM as the plan and the journal name
// it: vm/<resource group>/<name>.
func VMID(resourceGroup, name string) string { return "vm/" + resourceGroup + "/" + name }

// Lookup returns the plan of the VM with id (vm/<rg>/<name> or
// cloudservice/<cs>/<vm>, case-insensitive), or nil.
func (p *Plan) Lookup(id string) *VMPlan {
	for i := range p.VMs {
		if strings.EqualFold(p.VMs[i].ID, id) || strings.EqualFold(p.VMs[i].ClassicID, id) {
			return &p.VMs[i]
		}
	}
	return nil
}

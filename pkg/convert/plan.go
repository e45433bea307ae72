package convert

import (
	"fmt"
	"strings"
	"time"

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
)

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

// Downtime model (Estimate): a VM is down from DeallocateVM until CreateVM
// has started it again. Fixed costs are a typical platform's: deallocate
// 60s, delete 30s, create and boot 120s, plus 10s per disk for creating
// and (for Upload) granting and revoking access. Data moves at an assumed
// rate: an Import is copied server side at 200 MB/s; an Upload at
// PlanOptions.Throughput (default 60 MB/s, a typical single-stream upload)
// or the disk's bandwidth cap if lower, twice over with staging (two legs).
// Verification reads the managed disk back at the same rate as it was
// written and the source at the upload rate (for an Upload the source hash
// comes free with the copy). The data volume is the disk's virtual size:
// offline the allocated bytes are unknown, so the estimate is the worst
// case of a full disk; a sparse disk converts much faster.
const (
	costDeallocate  = 60 * time.Second
	costDelete      = 30 * time.Second
	costCreate      = 120 * time.Second
	costPerDisk     = 10 * time.Second
	importRate      = 200_000_000
	defaultUpRate   = 60_000_000
	maxAzureDiskGiB = 32767
)

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
}

// Plan is the conversion of every migrated VM of an inventory: an inert
// artifact Run executes.
type Plan struct {
	Cloud string   `json:"cloud"`
	VMs   []VMPlan `json:"vms"`
	// Staged is set when the plan moves disks through staging images.
	Staged bool `json:"staged"`
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
	// StartSeconds is when the batch's first VM goes down, from the start
	// of the disk step's cut-overs; DowntimeSeconds its longest VM's
	// downtime.
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
	// down together, never two of one availability set.
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
	// DowntimeSeconds is the longest VM's estimated downtime (VMs convert
	// in parallel).
	DowntimeSeconds int64 `json:"downtimeSeconds"`
	Problems        int   `json:"problems"`
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

// PlanError is every problem Build found; nothing may change while it
// stands (the CLI exits 2).
type PlanError struct {
	Problems []Problem
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
// the cloud lacks, a missing disk) are collected for every VM and returned
// together as a *PlanError, with the plan (its VMs carry their Problems)
// so it can still be shown.
func Build(inv *inventory.Inventory, o PlanOptions) (*Plan, error) {
	cloudName := o.Cloud
	if cloudName == "" {
		cloudName = inv.Target.Cloud
	}
	if cloudName == "" {
		cloudName = inventory.CloudAzurePublic
	}
	hub := cloudName == inventory.CloudAzureStackHub
	suffix := inv.Target.ResourceGroupSuffix
	if suffix == "" {
		suffix = inventory.DefaultResourceGroupSuffix
	}
	ix := inventory.NewIndex(inv)
	p := &Plan{Cloud: cloudName, Staged: o.Staging, VMs: []VMPlan{}, Summary: Summary{ByMovement: map[string]MovementSummary{}}}
	var perr PlanError
	if o.AccountType != "" {
		switch o.AccountType {
		case AccountPremium, AccountStandard:
		case AccountStandardSSD:
			if hub {
				perr.Problems = append(perr.Problems, Problem{VM: "*", Message: "Azure Stack Hub has no StandardSSD_LRS disks"})
			}
		default:
			perr.Problems = append(perr.Problems, Problem{VM: "*", Message: fmt.Sprintf("account type %q is not Premium_LRS, Standard_LRS or StandardSSD_LRS", o.AccountType)})
		}
	}
	rate := o.Throughput
	if rate <= 0 {
		rate = defaultUpRate
	}
	for _, cs := range inv.CloudServices {
		rg := cs.Name + suffix
		for _, r := range cs.Deployment.Roles {
			if r.Kind != inventory.RoleVirtualMachine && r.Kind != "" {
				continue
			}
			vp := VMPlan{ID: VMID(rg, r.Name), ClassicID: inventory.VMID(cs.Name, r.Name), ResourceGroup: rg,
				Name: r.Name, Size: r.Size, AvailabilitySet: r.AvailabilitySet, DataDisks: []DiskPlan{}}
			disk := func(name string, lun int) DiskPlan {
				dp := DiskPlan{Name: name, LUN: lun}
				ref, ok := ix.Disks[inventory.Key(name)]
				if !ok {
					vp.Problems = append(vp.Problems, fmt.Sprintf("disk %s: not in any storage account", name))
					return dp
				}
				dp.Name, dp.Account, dp.VHDURI, dp.OS = ref.Disk.Name, ref.Account.Name, ref.Disk.VHDURI, ref.Disk.OS
				dp.SizeBytes = ref.Disk.SizeGiB << 30
				if b := ref.Disk.BlobSizeBytes; b != 0 && b-512 != dp.SizeBytes {
					// The blob is the truth: virtual size plus the footer.
					dp.SizeBytes = b - 512
				}
				if dp.SizeBytes <= 0 || dp.SizeBytes%(1<<20) != 0 {
					vp.Problems = append(vp.Problems, fmt.Sprintf("disk %s: virtual size %d bytes is not a whole number of MiB (a managed disk must be)", dp.Name, dp.SizeBytes))
				}
				dp.AccountType = AccountStandard
				if ref.Account.AccountType == AccountPremium {
					dp.AccountType = AccountPremium
				}
				if o.AccountType != "" {
					dp.AccountType = o.AccountType
				}
				t, err := Tier(cloudName, dp.AccountType, dp.SizeBytes)
				if err != nil {
					vp.Problems = append(vp.Problems, fmt.Sprintf("disk %s: %v", dp.Name, err))
				}
				dp.Tier = t
				dp.MaxBandwidth, dp.MaxIOPS = o.MaxBandwidth, o.MaxIOPS
				dp.Movement = MoveImport
				if o.Staging || o.Stream || o.MaxBandwidth > 0 || o.MaxIOPS > 0 {
					dp.Movement = MoveUpload
					dp.Staged = o.Staging
				}
				if hub && dp.AccountType == AccountPremium {
					// The platform's own per-disk caps: writing faster
					// only gets throttled.
					if dp.MaxBandwidth == 0 {
						dp.MaxBandwidth = HubPremiumBandwidth
					}
					if dp.MaxIOPS == 0 {
						dp.MaxIOPS = HubPremiumIOPS
					}
				}
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
			vp.Downtime = Estimate(&vp, rate)
			vp.DowntimeSeconds = int64(vp.Downtime / time.Second)
			for _, pr := range vp.Problems {
				perr.Problems = append(perr.Problems, Problem{VM: vp.ID, Message: pr})
			}
			p.VMs = append(p.VMs, vp)
		}
	}
	for _, vp := range p.VMs {
		p.Summary.VMs++
		p.Summary.Problems += len(vp.Problems)
		p.Summary.DowntimeSeconds = max(p.Summary.DowntimeSeconds, vp.DowntimeSeconds)
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
	p.Summary.Problems = len(perr.Problems)
	if len(perr.Problems) > 0 {
		return p, &perr
	}
	return p, nil
}

// Estimate is the downtime model documented above its constants: fixed
// costs plus each disk's copy and verification at the assumed rates.
func Estimate(v *VMPlan, uploadRate int64) time.Duration {
	d := costDeallocate + costDelete + costCreate
	secs := func(bytes, rate int64) time.Duration {
		return time.Duration(float64(bytes) / float64(rate) * float64(time.Second))
	}
	for _, dp := range v.Disks() {
		if dp.Movement == "" {
			continue
		}
		d += costPerDisk
		switch dp.Movement {
		case MoveImport:
			// Copy server side, then read the source and the copy back.
			d += 2*secs(dp.SizeBytes, importRate) + secs(dp.SizeBytes, uploadRate)
		default:
			r := uploadRate
			if dp.MaxBandwidth > 0 && dp.MaxBandwidth < r {
				r = dp.MaxBandwidth
			}
			legs := int64(1)
			if dp.Staged {
				legs = 2
			}
			d += time.Duration(legs)*secs(dp.SizeBytes, r) + secs(dp.SizeBytes, uploadRate)
		}
	}
	return d
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

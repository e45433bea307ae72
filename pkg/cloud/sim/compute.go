package sim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The disk step's side of the simulated cloud: Resource Manager VMs, managed
// disks and images (cloud.Compute) and their data (cloud.DiskData).
//
// Commit (or, on Azure Stack Hub, the building of the cloud, in resource
// group <cloud service>) turns each VM of the unit into a Resource Manager
// VM in resource group <cloud service>-Migrated, named as the role, in the cloud service's
// location, with its size, availability set, NIC <vm>-PrimaryNic, OS type
// (the OS disk's os, default Windows) and its disks as unmanaged disks (the
// classic VHD URI, size sizeGiB<<30, data disks at their LUNs); running,
// or deallocated if it was. VMs committed by a build without the disk step
// are not back-filled.
//
// Every changing call (DeallocateVM, StartVM, DeleteVM, CreateVM, CreateDisk,
// DeleteDisk, GrantAccess for OpenUpload, EndUpload, CreateImage, and
// AlignAvailabilitySet, ConvertToManagedDisks, SnapshotVHD and
// DeleteVHDSnapshot in their files) counts in the operation sequence, is
// faulted at FaultRate like the migration calls (half the faults after the
// call took effect) and is recorded in the history with unit
// vm/<rg>/<name>, disk/<rg>/<name> or image/<rg>/<name> (availabilityset/
// and vhd/ for the others) and stateBefore the VM's power state or the
// disk's state ("None" if absent). Reads (ListVMs, GetVM, GetDisk, GetImage) are faulted from the
// read counter and not recorded. Data-plane reads (OpenVHD, OpenManaged)
// are neither.
//
// Managed disk data lives in <stateDir>/sim/disks/<escaped rg/name>.raw
// (0600, sparse). An Import disk is materialised there when created (the
// server-side copy), synchronously. An Upload disk's file is written by the
// sink OpenUpload returns: the data at its offsets, then the 512-byte fixed
// VHD footer after the data, as the platform's upload takes it (size+512
// bytes); OpenManaged reads the data only.

// Disk-step operation names recorded in the history.
const (
	OpDeallocateVM = "DeallocateVM"
	OpStartVM      = "StartVM"
	OpDeleteVM     = "DeleteVM"
	OpCreateVM     = "CreateVM"
	OpCreateDisk   = "CreateDisk"
	OpDeleteDisk   = "DeleteDisk"
	OpGrantAccess  = "GrantAccess"
	OpEndUpload    = "EndUpload"
	OpCreateImage  = "CreateImage"
)

// stateNone is what a call that finds nothing records as stateBefore.
const stateNone = "None"

// corruptFile lists disk names the test hook corrupts (see
// Options.CorruptDisks).
const corruptFile = "corrupt-disks"

// managedDisk is a managed disk with what the cloud keeps about it.
type managedDisk struct {
	cloud.ManagedDisk
	// AttachedTo is the folded key of the VM using the disk.
	AttachedTo string `json:"attachedTo,omitempty"`
	// Corrupted: the test hook flipped a byte already.
	Corrupted bool `json:"corrupted,omitempty"`
}

func armKey(rg, name string) string { return inventory.Key(rg + "/" + name) }

// commitVMs makes the Resource Manager VMs of a committed unit.
func (s *Sim) commitVMs(p *persisted, u *unit) {
	for _, cs := range u.services {
		rg := cs.Name + s.topo.suffix
		for _, r := range cs.Deployment.Roles {
			state := r.State
			if v := p.VMs[inventory.Key(inventory.VMID(cs.Name, r.Name))]; v != nil && v.PowerState != "" {
				state = v.PowerState
			}
			s.addARMVM(p, cs, r, rg, state)
		}
	}
}

// addARMVM makes the Resource Manager VM of role r (a VM role) in resource
// group rg, on its VHDs, with its NIC and availability set (made as the
// platform's migration makes it, SKU Classic, if not there yet), unless it
// exists. classicState is the role's power state as the classic side
// reported it last.
func (s *Sim) addARMVM(p *persisted, cs *inventory.CloudService, r inventory.Role, rg, classicState string) {
	if r.Kind != inventory.RoleVirtualMachine && r.Kind != "" {
		return
	}
	k := armKey(rg, r.Name)
	if _, ok := p.ARMVMs[k]; ok {
		return
	}
	loc := cs.Location
	if loc == "" {
		loc = s.topo.estate.DefaultLocation
	}
	vm := &cloud.VM{ResourceGroup: rg, Name: r.Name, Location: loc, Size: r.Size,
		AvailabilitySet: r.AvailabilitySet, NICs: []string{r.Name + "-PrimaryNic"}, OSType: "Windows",
		PowerState: cloud.PowerRunning, DataDisks: []cloud.VMDisk{}}
	switch inventory.Key(classicState) {
	case "stoppeddeallocated":
		vm.PowerState = cloud.PowerDeallocated
	case "stopped":
		vm.PowerState = cloud.PowerStopped
	}
	if d, ok := s.topo.ix.Disks[inventory.Key(r.OSDisk)]; ok && r.OSDisk != "" {
		vm.OSDisk = cloud.VMDisk{Name: d.Disk.Name, VHDURI: d.Disk.VHDURI, SizeBytes: d.Disk.SizeGiB << 30, Caching: cachingOS}
		if d.Disk.OS != "" {
			vm.OSType = d.Disk.OS
		}
	}
	for _, dd := range r.DataDisks {
		if d, ok := s.topo.ix.Disks[inventory.Key(dd.Disk)]; ok {
			vm.DataDisks = append(vm.DataDisks, cloud.VMDisk{Name: d.Disk.Name, LUN: dd.LUN, VHDURI: d.Disk.VHDURI,
				SizeBytes: d.Disk.SizeGiB << 30, Caching: cachingData})
		}
	}
	s.carryOver(vm, cs, r)
	p.ARMVMs[k] = vm
	p.touchARMVM(k)
	p.NICs[armKey(rg, vm.NICs[0])] = k
	p.touchNIC(armKey(rg, vm.NICs[0]))
	if vm.AvailabilitySet != "" {
		s.ensureAvSet(p, rg, vm.AvailabilitySet, loc)
	}
	if vm.PowerState == cloud.PowerRunning {
		for _, d := range vmDisks(*vm) {
			s.vhdRan(p, d.VHDURI)
		}
	}
}

// change is one changing call of the disk step: counted, faulted and
// recorded like the migration calls. state reports the stateBefore; apply
// makes the change (its error is the call's answer, recorded Failed).
func (s *Sim) change(ctx context.Context, op, unitID string, state func(p *persisted) string, apply func(p *persisted) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.refuseReadOnly(op, unitID); err != nil {
		return err
	}
	err := s.update(func(p *persisted) (bool, error) {
		p.Seq++
		before := state(p)
		if armWriteOps[op] {
			if err := s.takeWrites(p, op, unitID, 1); err != nil {
				s.record(p, op, unitID, cloud.State(before), decision{}, cloud.FaultThrottled)
				return true, err
			}
		}
		d := decide(s.o.Seed, streamOps, p.Seq, s.o.FaultRate, true)
		if d.fault != "" && !d.after {
			s.record(p, op, unitID, cloud.State(before), d, "")
			return true, s.transient(d, op, unitID)
		}
		if err := apply(p); err != nil {
			s.record(p, op, unitID, cloud.State(before), decision{}, ResultFailed)
			return true, err
		}
		s.record(p, op, unitID, cloud.State(before), d, ResultSucceeded)
		if d.fault != "" {
			return true, s.transient(d, op, unitID)
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", strings.ToLower(op), unitID, err)
	}
	return nil
}

// read is one read of the disk step, faulted from the read counter.
func (s *Sim) read(ctx context.Context, what string, fn func(p *persisted) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(p *persisted) (bool, error) {
		if s.o.FaultRate > 0 {
			p.ReadSeq++
			if d := decide(s.o.Seed, streamReads, p.ReadSeq, s.o.FaultRate, false); d.fault != "" {
				return true, s.transient(d, what, "")
			}
		}
		return s.o.FaultRate > 0, fn(p)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func opErr(op, unitID, code, format string, args ...any) error {
	return &cloud.OperationError{Op: op, Unit: unitID, Code: code, Message: fmt.Sprintf(format, args...)}
}

func vmUnit(rg, name string) string   { return "vm/" + rg + "/" + name }
func diskUnit(rg, name string) string { return "disk/" + rg + "/" + name }

func cloneVM(v *cloud.VM) cloud.VM {
	c := *v
	c.NICs = slices.Clone(v.NICs)
	c.DataDisks = slices.Clone(v.DataDisks)
	c.Tags = maps.Clone(v.Tags)
	c.Extensions = slices.Clone(v.Extensions)
	for i := range c.Extensions {
		c.Extensions[i].Settings = slices.Clone(c.Extensions[i].Settings)
	}
	if c.DataDisks == nil {
		c.DataDisks = []cloud.VMDisk{}
	}
	return c
}

// ListVMs lists the Resource Manager VMs, by resource group and name.
func (s *Sim) ListVMs(ctx context.Context) ([]cloud.VM, error) {
	var out []cloud.VM
	err := s.read(ctx, "list VMs", func(p *persisted) error {
		failed := s.failedExtensions()
		for _, k := range sortedKeys(p.ARMVMs) {
			out = append(out, s.withHook(cloneVM(p.ARMVMs[k]), failed))
		}
		return nil
	})
	return out, err
}

// GetVM reads a Resource Manager VM; a missing one is cloud.ErrNotFound.
func (s *Sim) GetVM(ctx context.Context, resourceGroup, name string) (cloud.VM, error) {
	var vm cloud.VM
	err := s.read(ctx, "get VM "+resourceGroup+"/"+name, func(p *persisted) error {
		v, ok := p.ARMVMs[armKey(resourceGroup, name)]
		if !ok {
			return cloud.ErrNotFound
		}
		vm = s.withHook(cloneVM(v), s.failedExtensions())
		return nil
	})
	return vm, err
}

func powerState(p *persisted, rg, name string) string {
	if v, ok := p.ARMVMs[armKey(rg, name)]; ok {
		return v.PowerState
	}
	return stateNone
}

// DeallocateVM stops and deallocates a VM; a deallocated one stays so. A
// missing VM is cloud.ErrNotFound.
func (s *Sim) DeallocateVM(ctx context.Context, resourceGroup, name string) error {
	return s.change(ctx, OpDeallocateVM, vmUnit(resourceGroup, name),
		func(p *persisted) string { return powerState(p, resourceGroup, name) },
		func(p *persisted) error {
			v, ok := p.ARMVMs[armKey(resourceGroup, name)]
			if !ok {
				return cloud.ErrNotFound
			}
			v.PowerState = cloud.PowerDeallocated
			p.touchARMVM(armKey(resourceGroup, name))
			return nil
		})
}

// StartVM starts a VM on the disks it has (its VHDs or its managed
// disks); a running one stays so. A missing VM is cloud.ErrNotFound.
func (s *Sim) StartVM(ctx context.Context, resourceGroup, name string) error {
	return s.change(ctx, OpStartVM, vmUnit(resourceGroup, name),
		func(p *persisted) string { return powerState(p, resourceGroup, name) },
		func(p *persisted) error {
			v, ok := p.ARMVMs[armKey(resourceGroup, name)]
			if !ok {
				return cloud.ErrNotFound
			}
			v.PowerState = cloud.PowerRunning
			p.touchARMVM(armKey(resourceGroup, name))
			for _, d := range vmDisks(*v) {
				s.vhdRan(p, d.VHDURI)
			}
			return nil
		})
}

// DeleteVM removes a VM, keeping its disks (managed ones become
// Unattached), VHDs and NICs. A missing VM is success.
func (s *Sim) DeleteVM(ctx context.Context, resourceGroup, name string) error {
	return s.change(ctx, OpDeleteVM, vmUnit(resourceGroup, name),
		func(p *persisted) string { return powerState(p, resourceGroup, name) },
		func(p *persisted) error {
			k := armKey(resourceGroup, name)
			if _, ok := p.ARMVMs[k]; !ok {
				return nil
			}
			delete(p.ARMVMs, k)
			p.touchARMVM(k)
			for dk, d := range p.Disks {
				if d.AttachedTo == k {
					d.AttachedTo = ""
					d.State = cloud.DiskUnattached
					p.touchDisk(dk)
				}
			}
			for n, owner := range p.NICs {
				if owner == k {
					p.NICs[n] = ""
					p.touchNIC(n)
				}
			}
			return nil
		})
}

func vmDisks(vm cloud.VM) []cloud.VMDisk {
	return append([]cloud.VMDisk{vm.OSDisk}, vm.DataDisks...)
}

// sameVM reports whether an existing VM is what CreateVM asks for: same
// size, set, NICs and disks (managed disk or VHD, LUN by LUN).
func sameVM(a *cloud.VM, b cloud.VM) bool {
	if !strings.EqualFold(a.Size, b.Size) || !strings.EqualFold(a.AvailabilitySet, b.AvailabilitySet) ||
		len(a.NICs) != len(b.NICs) || len(a.DataDisks) != len(b.DataDisks) || !sameDisk(a.OSDisk, b.OSDisk) {
		return false
	}
	for i := range a.NICs {
		if !strings.EqualFold(a.NICs[i], b.NICs[i]) {
			return false
		}
	}
	for i := range a.DataDisks {
		if a.DataDisks[i].LUN != b.DataDisks[i].LUN || !sameDisk(a.DataDisks[i], b.DataDisks[i]) {
			return false
		}
	}
	return true
}

func sameDisk(a, b cloud.VMDisk) bool {
	if b.ManagedDisk != "" {
		return strings.EqualFold(a.ManagedDisk, b.ManagedDisk)
	}
	return a.ManagedDisk == "" && strings.EqualFold(a.VHDURI, b.VHDURI)
}

// CreateVM creates and starts vm on the disks its VMDisks name: managed
// disks in its resource group, or VHDs of the estate attached again (the
// way back to a VM's original disks), never a mix. It is attached to its
// NICs and availability set and keeps what it is given: tags, boot
// diagnostics, license type, per-disk caching and write accelerator, and
// its extensions (re-added by the platform, so each is Provisioning
// succeeded). Creating an existing VM with the same definition succeeds
// without change. Refused (*cloud.OperationError): managed disks and VHDs
// mixed (Azure: "Addition of a managed disk to a VM with blob based disks
// is not supported.", OperationNotAllowed, as quoted in microsoft/lisa#499);
// a managed disk that does not exist, is still waiting for its upload or
// is attached to another VM; a VHD the cloud does not hold, used by
// another VM or (Azure profile) in a storage account still classic; an
// availability set that does not exist or whose SKU does not fit the disks
// (Classic for managed disks, Aligned for VHDs: availability.go); a NIC
// that does not exist or belongs to another VM; an existing VM defined
// otherwise.
func (s *Sim) CreateVM(ctx context.Context, vm cloud.VM) error {
	unitID := vmUnit(vm.ResourceGroup, vm.Name)
	return s.change(ctx, OpCreateVM, unitID,
		func(p *persisted) string { return powerState(p, vm.ResourceGroup, vm.Name) },
		func(p *persisted) error {
			k := armKey(vm.ResourceGroup, vm.Name)
			if v, ok := p.ARMVMs[k]; ok {
				if sameVM(v, vm) {
					return nil
				}
				return opErr(OpCreateVM, unitID, "Conflict", "a VM %s already exists with another definition", vm.Name)
			}
			if vm.OSType != "Windows" && vm.OSType != "Linux" {
				return opErr(OpCreateVM, unitID, "InvalidParameter", "osType %q is neither Windows nor Linux", vm.OSType)
			}
			all := vmDisks(vm)
			managed := all[0].ManagedDisk != ""
			for _, d := range all {
				switch {
				case d.ManagedDisk == "" && d.VHDURI == "":
					return opErr(OpCreateVM, unitID, "InvalidParameter", "disk %s (LUN %d) names neither a managed disk nor a VHD", d.Name, d.LUN)
				case (d.ManagedDisk != "") != managed:
					return opErr(OpCreateVM, unitID, "OperationNotAllowed", "Addition of a managed disk to a VM with blob based disks is not supported.")
				}
			}
			if err := checkAvSet(p, vm, managed, unitID); err != nil {
				return err
			}
			for _, n := range vm.NICs {
				owner, ok := p.NICs[armKey(vm.ResourceGroup, n)]
				switch {
				case !ok:
					return opErr(OpCreateVM, unitID, "NotFound", "network interface %s/%s does not exist", vm.ResourceGroup, n)
				case owner != "" && owner != k:
					return opErr(OpCreateVM, unitID, "Conflict", "network interface %s is used by another VM", n)
				}
			}
			c := cloneVM(&vm)
			c.PowerState = cloud.PowerRunning
			for i := range c.Extensions {
				c.Extensions[i].ProvisioningState = cloud.ExtensionSucceeded
			}
			var err error
			if managed {
				err = s.attachManaged(p, k, &c, unitID)
			} else {
				err = s.attachVHDs(p, k, &c, unitID)
			}
			if err != nil {
				return err
			}
			for _, n := range vm.NICs {
				p.NICs[armKey(vm.ResourceGroup, n)] = k
				p.touchNIC(armKey(vm.ResourceGroup, n))
			}
			p.ARMVMs[k] = &c
			p.touchARMVM(k)
			return nil
		})
}

// attachManaged checks and attaches the managed disks of c (a VM being
// created, key k), setting each disk's size from the disk.
func (s *Sim) attachManaged(p *persisted, k string, c *cloud.VM, unitID string) error {
	disksOf := []*cloud.VMDisk{&c.OSDisk}
	for i := range c.DataDisks {
		disksOf = append(disksOf, &c.DataDisks[i])
	}
	var (
		attach []*managedDisk
		keys   []string
	)
	for _, d := range disksOf {
		dk := armKey(c.ResourceGroup, d.ManagedDisk)
		md, ok := p.Disks[dk]
		switch {
		case !ok:
			return opErr(OpCreateVM, unitID, "NotFound", "managed disk %s/%s does not exist", c.ResourceGroup, d.ManagedDisk)
		case md.AttachedTo != "" && md.AttachedTo != k:
			return opErr(OpCreateVM, unitID, "Conflict", "managed disk %s is attached to another VM", d.ManagedDisk)
		case md.State == cloud.DiskReadyToUpload || md.State == cloud.DiskActiveUpload:
			return opErr(OpCreateVM, unitID, "InvalidDiskState", "managed disk %s is in state %s", d.ManagedDisk, md.State)
		}
		attach = append(attach, md)
		keys = append(keys, dk)
	}
	for i, d := range disksOf {
		d.VHDURI = ""
		d.SizeBytes = attach[i].SizeBytes
	}
	for i, md := range attach {
		p.touchDisk(keys[i])
		md.AttachedTo = k
		md.State = cloud.DiskAttached
		if md.OSType == "" && i == 0 {
			md.OSType = c.OSType
		}
	}
	return nil
}

// attachVHDs checks the VHDs of c (a VM being created, key k) and sets
// each disk's size from its VHD; the VM now runs on them.
func (s *Sim) attachVHDs(p *persisted, k string, c *cloud.VM, unitID string) error {
	disksOf := []*cloud.VMDisk{&c.OSDisk}
	for i := range c.DataDisks {
		disksOf = append(disksOf, &c.DataDisks[i])
	}
	for _, d := range disksOf {
		v, ok := s.vhds[inventory.Key(d.VHDURI)]
		if !ok {
			return opErr(OpCreateVM, unitID, "NotFound", "VHD %s does not exist", disks.RedactURL(d.VHDURI))
		}
		if !s.hub() {
			if st := p.Units[unitKey(kindStorage, v.account)]; st == nil || st.State != cloud.StateCommitted {
				return opErr(OpCreateVM, unitID, "StorageAccountNotMigrated",
					"storage account %s of %s is still classic: migrate it first", v.account, disks.RedactURL(d.VHDURI))
			}
		}
		for ok2, other := range p.ARMVMs {
			if ok2 == k {
				continue
			}
			for _, od := range vmDisks(*other) {
				if od.ManagedDisk == "" && strings.EqualFold(od.VHDURI, d.VHDURI) {
					return opErr(OpCreateVM, unitID, "Conflict", "VHD %s is used by VM %s", disks.RedactURL(d.VHDURI), other.Name)
				}
			}
		}
		d.ManagedDisk = ""
		d.SizeBytes = v.size
	}
	for _, d := range disksOf {
		s.vhdRan(p, d.VHDURI)
	}
	return nil
}

// GetDisk reads a managed disk; a missing one is cloud.ErrNotFound.
func (s *Sim) GetDisk(ctx context.Context, resourceGroup, name string) (cloud.ManagedDisk, error) {
	var out cloud.ManagedDisk
	err := s.read(ctx, "get disk "+resourceGroup+"/"+name, func(p *persisted) error {
		d, ok := p.Disks[armKey(resourceGroup, name)]
		if !ok {
			return cloud.ErrNotFound
		}
		out = d.ManagedDisk
		return nil
	})
	return out, err
}

func diskState(p *persisted, rg, name string) string {
	if d, ok := p.Disks[armKey(rg, name)]; ok {
		return d.State
	}
	return stateNone
}

// diskPath is where a managed disk's data lives.
func (s *Sim) diskPath(rg, name string) string {
	return filepath.Join(s.store.dir, "disks", url.PathEscape(armKey(rg, name))+".raw")
}

// CreateDisk creates a managed disk. CreateImport copies the VHD at
// SourceURI server side before it returns (the disk is Unattached, of the
// VHD's size); CreateUpload makes an empty disk of SizeBytes (a whole
// number of MiB) in ReadyToUpload. Creating an existing disk with the same
// option and source succeeds without change. Refused
// (*cloud.OperationError): an unknown account type or option, an unknown
// source, a size smaller than the source's or not whole MiB, an existing
// disk made otherwise.
func (s *Sim) CreateDisk(ctx context.Context, d cloud.ManagedDisk) error {
	unitID := diskUnit(d.ResourceGroup, d.Name)
	return s.change(ctx, OpCreateDisk, unitID,
		func(p *persisted) string { return diskState(p, d.ResourceGroup, d.Name) },
		func(p *persisted) error {
			k := armKey(d.ResourceGroup, d.Name)
			if old, ok := p.Disks[k]; ok {
				if old.CreateOption == d.CreateOption && strings.EqualFold(old.SourceURI, d.SourceURI) {
					return nil
				}
				return opErr(OpCreateDisk, unitID, "Conflict", "disk %s already exists, made otherwise", d.Name)
			}
			if err := s.refuseDisk(p, d, unitID); err != nil {
				return err
			}
			md := &managedDisk{ManagedDisk: d}
			switch d.CreateOption {
			case cloud.CreateImport:
				v := s.vhds[inventory.Key(d.SourceURI)]
				md.SizeBytes = v.size
				md.State = cloud.DiskUnattached
				if err := s.materialise(ctx, md, s.version(v, p.gen(d.SourceURI))); err != nil {
					return err
				}
			case cloud.CreateUpload:
				if d.SizeBytes <= 0 || d.SizeBytes%(1<<20) != 0 {
					return opErr(OpCreateDisk, unitID, "InvalidParameter", "upload size %d is not a whole number of MiB", d.SizeBytes)
				}
				md.SourceURI = ""
				md.State = cloud.DiskReadyToUpload
				if err := s.newDiskFile(md); err != nil {
					return err
				}
			default:
				return opErr(OpCreateDisk, unitID, "InvalidParameter", "create option %q", d.CreateOption)
			}
			p.Disks[k] = md
			p.touchDisk(k)
			return nil
		})
}

// newDiskFile creates (or empties) the disk's data file as a hole of its
// size, 0600.
func (s *Sim) newDiskFile(md *managedDisk) error {
	path := s.diskPath(md.ResourceGroup, md.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create disk store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create disk %s: %w", md.Name, err)
	}
	if err := f.Truncate(md.SizeBytes); err != nil {
		_ = f.Close() // the truncate's error is the one to report
		return fmt.Errorf("create disk %s: %w", md.Name, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync's error is the one to report
		return fmt.Errorf("create disk %s: %w", md.Name, err)
	}
	return f.Close()
}

// materialise writes src's content into the disk's data file (the
// platform's server-side copy), then applies the corruption test hook.
func (s *Sim) materialise(ctx context.Context, md *managedDisk, src disks.Source) (err error) {
	if err := s.newDiskFile(md); err != nil {
		return err
	}
	dst, err := disks.ReopenRaw(s.diskPath(md.ResourceGroup, md.Name), md.SizeBytes)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("import %s: %w", md.Name, cerr)
		}
	}()
	if _, err := disks.Copy(ctx, src, dst, disks.CopyOptions{Workers: 1}); err != nil {
		return fmt.Errorf("import %s: %w", md.Name, err)
	}
	return s.maybeCorrupt(md)
}

// corruptNames is the set of disk names the test hook corrupts.
func (s *Sim) corruptNames() map[string]bool {
	return s.hookNames(s.o.CorruptDisks, corruptFile)
}

// corruptOffset is the byte the test hook flips: inside the first MiB,
// which every generated disk holds.
const corruptOffset = 3*disks.SectorSize + 7

// maybeCorrupt flips one byte of a disk the test hook names, once.
func (s *Sim) maybeCorrupt(md *managedDisk) (err error) {
	if md.Corrupted || !s.corruptNames()[inventory.Key(md.Name)] {
		return nil
	}
	f, err := os.OpenFile(s.diskPath(md.ResourceGroup, md.Name), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("corrupt disk %s: %w", md.Name, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("corrupt disk %s: %w", md.Name, cerr)
		}
	}()
	var b [1]byte
	if _, err := f.ReadAt(b[:], corruptOffset); err != nil {
		return fmt.Errorf("corrupt disk %s: %w", md.Name, err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b[:], corruptOffset); err != nil {
		return fmt.Errorf("corrupt disk %s: %w", md.Name, err)
	}
	md.Corrupted = true
	return f.Sync()
}

// DeleteDisk deletes a managed disk and its data. A missing disk is
// success; an attached one is refused (*cloud.OperationError).
func (s *Sim) DeleteDisk(ctx context.Context, resourceGroup, name string) error {
	unitID := diskUnit(resourceGroup, name)
	return s.change(ctx, OpDeleteDisk, unitID,
		func(p *persisted) string { return diskState(p, resourceGroup, name) },
		func(p *persisted) error {
			k := armKey(resourceGroup, name)
			d, ok := p.Disks[k]
			if !ok {
				return nil
			}
			if d.AttachedTo != "" {
				return opErr(OpDeleteDisk, unitID, "Conflict", "disk %s is attached to a VM", name)
			}
			if err := os.Remove(s.diskPath(resourceGroup, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("delete disk %s: %w", name, err)
			}
			delete(p.Disks, k)
			p.touchDisk(k)
			return nil
		})
}

// CreateImage makes a managed image from a generalized VHD of the estate
// whose storage account has migrated (Committed). Creating an existing
// image from the same source succeeds without change. Refused
// (*cloud.OperationError): an unknown VHD, a storage account still classic,
// an OS type that is neither Windows nor Linux, an existing image made
// otherwise. Whether the VHD is generalized is the caller's to check: the
// platform cannot tell either.
func (s *Sim) CreateImage(ctx context.Context, img cloud.Image) error {
	unitID := "image/" + img.ResourceGroup + "/" + img.Name
	return s.change(ctx, OpCreateImage, unitID,
		func(p *persisted) string {
			if _, ok := p.Images[armKey(img.ResourceGroup, img.Name)]; ok {
				return "Succeeded"
			}
			return stateNone
		},
		func(p *persisted) error {
			k := armKey(img.ResourceGroup, img.Name)
			if old, ok := p.Images[k]; ok {
				if strings.EqualFold(old.SourceURI, img.SourceURI) {
					return nil
				}
				return opErr(OpCreateImage, unitID, "Conflict", "image %s already exists, made from another VHD", img.Name)
			}
			if img.OSType != "Windows" && img.OSType != "Linux" {
				return opErr(OpCreateImage, unitID, "InvalidParameter", "osType %q is neither Windows nor Linux", img.OSType)
			}
			v, ok := s.vhds[inventory.Key(img.SourceURI)]
			if !ok {
				return opErr(OpCreateImage, unitID, "InvalidParameter", "source %s is not a VHD this cloud holds", disks.RedactURL(img.SourceURI))
			}
			if st := p.Units[unitKey(kindStorage, v.account)]; !s.hub() && (st == nil || st.State != cloud.StateCommitted) {
				return opErr(OpCreateImage, unitID, "StorageAccountNotMigrated",
					"storage account %s of %s is still classic: migrate it first", v.account, disks.RedactURL(img.SourceURI))
			}
			c := img
			p.Images[k] = &c
			p.touchImage(k)
			return nil
		})
}

// GetImage reads a managed image; a missing one is cloud.ErrNotFound.
func (s *Sim) GetImage(ctx context.Context, resourceGroup, name string) (cloud.Image, error) {
	var out cloud.Image
	err := s.read(ctx, "get image "+resourceGroup+"/"+name, func(p *persisted) error {
		im, ok := p.Images[armKey(resourceGroup, name)]
		if !ok {
			return cloud.ErrNotFound
		}
		out = *im
		return nil
	})
	return out, err
}

// OpenUpload grants write access (recorded as GrantAccess) to a disk made
// with CreateUpload, moving it to ActiveUpload, and returns a sink writing
// its data file: the data, then the fixed VHD footer at Finish. With
// resume the data written so far is kept. Refused (*cloud.OperationError):
// a disk not made for upload, one whose upload has ended, a size other
// than the disk's. A missing disk is cloud.ErrNotFound.
func (s *Sim) OpenUpload(ctx context.Context, resourceGroup, name string, sizeBytes int64, resume bool) (disks.Sink, error) {
	unitID := diskUnit(resourceGroup, name)
	err := s.change(ctx, OpGrantAccess, unitID,
		func(p *persisted) string { return diskState(p, resourceGroup, name) },
		func(p *persisted) error {
			d, ok := p.Disks[armKey(resourceGroup, name)]
			switch {
			case !ok:
				return cloud.ErrNotFound
			case d.CreateOption != cloud.CreateUpload:
				return opErr(OpGrantAccess, unitID, "InvalidDiskState", "disk %s was not created for upload", name)
			case d.State != cloud.DiskReadyToUpload && d.State != cloud.DiskActiveUpload:
				return opErr(OpGrantAccess, unitID, "InvalidDiskState", "disk %s is %s: its upload has ended", name, d.State)
			case d.SizeBytes != sizeBytes:
				return opErr(OpGrantAccess, unitID, "InvalidParameter", "upload of %d bytes to a disk of %d", sizeBytes, d.SizeBytes)
			}
			d.State = cloud.DiskActiveUpload
			p.touchDisk(armKey(resourceGroup, name))
			return nil
		})
	if err != nil {
		return nil, err
	}
	path := s.diskPath(resourceGroup, name)
	if resume {
		return vhd.ReopenFixed(path, sizeBytes)
	}
	return vhd.CreateFixed(path, sizeBytes)
}

// EndUpload revokes write access and makes the disk Unattached (then the
// corruption test hook applies). On a disk whose upload has ended already
// it succeeds without change; a missing disk is cloud.ErrNotFound.
func (s *Sim) EndUpload(ctx context.Context, resourceGroup, name string) error {
	return s.change(ctx, OpEndUpload, diskUnit(resourceGroup, name),
		func(p *persisted) string { return diskState(p, resourceGroup, name) },
		func(p *persisted) error {
			d, ok := p.Disks[armKey(resourceGroup, name)]
			if !ok {
				return cloud.ErrNotFound
			}
			if d.State != cloud.DiskReadyToUpload && d.State != cloud.DiskActiveUpload {
				return nil
			}
			d.State = cloud.DiskUnattached
			p.touchDisk(armKey(resourceGroup, name))
			return s.maybeCorrupt(d)
		})
}

// OpenManaged opens a managed disk's data for reading (its size, without
// the footer an upload wrote). A missing disk is cloud.ErrNotFound.
func (s *Sim) OpenManaged(ctx context.Context, resourceGroup, name string) (disks.Source, error) {
	var size int64
	err := s.update(func(p *persisted) (bool, error) {
		d, ok := p.Disks[armKey(resourceGroup, name)]
		if !ok {
			return false, cloud.ErrNotFound
		}
		size = d.SizeBytes
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("open managed disk %s/%s: %w", resourceGroup, name, err)
	}
	r, err := disks.OpenRaw(s.diskPath(resourceGroup, name))
	if err != nil {
		return nil, fmt.Errorf("open managed disk %s/%s: %w", resourceGroup, name, err)
	}
	return &managedSource{RawFile: r, size: size}, nil
}

// managedSource reads a disk's data file as the disk: its size, not the
// file's (which holds the upload's footer after the data).
type managedSource struct {
	*disks.RawFile
	size int64
}

func (m *managedSource) Size() int64 { return m.size }

func (m *managedSource) Allocated(ctx context.Context) ([]disks.Extent, error) {
	ext, err := m.RawFile.Allocated(ctx)
	if err != nil {
		return nil, err
	}
	var out []disks.Extent
	for _, e := range ext {
		if e.Off >= m.size {
			break
		}
		e.Len = min(e.Len, m.size-e.Off)
		out = append(out, e)
	}
	return out, nil
}

// Package convert is the disk step: it turns the unmanaged VHDs of migrated
// Resource Manager VMs into managed disks, as the Azure Stack Hub procedure
// does: keep the disks, remove the VM, make a managed disk from each VHD,
// recreate the VM on them with the same size, availability set, NICs and
// LUNs.
//
// Build makes the Plan from an inventory (per VM: its disks, each disk's
// managed disk name, account type, size tier, movement, rate caps, and the
// VM's estimated downtime) and refuses, before anything changes, what the
// target cloud cannot hold (*PlanError). Run executes a plan through
// cloud.Compute and cloud.DiskData, journaled write-ahead per VM in the
// journal's documents so a run killed at any instant is finished by running
// again. Image makes a managed image from a generalized classic VHD.
//
// The disk data moves server side (Import) when nothing needs to be done to
// it, else through disks.Copy (Upload): rate capped, resumable from a
// checkpoint under the state directory, and optionally through an
// encrypted staging image (pkg/disks/staging) in two legs. Every managed
// disk is read back and its content SHA-256 compared with the source's
// before the VM on VHDs is deleted.
package convert

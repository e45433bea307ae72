// Package convert is the disk step: it turns the unmanaged VHDs of
// Resource Manager VMs (migrated from the classic model, or on Azure Stack
// Hub from the start) into managed disks, by one of three methods the plan
// picks per VM (VMPlan.Method):
//
//   - MethodPlatform (Azure): the platform's own Convert To Managed Disks,
//     the availability set made Aligned first;
//   - MethodPrecopy (Azure Stack Hub): each disk copied from a blob
//     snapshot of its VHD while the VM runs, then at cut-over only what
//     changed since, verified by its HashTree leaves, and the VM recreated
//     on the managed disks, as the Stack Hub procedure does (keep the
//     disks, remove the VM, recreate it with the same size, availability
//     set, NICs, LUNs and everything CreateVM can carry);
//   - MethodCutover: every byte moved while the VM is down (Import, Upload
//     or two encrypted staging legs), then the same recreate.
//
// Build makes the Plan from an inventory and refuses, before anything
// changes, what the target cloud cannot hold (*PlanError). Run executes a
// plan through cloud.Compute, cloud.DiskData and, where the methods need
// them, cloud.PlatformConversion and cloud.VHDSnapshots, journaled
// write-ahead per VM (and per disk) in the journal's documents so a run
// killed at any instant is finished by running again. Run itself keeps
// VMs of one availability set from being down together and at most
// Options.Parallel down at once (gate.go), whatever the plan's batches
// say; a failure once a VM is deleted recreates it on its original VHDs
// (rollback.go). Leftovers and Cleanup list and remove the VHDs and
// snapshots the step keeps. Image makes a managed image from a
// generalized classic VHD.
//
// The streamed copies go through disks.Copy: rate capped, resumable from
// a checkpoint under the state directory. Every managed disk is read back
// and its content hash compared with its source's (the pre-copy: leaf by
// leaf, the delta's chunks again at cut-over) before the VM on VHDs is
// deleted.
package convert

// Package azure is the driver for the real clouds: the classic
// (Service Management) side of the migration through an azcore pipeline
// with azidentity credentials. It implements cloud.Migrator and
// cloud.Discoverer, and checks before anything changes that the
// subscription can migrate (Preflight).
//
// Every call goes through azcore: its retry policy handles 408/429/5xx with
// Retry-After and is tuned here, not wrapped. What azcore lacks is added:
// a Retry-After longer than its ceiling ends as a *cloud.TransientError
// carrying that delay (the phases wait and retry, after reading State), and
// the Service Management operation protocol (202 + x-ms-request-id, then GET
// /operations/{id}) is polled here because runtime.Poller does not speak it.
//
// The Resource Manager half implements cloud.Compute and cloud.DiskData for
// the disk step through armcompute's VirtualMachines, Disks and Images
// clients, built on the configured cloud's Resource Manager endpoint and
// audience with the API versions of Config.APIVersions. Long-running
// operations go through runtime.Poller; with Options.Tokens their resume
// tokens are saved as soon as they start and a later call for the same
// resource resumes polling instead of sending the operation again; once
// the resumed operation has ended, a read confirms the call's effect (the
// operation may have been an earlier call's) and, if it is missing, the
// operation is sent afresh. SAS
// URLs (grant-access, and the SAS the driver signs for VHDs and their
// snapshots with a key from listKeys) stay inside the driver and are
// redacted from its log.
//
// For issue 10 it also implements cloud.PlatformConversion (availability
// sets, resource SKUs, convertToManagedDisks: platform.go) and
// cloud.VHDSnapshots (blob snapshots and their page-range diff:
// snapshots.go), and CreateVM carries tags, license type, boot
// diagnostics, per-disk caching and write accelerator and re-adds
// extensions. On Azure Stack Hub, which has no classic deployment model,
// every Migrator and Discoverer call is refused before sending, Platform()
// is nil and the disk API defaults to the Hub's documented 2017-12-01
// (stackhub.go).
package azure

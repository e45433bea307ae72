// Package emulator serves a cloud.Migrator and a cloud.Discoverer (the
// simulator, in `migrate sim serve`) over the wire protocols the azure
// driver speaks: Service Management XML for the classic side, the Resource
// Manager provider-registration read for preflight, and an OAuth 2.0
// authority that azidentity's ClientSecretCredential talks to unchanged. It
// listens on loopback with TLS from a freshly generated self-signed
// certificate, because azcore refuses to send a bearer token over plain
// HTTP; WriteConfig writes that certificate and a driver configuration
// pointing at the server.
//
// It injects transient faults (429 with Retry-After, 503, 500), some after
// the request took effect, as a lost response would be, so the driver's
// retries are exercised.
//
// Given Options.Compute and DiskData (the simulator), it also serves the
// Resource Manager calls of the disk step (VMs, managed disks with
// grant/revoke access, images, storage account listKeys) as long-running
// operations with Azure's headers, and keeps their page data in Azurite at
// Options.BlobEndpoint: classic VHDs are copied there (sparse) from
// DiskData.OpenVHD when their account's keys are first listed, and
// grant-access answers a SAS into the managed-disks container. The driver
// reads VHDs through the emulator's Blob service front (/blob/{account}/),
// which passes everything to Azurite except the page-range diff Azurite
// lacks (Get Page Ranges with prevsnapshot), computed here over Azurite's
// data (blobproxy.go).
//
// Given Options.Platform it serves availability sets, resource SKUs and
// Convert To Managed Disks, refusing first what Azure refuses in Azure's
// words (platform.go); VM extensions PUT through it are kept over the
// backend's VMs (extensions.go). Options.StackHub serves as Azure Stack
// Hub does: Resource Manager only, the Hub's disk API versions and limits,
// no conversion (stackhub.go).
package emulator

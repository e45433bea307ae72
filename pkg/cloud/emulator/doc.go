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
// grant-access answers a SAS into the managed-disks container.
package emulator

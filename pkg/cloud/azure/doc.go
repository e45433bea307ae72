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
// The Resource Manager disk and VM calls of the disk step are not here yet;
// they will hang off Driver.armPipeline, which already carries the bearer
// token for the Resource Manager audience.
package azure

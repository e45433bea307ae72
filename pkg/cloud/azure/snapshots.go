package azure

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	azpageblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/pageblob"
)

// VHD blob snapshots (cloud.VHDSnapshots) over the Blob service: Snapshot
// Blob (PUT ?comp=snapshot, answering x-ms-snapshot), Get Blob and Get Page
// Ranges of a snapshot (?snapshot=), Get Page Ranges with prevsnapshot
// (the diff: PageRange for pages written since, ClearRange for pages
// cleared since), Delete Blob of a snapshot (learn.microsoft.com
// rest/api/storageservices: snapshot-blob, get-page-ranges, delete-blob).
// Each call signs its own SAS with the account key (listKeys), as OpenVHD
// does; the SAS never leaves the driver. A snapshot is reached with a
// snapshot SAS (sr=bs, signed with the snapshot's time, service SAS
// version 2018-11-09 and later) and the snapshot parameter.

var _ cloud.VHDSnapshots = (*Driver)(nil)

// vhdSAS signs a SAS with perm for the VHD's blob, or for one of its
// snapshots, and returns its URL (with the snapshot parameter).
func (d *Driver) vhdSAS(ctx context.Context, vhdURI, snapshot string, perm sas.BlobPermissions) (string, error) {
	ref, err := armapi.ParseBlobURL(vhdURI)
	if err != nil {
		return "", err
	}
	key, err := d.accountKey(ctx, ref.Account)
	if err != nil {
		return "", err
	}
	u, acct := d.blobURL(ref, vhdURI)
	if snapshot == "" {
		return d.signSAS(u, acct, key, ref, perm, time.Time{})
	}
	at, err := time.Parse(time.RFC3339Nano, snapshot)
	if err != nil {
		return "", fmt.Errorf("snapshot %q is not a snapshot time", snapshot)
	}
	signed, err := d.signSAS(u, acct, key, ref, perm, at)
	if err != nil {
		return "", err
	}
	// The parameter carries the time as it was signed (7 fractional
	// digits, as the service writes snapshot times).
	return signed + "&snapshot=" + url.QueryEscape(at.UTC().Format(blob.SnapshotTimeFormat)), nil
}

// signSAS signs a SAS with perm for one blob, or for its snapshot at
// snapshot when that is not zero, valid from a few minutes ago (clock
// skew) for AccessDuration.
func (d *Driver) signSAS(blobURL, account, key string, ref armapi.BlobRef, perm sas.BlobPermissions, snapshot time.Time) (string, error) {
	cred, err := blob.NewSharedKeyCredential(account, key)
	if err != nil {
		return "", errors.New("storage account key does not decode")
	}
	proto := sas.ProtocolHTTPS
	if strings.HasPrefix(blobURL, "http://") || d.cfg.BlobEndpoint != "" {
		// A loopback emulator: Azurite, perhaps behind the emulator's
		// TLS front, sees plain HTTP.
		proto = sas.ProtocolHTTPSandHTTP
	}
	now := time.Now().UTC()
	q, err := sas.BlobSignatureValues{
		Protocol:      proto,
		StartTime:     now.Add(-5 * time.Minute),
		ExpiryTime:    now.Add(d.o.AccessDuration),
		Permissions:   perm.String(),
		ContainerName: ref.Container,
		BlobName:      ref.Blob,
		SnapshotTime:  snapshot,
	}.SignWithSharedKey(cred)
	if err != nil {
		return "", fmt.Errorf("sign SAS: %w", err)
	}
	return blobURL + "?" + q.Encode(), nil
}

// SnapshotVHD snapshots the VHD's page blob (Snapshot Blob, which needs
// the Create or Write permission) and returns the snapshot's id.
func (d *Driver) SnapshotVHD(ctx context.Context, vhdURI string) (string, error) {
	what := disks.RedactURL(vhdURI)
	u, err := d.vhdSAS(ctx, vhdURI, "", sas.BlobPermissions{Create: true, Write: true})
	if err != nil {
		return "", fmt.Errorf("snapshot vhd %s: %w", what, err)
	}
	c, err := blob.NewClientWithNoCredential(u, d.blobClientOptions())
	if err != nil {
		return "", fmt.Errorf("snapshot vhd %s: %w", what, disks.RedactError(err, u))
	}
	r, err := c.CreateSnapshot(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("snapshot vhd %s: %w", what, blobErr(err, u))
	}
	if r.Snapshot == nil || *r.Snapshot == "" {
		return "", fmt.Errorf("snapshot vhd %s: no x-ms-snapshot in the answer", what)
	}
	return *r.Snapshot, nil
}

// OpenVHDSnapshot opens one snapshot of the VHD for reading.
func (d *Driver) OpenVHDSnapshot(ctx context.Context, vhdURI, snapshot string) (disks.Source, error) {
	what := disks.RedactURL(vhdURI) + "@" + snapshot
	u, err := d.vhdSAS(ctx, vhdURI, snapshot, sas.BlobPermissions{Read: true})
	if err != nil {
		return nil, fmt.Errorf("open vhd snapshot %s: %w", what, err)
	}
	src, err := pageblob.Open(ctx, u, d.blobOptions())
	if err != nil {
		return nil, fmt.Errorf("open vhd snapshot %s: %w", what, blobErr(err, u))
	}
	return src, nil
}

// ChangedSince lists where snapshot differs from prev (Get Page Ranges of
// snapshot with prevsnapshot): written and cleared ranges together,
// sorted and merged, clipped to the disk (the VHD footer is not data).
func (d *Driver) ChangedSince(ctx context.Context, vhdURI, snapshot, prev string) ([]disks.Extent, error) {
	what := disks.RedactURL(vhdURI) + "@" + snapshot
	src, err := d.OpenVHDSnapshot(ctx, vhdURI, snapshot)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", what, err)
	}
	size := src.Size()
	_ = src.Close() // read only
	u, err := d.vhdSAS(ctx, vhdURI, snapshot, sas.BlobPermissions{Read: true})
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", what, err)
	}
	c, err := azpageblob.NewClientWithNoCredential(u, d.blobOptions().Client)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", what, disks.RedactError(err, u))
	}
	var out []disks.Extent
	add := func(start, end *int64) {
		if start == nil || end == nil {
			return
		}
		lo, hi := *start, min(*end+1, size)
		if lo < hi {
			out = append(out, disks.Extent{Off: lo, Len: hi - lo})
		}
	}
	pager := c.NewGetPageRangesDiffPager(&azpageblob.GetPageRangesDiffOptions{PrevSnapshot: &prev})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("changes of %s since %s: %w", what, prev, blobErr(err, u))
		}
		for _, r := range page.PageRange {
			add(r.Start, r.End)
		}
		for _, r := range page.ClearRange {
			add(r.Start, r.End)
		}
	}
	return mergeExtents(out), nil
}

// mergeExtents sorts extents and merges those that touch or overlap.
func mergeExtents(in []disks.Extent) []disks.Extent {
	slices.SortFunc(in, func(a, b disks.Extent) int { return int(a.Off - b.Off) })
	var out []disks.Extent
	for _, e := range in {
		if n := len(out); n > 0 && e.Off <= out[n-1].Off+out[n-1].Len {
			out[n-1].Len = max(out[n-1].Len, e.Off+e.Len-out[n-1].Off)
			continue
		}
		out = append(out, e)
	}
	return out
}

// DeleteVHDSnapshot deletes one snapshot (Delete Blob with snapshot=); a
// missing one is deleted.
func (d *Driver) DeleteVHDSnapshot(ctx context.Context, vhdURI, snapshot string) error {
	what := disks.RedactURL(vhdURI) + "@" + snapshot
	u, err := d.vhdSAS(ctx, vhdURI, snapshot, sas.BlobPermissions{Delete: true})
	if err != nil {
		return fmt.Errorf("delete vhd snapshot %s: %w", what, err)
	}
	c, err := blob.NewClientWithNoCredential(u, d.blobClientOptions())
	if err != nil {
		return fmt.Errorf("delete vhd snapshot %s: %w", what, disks.RedactError(err, u))
	}
	if _, err := c.Delete(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound) {
		return fmt.Errorf("delete vhd snapshot %s: %w", what, blobErr(err, u))
	}
	return nil
}

// blobClientOptions are blobOptions for azblob's blob client.
func (d *Driver) blobClientOptions() *blob.ClientOptions {
	return &blob.ClientOptions{ClientOptions: d.blobOptions().Client.ClientOptions}
}

// blobErr is a Blob service error with the SAS redacted: a missing blob
// or snapshot is cloud.ErrNotFound, a throttled or failing service
// transient.
func blobErr(err error, sasURL string) error {
	red := disks.RedactError(err, sasURL)
	switch {
	case bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound):
		return fmt.Errorf("%w: %w", cloud.ErrNotFound, red)
	case bloberror.HasCode(err, bloberror.ServerBusy, bloberror.InternalError, bloberror.OperationTimedOut):
		return &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, Err: red}
	}
	return red
}

// DeleteVHD deletes a VHD's page blob with its snapshots (Delete Blob,
// x-ms-delete-snapshots: include), for `migrate disks cleanup` once the
// VM runs on verified managed disks; a blob already gone succeeds. A VHD
// still attached to a VM holds the platform's lease and the Blob service
// refuses it (LeaseIdMissing, an *cloud.OperationError here).
func (d *Driver) DeleteVHD(ctx context.Context, vhdURI string) error {
	what := disks.RedactURL(vhdURI)
	u, err := d.vhdSAS(ctx, vhdURI, "", sas.BlobPermissions{Delete: true, DeletePreviousVersion: true})
	if err != nil {
		return fmt.Errorf("delete vhd %s: %w", what, err)
	}
	c, err := blob.NewClientWithNoCredential(u, d.blobClientOptions())
	if err != nil {
		return fmt.Errorf("delete vhd %s: %w", what, disks.RedactError(err, u))
	}
	include := blob.DeleteSnapshotsOptionTypeInclude
	_, err = c.Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: &include})
	switch {
	case err == nil, bloberror.HasCode(err, bloberror.BlobNotFound):
		return nil
	case bloberror.HasCode(err, bloberror.LeaseIDMissing, bloberror.LeaseIsBrokenAndCannotBeRenewed, bloberror.LeaseIDMismatchWithBlobOperation):
		return &cloud.OperationError{Code: "LeaseIdMissing", Message: "delete vhd " + what + ": the VHD is attached to a VM (the platform holds its lease): " + disks.RedactError(err, u).Error()}
	}
	return fmt.Errorf("delete vhd %s: %w", what, blobErr(err, u))
}

package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	azpageblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/pageblob"
)

// blobEndpointAccount is the storage account a BlobEndpoint serves: its
// last path segment (Azurite's path-style http://HOST:PORT/ACCOUNT), or the
// first label of its host (https://ACCOUNT.blob.SUFFIX).
func blobEndpointAccount(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q: want http(s)://HOST[:PORT]/ACCOUNT or https://ACCOUNT.blob.SUFFIX", endpoint)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return p[strings.LastIndexByte(p, '/')+1:], nil
	}
	acct, _, _ := strings.Cut(u.Hostname(), ".")
	return acct, nil
}

// blobURL is where a VHD's page blob is read, and the account that signs
// for it: the VHD URI itself, or under BlobEndpoint when one is set.
func (d *Driver) blobURL(ref armapi.BlobRef, vhdURI string) (string, string) {
	if d.cfg.BlobEndpoint == "" {
		u, _ := url.Parse(vhdURI)
		u.RawQuery, u.Fragment = "", ""
		return u.String(), ref.Account
	}
	acct, _ := blobEndpointAccount(d.cfg.BlobEndpoint)
	return strings.TrimSuffix(d.cfg.BlobEndpoint, "/") + "/" + ref.Container + "/" + ref.Blob, acct
}

// blobOptions are the azblob client options: the driver's transport (so a
// custom cloud's CA is trusted), retry and redacted call log.
func (d *Driver) blobOptions() pageblob.Options {
	co := d.clientOptions()
	co.PerRetryPolicies = append(co.PerRetryPolicies, logPolicy{log: d.o.Log})
	return pageblob.Options{Client: &azpageblob.ClientOptions{ClientOptions: co}}
}

// storageAccounts caches account name -> Resource Manager id: account
// names are unique in a cloud and ids do not change.
type storageAccounts struct {
	mu  sync.Mutex
	ids map[string]string
}

// storageAccountID finds a storage account's id by listing the
// subscription's accounts (a VHD URI names only the account).
func (d *Driver) storageAccountID(ctx context.Context, account string) (string, error) {
	account = strings.ToLower(account)
	d.accts.mu.Lock()
	id, ok := d.accts.ids[account]
	d.accts.mu.Unlock()
	if ok {
		return id, nil
	}
	u := strings.TrimSuffix(d.ep.arm, "/") + "/subscriptions/" + url.PathEscape(d.cfg.SubscriptionID) +
		"/providers/" + armapi.TypeStorageAccounts + "?api-version=" + url.QueryEscape(d.ep.api.Storage)
	accts, err := listARM[struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}](ctx, d, u)
	if err != nil {
		return "", fmt.Errorf("list storage accounts: %w", err)
	}
	found := map[string]string{}
	for _, a := range accts {
		found[strings.ToLower(a.Name)] = a.ID
	}
	d.accts.mu.Lock()
	if d.accts.ids == nil {
		d.accts.ids = map[string]string{}
	}
	for k, v := range found {
		d.accts.ids[k] = v
	}
	id, ok = d.accts.ids[account]
	d.accts.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("storage account %s: %w", account, cloud.ErrNotFound)
	}
	return id, nil
}

// accountKey lists a storage account's keys (listKeys) and returns the
// first with full permission. The key is used to sign one SAS and dropped.
func (d *Driver) accountKey(ctx context.Context, account string) (string, error) {
	id, err := d.storageAccountID(ctx, account)
	if err != nil {
		return "", err
	}
	u := strings.TrimSuffix(d.ep.arm, "/") + id + "/listKeys?api-version=" + url.QueryEscape(d.ep.api.Storage)
	_, b, err := d.call(ctx, d.arm, http.MethodPost, u, []byte{})
	if err != nil {
		return "", fmt.Errorf("list keys of storage account %s: %w", account, err)
	}
	var v struct {
		Keys []struct {
			KeyName     string `json:"keyName"`
			Value       string `json:"value"`
			Permissions string `json:"permissions"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("list keys of storage account %s: malformed answer", account)
	}
	for _, k := range v.Keys {
		if k.Value != "" && (k.Permissions == "" || strings.EqualFold(k.Permissions, "full")) {
			return k.Value, nil
		}
	}
	return "", fmt.Errorf("list keys of storage account %s: no key with full permission", account)
}

// readSAS signs a read-only SAS for one blob (signSAS).
func (d *Driver) readSAS(blobURL, account, key string, ref armapi.BlobRef) (string, error) {
	return d.signSAS(blobURL, account, key, ref, sas.BlobPermissions{Read: true}, time.Time{})
}

// OpenVHD opens an unmanaged disk's page blob for reading: the storage
// account's key through Resource Manager (listKeys), a read SAS signed with
// it for AccessDuration, then the page blob. Neither key nor SAS leaves
// the driver.
func (d *Driver) OpenVHD(ctx context.Context, vhdURI string) (disks.Source, error) {
	ref, err := armapi.ParseBlobURL(vhdURI)
	if err != nil {
		return nil, fmt.Errorf("open vhd: %w", err)
	}
	what := disks.RedactURL(vhdURI)
	key, err := d.accountKey(ctx, ref.Account)
	if err != nil {
		return nil, fmt.Errorf("open vhd %s: %w", what, err)
	}
	u, acct := d.blobURL(ref, vhdURI)
	sasURL, err := d.readSAS(u, acct, key, ref)
	if err != nil {
		return nil, fmt.Errorf("open vhd %s: %w", what, err)
	}
	src, err := pageblob.Open(ctx, sasURL, d.blobOptions())
	if err != nil {
		return nil, fmt.Errorf("open vhd %s: %w", what, err)
	}
	return src, nil
}

// OpenUpload grants write access to an Upload disk and returns a sink for
// its data with the fixed VHD footer. The disk's blob already exists at
// size+512 bytes (a managed disk refuses Put Blob), so the sink reopens
// it; without resume, pages an earlier attempt left are cleared first, so
// holes in the new data read as zeros.
func (d *Driver) OpenUpload(ctx context.Context, rg, name string, sizeBytes int64, resume bool) (disks.Sink, error) {
	sasURL, err := d.grantAccess(ctx, rg, name, armcompute.AccessLevelWrite)
	if err != nil {
		return nil, fmt.Errorf("open upload %s/%s: %w", rg, name, err)
	}
	o := d.blobOptions()
	o.VHDFooter = true
	sink, err := pageblob.Reopen(ctx, sasURL, sizeBytes, o)
	if err != nil {
		return nil, fmt.Errorf("open upload %s/%s: %w", rg, name, err)
	}
	d.uploads.set(rg, name, sasURL)
	if !resume {
		if err := clearPages(ctx, sasURL, o.Client); err != nil {
			return nil, fmt.Errorf("open upload %s/%s: %w", rg, name, err)
		}
	}
	return sink, nil
}

// clearPages clears every page range of the blob (a fresh Upload disk has
// none, so this costs one listing).
func clearPages(ctx context.Context, sasURL string, o *azpageblob.ClientOptions) error {
	c, err := azpageblob.NewClientWithNoCredential(sasURL, o)
	if err != nil {
		return fmt.Errorf("clear pages of %s: %w", disks.RedactURL(sasURL), disks.RedactError(err, sasURL))
	}
	var ranges []blob.HTTPRange
	pager := c.NewGetPageRangesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list pages of %s: %w", disks.RedactURL(sasURL), disks.RedactError(err, sasURL))
		}
		for _, r := range page.PageRange {
			if r.Start != nil && r.End != nil {
				ranges = append(ranges, blob.HTTPRange{Offset: *r.Start, Count: *r.End - *r.Start + 1})
			}
		}
	}
	for _, r := range ranges {
		if _, err := c.ClearPages(ctx, r, nil); err != nil {
			return fmt.Errorf("clear pages of %s: %w", disks.RedactURL(sasURL), disks.RedactError(err, sasURL))
		}
	}
	return nil
}

// EndUpload revokes the write access: the disk leaves ActiveUpload and can
// be attached.
func (d *Driver) EndUpload(ctx context.Context, rg, name string) error {
	d.uploads.drop(rg, name)
	if err := d.revokeAccess(ctx, rg, name); err != nil {
		return fmt.Errorf("end upload %s/%s: %w", rg, name, err)
	}
	return nil
}

// OpenManaged grants read access to a managed disk and opens it; closing
// the source revokes the access.
func (d *Driver) OpenManaged(ctx context.Context, rg, name string) (disks.Source, error) {
	if src, ok, err := d.openUploading(ctx, rg, name); ok || err != nil {
		return src, err
	}
	sasURL, err := d.grantAccess(ctx, rg, name, armcompute.AccessLevelRead)
	if err != nil {
		return nil, fmt.Errorf("open managed disk %s/%s: %w", rg, name, err)
	}
	src, err := pageblob.Open(ctx, sasURL, d.blobOptions())
	if err != nil {
		if rerr := d.revokeAccess(ctx, rg, name); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, fmt.Errorf("open managed disk %s/%s: %w", rg, name, err)
	}
	return &managedSource{Source: src, d: d, rg: rg, name: name}, nil
}

// openUploading opens a disk whose upload is still open (the pre-copy
// reads its disk back while the VM runs, before EndUpload) through the
// upload's own grant: a disk in ActiveUpload is given no Read grant, and
// the grant it has is read-write (DiskRP hands out "a read-write SAS of an
// empty managed disk blob" for upload: Azure/azure-storage-azcopy PR
// #1582). The grant held since OpenUpload is used, else, after a restart,
// the Write grant is asked again (a repeated grant keeps the data). ok is
// false for a disk not being uploaded. Closing the source leaves the grant:
// revoking it would end the upload.
func (d *Driver) openUploading(ctx context.Context, rg, name string) (disks.Source, bool, error) {
	sasURL, held := d.uploads.get(rg, name)
	if !held {
		md, err := d.GetDisk(ctx, rg, name)
		if err != nil {
			return nil, false, fmt.Errorf("open managed disk %s/%s: %w", rg, name, err)
		}
		if md.State != cloud.DiskActiveUpload {
			return nil, false, nil
		}
		if sasURL, err = d.grantAccess(ctx, rg, name, armcompute.AccessLevelWrite); err != nil {
			return nil, false, fmt.Errorf("open managed disk %s/%s being uploaded: %w", rg, name, err)
		}
		d.uploads.set(rg, name, sasURL)
	}
	src, err := pageblob.Open(ctx, sasURL, d.blobOptions())
	if err != nil {
		return nil, false, fmt.Errorf("open managed disk %s/%s being uploaded: %w", rg, name, err)
	}
	return src, true, nil
}

// revokeTimeout bounds the revoke a Close sends: Close has no context.
const revokeTimeout = 2 * time.Minute

// managedSource revokes the read access on Close.
type managedSource struct {
	*pageblob.Source
	d        *Driver
	rg, name string
}

// Close revokes the disk's access. Close takes no context, so the revoke
// runs under its own timeout; a failed revoke is returned (the grant
// expires after AccessDuration anyway).
func (m *managedSource) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if err := m.d.revokeAccess(ctx, m.rg, m.name); err != nil {
		return fmt.Errorf("close managed disk %s/%s: %w", m.rg, m.name, err)
	}
	return m.Source.Close()
}

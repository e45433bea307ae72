package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"golang.org/x/sync/errgroup"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/disks"
)

var _ cloud.BlobSizer = (*Driver)(nil)

// blobSizeReads is how many Get Blob Properties calls are in flight at
// once: an estate has thousands of disks, each read a round trip.
const blobSizeReads = 8

// BlobSizes reads each VHD's page blob size with Get Blob Properties,
// signed with a read SAS from its classic account's key. A classic
// storage account takes no Entra ID token on its data plane (only
// Resource Manager accounts do), so the key is read through Service
// Management (Get Storage Keys), once per account; it stays here. After
// Commit an account is Resource Manager's and Service Management no
// longer knows it, so its key comes from listKeys as the disk step's.
func (d *Driver) BlobSizes(ctx context.Context, vhdURIs []string) (map[string]int64, error) {
	if err := d.classicRefused("BlobSizes", d.cfg.SubscriptionID); err != nil {
		return nil, err
	}
	byAccount := map[string][]string{}
	for _, u := range vhdURIs {
		ref, err := armapi.ParseBlobURL(u)
		if err != nil {
			return nil, fmt.Errorf("blob size of %s: %w", disks.RedactURL(u), err)
		}
		a := strings.ToLower(ref.Account)
		byAccount[a] = append(byAccount[a], u)
	}
	accounts := make([]string, 0, len(byAccount))
	for a := range byAccount {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	var mu sync.Mutex
	out := map[string]int64{}
	for _, a := range accounts {
		key, err := d.classicKey(ctx, a)
		if err != nil {
			return nil, err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(blobSizeReads)
		for _, u := range byAccount[a] {
			g.Go(func() error {
				n, err := d.blobSize(gctx, u, key)
				if errors.Is(err, cloud.ErrNotFound) {
					return nil
				}
				if err != nil {
					return err
				}
				mu.Lock()
				out[u] = n
				mu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// classicKey is a storage account's primary key: Get Storage Keys while
// the account is classic, listKeys once it has moved to Resource Manager
// (Service Management answers 404 for it then).
func (d *Driver) classicKey(ctx context.Context, account string) (string, error) {
	p := "/" + url.PathEscape(d.cfg.SubscriptionID) + "/services/storageservices/" + url.PathEscape(account) + "/keys"
	_, b, err := d.call(ctx, d.sm, http.MethodGet, d.smURL(p), nil)
	if errors.Is(err, cloud.ErrNotFound) {
		key, err := d.accountKey(ctx, account)
		if err != nil {
			return "", fmt.Errorf("read keys of storage account %s: %w", account, err)
		}
		return key, nil
	}
	if err != nil {
		return "", fmt.Errorf("read keys of classic storage account %s: %w", account, err)
	}
	v, err := smapi.Decode[smapi.StorageServiceKeys](strings.NewReader(string(b)))
	if err != nil {
		return "", fmt.Errorf("read keys of classic storage account %s: malformed answer", account)
	}
	for _, k := range []string{v.Keys.Primary, v.Keys.Secondary} {
		if k != "" {
			return k, nil
		}
	}
	return "", fmt.Errorf("read keys of classic storage account %s: the answer holds no key", account)
}

// blobSize is one blob's Content-Length (Get Blob Properties).
func (d *Driver) blobSize(ctx context.Context, vhdURI, key string) (int64, error) {
	what := disks.RedactURL(vhdURI)
	ref, err := armapi.ParseBlobURL(vhdURI)
	if err != nil {
		return 0, fmt.Errorf("blob size of %s: %w", what, err)
	}
	u, acct := d.blobURL(ref, vhdURI)
	signed, err := d.signSAS(u, acct, key, ref, sas.BlobPermissions{Read: true}, time.Time{})
	if err != nil {
		return 0, fmt.Errorf("blob size of %s: %w", what, err)
	}
	c, err := blob.NewClientWithNoCredential(signed, d.blobClientOptions())
	if err != nil {
		return 0, fmt.Errorf("blob size of %s: %w", what, disks.RedactError(err, signed))
	}
	p, err := c.GetProperties(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("blob size of %s: %w", what, blobErr(err, signed))
	}
	if p.ContentLength == nil {
		return 0, fmt.Errorf("blob size of %s: no Content-Length in the answer", what)
	}
	return *p.ContentLength, nil
}

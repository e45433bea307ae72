package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/pageblob"
)

// Azurite's documented development account and key, the defaults of
// Options.BlobAccountName and BlobAccountKey.
const (
	DevAccountName = "devstoreaccount1"
	DevAccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// ManagedContainer is the Azurite container holding managed disks' data,
// one page blob "<resource group>-<disk>.vhd" each (data, then the fixed
// VHD footer, as a managed disk's blob is).
const ManagedContainer = "managed-disks"

// blobStore is the page data of the disk step in Azurite: the classic
// VHDs, copied there from DiskData.OpenVHD at the path of their URI (the
// driver maps a VHD's account host to the blob endpoint), and the managed
// disks' blobs behind grant-access.
type blobStore struct {
	endpoint string
	cred     *blob.SharedKeyCredential

	// mu serialises the copies into Azurite and guards the maps.
	mu         sync.Mutex
	containers map[string]bool
	seeded     map[string]bool // folded VHD URI -> copied
	current    map[string]bool // disk key -> its blob holds its data
	access     map[string]*access
}

// access is a grant on a managed disk. A write grant holds the
// DiskData upload sink the data goes to when access ends.
type access struct {
	write  bool
	sink   disks.Sink
	copied bool
}

func newBlobStore(o Options) (*blobStore, error) {
	if o.BlobEndpoint == "" {
		return nil, nil
	}
	name, key := o.BlobAccountName, o.BlobAccountKey
	if name == "" {
		name = DevAccountName
	}
	if key == "" {
		key = DevAccountKey
	}
	cred, err := blob.NewSharedKeyCredential(name, key)
	if err != nil {
		return nil, fmt.Errorf("blob account key: %w", err)
	}
	return &blobStore{endpoint: strings.TrimSuffix(o.BlobEndpoint, "/"), cred: cred,
		containers: map[string]bool{}, seeded: map[string]bool{}, current: map[string]bool{}, access: map[string]*access{}}, nil
}

func diskKey(rg, name string) string { return strings.ToLower(rg + "/" + name) }

// sas is a SAS URL for one blob.
func (b *blobStore) sas(cont, name string, perm sas.BlobPermissions, dur time.Duration) (string, error) {
	now := time.Now().UTC()
	q, err := sas.BlobSignatureValues{
		Protocol: sas.ProtocolHTTPSandHTTP, StartTime: now.Add(-5 * time.Minute), ExpiryTime: now.Add(dur),
		Permissions: perm.String(), ContainerName: cont, BlobName: name,
	}.SignWithSharedKey(b.cred)
	if err != nil {
		return "", fmt.Errorf("sign SAS: %w", err)
	}
	return b.endpoint + "/" + cont + "/" + name + "?" + q.Encode(), nil
}

var rwc = sas.BlobPermissions{Read: true, Write: true, Create: true, Delete: true}

// container creates a container once. Called with mu held.
func (b *blobStore) container(ctx context.Context, name string) error {
	if b.containers[name] {
		return nil
	}
	c, err := container.NewClientWithSharedKeyCredential(b.endpoint+"/"+name, b.cred, nil)
	if err != nil {
		return fmt.Errorf("container %s: %w", name, err)
	}
	if _, err := c.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("create container %s: %w", name, err)
	}
	b.containers[name] = true
	return nil
}

// fill writes src as a page blob with the fixed VHD footer, only its
// allocated, non-zero sectors. Called with mu held.
func (b *blobStore) fill(ctx context.Context, cont, name string, src disks.Source) (err error) {
	if err := b.container(ctx, cont); err != nil {
		return err
	}
	u, err := b.sas(cont, name, rwc, time.Hour)
	if err != nil {
		return err
	}
	sink, err := pageblob.Create(ctx, u, src.Size(), pageblob.Options{VHDFooter: true})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sink.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s/%s: %w", cont, name, cerr)
		}
	}()
	if _, err := disks.Copy(ctx, src, sink, disks.CopyOptions{}); err != nil {
		return fmt.Errorf("copy into %s/%s: %w", cont, name, err)
	}
	return nil
}

// vhdURIs lists the VHDs the cloud knows: the disks of its Resource
// Manager VMs and the classic estate's disks and images.
func (s *Server) vhdURIs(ctx context.Context) ([]string, error) {
	var out []string
	vms, err := s.o.Compute.ListVMs(ctx)
	if err != nil {
		return nil, err
	}
	for _, vm := range vms {
		for _, d := range append([]cloud.VMDisk{vm.OSDisk}, vm.DataDisks...) {
			if d.VHDURI != "" {
				out = append(out, d.VHDURI)
			}
		}
	}
	if s.d != nil && !s.o.StackHub {
		inv, err := s.d.Discover(ctx)
		if err != nil {
			return nil, err
		}
		for _, sa := range inv.StorageAccounts {
			for _, d := range sa.Disks {
				out = append(out, d.VHDURI)
			}
			for _, im := range sa.Images {
				out = append(out, im.VHDURI)
			}
		}
	}
	return out, nil
}

// seed copies every VHD of account into Azurite that is not there yet.
func (s *Server) seed(ctx context.Context, account string) error {
	uris, err := s.vhdURIs(ctx)
	if err != nil {
		return err
	}
	b := s.blobs
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range uris {
		ref, err := armapi.ParseBlobURL(u)
		if err != nil || !strings.EqualFold(ref.Account, account) || b.seeded[strings.ToLower(u)] {
			continue
		}
		src, err := s.o.DiskData.OpenVHD(ctx, u)
		if errors.Is(err, cloud.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", u, err)
		}
		err = b.fill(ctx, ref.Container, ref.Blob, src)
		_ = src.Close() // read only
		if err != nil {
			return err
		}
		b.seeded[strings.ToLower(u)] = true
	}
	return nil
}

// managedBlob names a managed disk's blob.
func managedBlob(rg, name string) string { return rg + "-" + name + ".vhd" }

// grant gives access to a managed disk's blob. Write: an Upload disk's
// blob is created empty at size+512 (if absent: a repeated grant keeps the
// data) and DiskData.OpenUpload's sink is held for EndGetAccess. Read: the
// blob is filled from DiskData.OpenManaged unless it already holds the
// disk's data.
func (s *Server) grant(ctx context.Context, d cloud.ManagedDisk, write bool, dur time.Duration) (string, error) {
	b := s.blobs
	key, name := diskKey(d.ResourceGroup, d.Name), managedBlob(d.ResourceGroup, d.Name)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.container(ctx, ManagedContainer); err != nil {
		return "", err
	}
	if !write {
		if a := b.access[key]; a != nil && a.write {
			return "", &cloud.OperationError{Op: "GrantAccess", Unit: key, Code: "OperationNotAllowed", Message: "The disk is being uploaded."}
		}
		if !b.current[key] {
			src, err := s.o.DiskData.OpenManaged(ctx, d.ResourceGroup, d.Name)
			if err != nil {
				return "", err
			}
			err = b.fill(ctx, ManagedContainer, name, src)
			_ = src.Close() // read only
			if err != nil {
				return "", err
			}
			b.current[key] = true
		}
		b.access[key] = &access{}
		return b.sas(ManagedContainer, name, sas.BlobPermissions{Read: true}, dur)
	}
	a := b.access[key]
	if a == nil || !a.write || a.sink == nil {
		sink, err := s.o.DiskData.OpenUpload(ctx, d.ResourceGroup, d.Name, d.SizeBytes, false)
		if err != nil {
			return "", err
		}
		a = &access{write: true, sink: sink}
		b.access[key] = a
	}
	u, err := b.sas(ManagedContainer, name, rwc, dur)
	if err != nil {
		return "", err
	}
	if _, err := pageblob.Reopen(ctx, u, d.SizeBytes, pageblob.Options{VHDFooter: true}); err != nil {
		// Absent (or of another size): make it, empty, as the platform
		// does when the disk is created for upload.
		if _, err := pageblob.Create(ctx, u, d.SizeBytes, pageblob.Options{VHDFooter: true}); err != nil {
			return "", err
		}
	}
	b.current[key] = false
	u, err = b.sas(ManagedContainer, name, sas.BlobPermissions{Read: true, Write: true}, dur)
	if err != nil {
		return "", err
	}
	// At the emulator's front, which serves Put Page From URL into the
	// upload (Azurite does not: pagecopy.go).
	return s.atFront(u), nil
}

// atFront is Azurite's SAS URL u as the same blob at the emulator's Blob
// front: the path after the account is Azurite's, the SAS unchanged.
func (s *Server) atFront(u string) string {
	name := s.o.BlobAccountName
	if name == "" {
		name = DevAccountName
	}
	return s.blobFront(name) + strings.TrimPrefix(u, s.blobs.endpoint)
}

// revoke ends a disk's access. Ending a write grant copies what was
// uploaded into the held DiskData sink and ends the upload there, so the
// Compute knows the disk holds its data. Revoking without a grant
// succeeds.
func (s *Server) revoke(ctx context.Context, d cloud.ManagedDisk) error {
	if s.blobs == nil {
		return nil
	}
	b := s.blobs
	key, name := diskKey(d.ResourceGroup, d.Name), managedBlob(d.ResourceGroup, d.Name)
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.access[key]
	if a == nil {
		return nil
	}
	if a.write {
		if !a.copied {
			u, err := b.sas(ManagedContainer, name, sas.BlobPermissions{Read: true}, time.Hour)
			if err != nil {
				return err
			}
			src, err := pageblob.Open(ctx, u, pageblob.Options{})
			if err != nil {
				return err
			}
			_, err = disks.Copy(ctx, src, a.sink, disks.CopyOptions{})
			_ = src.Close() // read only
			if err != nil {
				return fmt.Errorf("copy upload of %s into the cloud: %w", key, err)
			}
			if err := a.sink.Close(); err != nil {
				return err
			}
			a.copied, a.sink = true, nil
			b.current[key] = true
		}
		if err := s.o.DiskData.EndUpload(ctx, d.ResourceGroup, d.Name); err != nil {
			return err
		}
	}
	delete(b.access, key)
	return nil
}

// accessState is a disk's state with the emulator's grants applied.
func (s *Server) accessState(d cloud.ManagedDisk) string {
	if s.blobs == nil {
		return d.State
	}
	s.blobs.mu.Lock()
	a := s.blobs.access[diskKey(d.ResourceGroup, d.Name)]
	s.blobs.mu.Unlock()
	switch {
	case a == nil:
		return d.State
	case a.write:
		return cloud.DiskActiveUpload
	}
	return "ActiveSAS"
}

// forgetManaged drops a deleted disk's blob and grants.
func (s *Server) forgetManaged(ctx context.Context, rg, name string) error {
	if s.blobs == nil {
		return nil
	}
	b := s.blobs
	key := diskKey(rg, name)
	b.mu.Lock()
	defer b.mu.Unlock()
	if a := b.access[key]; a != nil && a.sink != nil {
		// The blob is deleted below: what the sink failed to flush into
		// it no longer matters.
		_ = a.sink.Close()
	}
	delete(b.access, key)
	delete(b.current, key)
	c, err := blob.NewClientWithSharedKeyCredential(b.endpoint+"/"+ManagedContainer+"/"+managedBlob(rg, name), b.cred, nil)
	if err != nil {
		return err
	}
	if _, err := c.Delete(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return fmt.Errorf("delete blob of %s: %w", key, err)
	}
	return nil
}

// storageAccountsOf lists the accounts holding the cloud's VHDs, by name.
func (s *Server) storageAccountsOf(ctx context.Context) ([]string, error) {
	uris, err := s.vhdURIs(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, u := range uris {
		if ref, err := armapi.ParseBlobURL(u); err == nil && !seen[ref.Account] {
			seen[ref.Account] = true
			out = append(out, ref.Account)
		}
	}
	return out, nil
}

// StorageResourceGroup is the resource group the emulator places a storage
// account in: the migration's "<account>-Migrated".
func StorageResourceGroup(account string) string { return account + "-Migrated" }

// armAccount is a storage account as Resource Manager lists it.
type armAccount struct {
	name, location, sku string
}

// armAccounts lists the storage accounts Resource Manager knows: those
// holding the cloud's VHDs, less the classic accounts that have not
// migrated. A classic account gets its Resource Manager counterpart from
// Prepare (learn.microsoft.com virtual-machines/
// migration-classic-resource-manager-overview: "the prepare operation ...
// creates the resources in Resource Manager"), so one in None (or failed
// or aborting back to it) is not listed, as on Azure. An account the
// migrator does not know is a Resource Manager one and is listed. Location
// and SKU come from the classic account (kept when it was last seen, since
// Commit removes it), else from a VM whose disks it holds.
func (s *Server) armAccounts(ctx context.Context) ([]armAccount, error) {
	names, err := s.storageAccountsOf(ctx)
	if err != nil {
		return nil, err
	}
	vmLoc := map[string]string{}
	if vms, err := s.o.Compute.ListVMs(ctx); err == nil {
		for _, vm := range vms {
			for _, d := range append([]cloud.VMDisk{vm.OSDisk}, vm.DataDisks...) {
				if ref, err := armapi.ParseBlobURL(d.VHDURI); err == nil && vm.Location != "" {
					vmLoc[ref.Account] = vm.Location
				}
			}
		}
	}
	var out []armAccount
	for _, n := range names {
		var st cloud.State
		var err error
		if !s.o.StackHub {
			// Azure Stack Hub has no classic accounts: all are listed.
			st, err = s.m.State(ctx, cloud.Target{Unit: smapi.KindStorage + "/" + n, Kind: smapi.KindStorage, Name: n})
		}
		switch {
		case s.o.StackHub:
		case errors.Is(err, cloud.ErrNotFound):
		case err != nil:
			return nil, err
		case st != cloud.StatePrepared && st != cloud.StateCommitting && st != cloud.StateCommitted && st != cloud.StateCommitFailed:
			continue
		}
		a := armAccount{name: n, location: vmLoc[n], sku: "Standard_LRS"}
		s.mu.Lock()
		if c, ok := s.classic[n]; ok {
			a.location = c.Properties.Location
			if c.Properties.AccountType != "" {
				a.sku = c.Properties.AccountType
			}
		}
		s.mu.Unlock()
		out = append(out, a)
	}
	return out, nil
}

// listStorageAccounts answers Resource Manager's storage account list
// (StorageAccounts_List): id, name, type, kind, location and sku.
func (s *Server) listStorageAccounts(w http.ResponseWriter, r *http.Request) {
	accts, err := s.armAccounts(r.Context())
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	out := make([]map[string]any, 0, len(accts))
	for _, a := range accts {
		out = append(out, map[string]any{
			"id":   armapi.ResourceID(r.PathValue("sub"), StorageResourceGroup(a.name), armapi.TypeStorageAccounts, a.name),
			"name": a.name, "type": armapi.TypeStorageAccounts, "kind": "Storage",
			"location": armapi.Location(a.location),
			"sku":      map[string]string{"name": a.sku},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

// listKeys answers Azurite's key for any account the cloud knows, after
// copying the account's VHDs into Azurite so a SAS signed with it reads
// them.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	acct := strings.ToLower(r.PathValue("name"))
	accts, err := s.armAccounts(r.Context())
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	known := false
	for _, a := range accts {
		known = known || a.name == acct
	}
	if !known {
		armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The storage account '%s' was not found.", acct))
		return
	}
	if s.blobs == nil || s.o.DiskData == nil {
		armError(w, http.StatusNotImplemented, "NotImplemented", "This emulator has no blob endpoint or disk data.")
		return
	}
	if err := s.seed(r.Context(), acct); err != nil {
		writeARMCloudError(w, err)
		return
	}
	key := s.o.BlobAccountKey
	if key == "" {
		key = DevAccountKey
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{
		{"keyName": "key1", "value": key, "permissions": "FULL"},
	}})
}

// armStorage reports whether the storage account holding vhdURI is a
// Resource Manager one (armAccounts lists it).
func (s *Server) armStorage(ctx context.Context, vhdURI string) (bool, error) {
	ref, err := armapi.ParseBlobURL(vhdURI)
	if err != nil {
		return false, nil
	}
	accts, err := s.armAccounts(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range accts {
		if a.name == ref.Account {
			return true, nil
		}
	}
	return false, nil
}

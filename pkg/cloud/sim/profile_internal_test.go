package sim

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// A cloud built before profiles (no profile in its estate, no bucket for
// availability sets or VHDs) opens as AzurePublic and works on: the
// buckets are made by the first write that needs them.
func TestCloudBuiltBeforeProfiles(t *testing.T) {
	dir := t.TempDir()
	inv := cloudtest.Inventory()
	inv.Target.Cloud = inventory.CloudAzureStackHub // ignored: the file says nothing
	s := mustOpen(t, dir, Options{})
	mustDo(t, s.Close())

	db, err := bolt.Open(filepath.Join(dir, "sim", dbFile), 0o600, nil)
	mustDo(t, err)
	mustDo(t, db.Update(func(tx *bolt.Tx) error {
		var doc map[string]json.RawMessage
		b := tx.Bucket(bucketEstate)
		if err := json.Unmarshal(b.Get(keyEstate), &doc); err != nil {
			return err
		}
		delete(doc, "profile")
		data, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if err := b.Put(keyEstate, data); err != nil {
			return err
		}
		for _, name := range laterBuckets {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return nil
	}))
	mustDo(t, db.Close())

	old, err := Open(dir, inv, Options{})
	mustDo(t, err)
	t.Cleanup(func() { _ = old.Close() })
	if old.Profile() != inventory.CloudAzurePublic || old.Platform() == nil {
		t.Errorf("a cloud built before profiles: profile %q", old.Profile())
	}
	ctx := t.Context()
	if _, err := old.GetAvailabilitySet(ctx, "cs-Migrated", "as"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("availability set of an old cloud: %v", err)
	}
	if len(old.vhds) == 0 {
		t.Fatal("the conformance estate has no VHD")
	}
	for uri := range old.vhds {
		id, err := old.SnapshotVHD(ctx, uri)
		mustDo(t, err)
		src, err := old.OpenVHDSnapshot(ctx, uri, id)
		mustDo(t, err)
		mustDo(t, src.Close())
		break
	}
}

// VMs committed before availability sets were kept still name theirs: it
// reads as the Classic set the migration made, and aligning it saves it.
func TestAvailabilitySetOfAnOlderCommit(t *testing.T) {
	dir := t.TempDir()
	inv := &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion, SubscriptionID: "00000000-0000-4000-8000-000000000003", DefaultLocation: "East US",
		Target: inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: "-Migrated"},
		StorageAccounts: []inventory.StorageAccount{{Name: "sa", AccountType: "Standard_LRS", Disks: []inventory.Disk{
			{Name: "os", VHDURI: "https://sa.blob.core.windows.net/vhds/os.vhd", SizeGiB: 1, OS: "Linux"}}}},
		CloudServices: []inventory.CloudService{{Name: "cs", Deployment: inventory.Deployment{Name: "d", Roles: []inventory.Role{
			{Name: "vm", Kind: inventory.RoleVirtualMachine, State: "Running", AvailabilitySet: "as", OSDisk: "os"}}}}},
	}
	s, err := Open(dir, inv, Options{})
	mustDo(t, err)
	ctx := t.Context()
	tg := cloud.Target{Unit: "cloudservice/cs", Kind: "cloudservice", Name: "cs"}
	mustDo(t, s.Prepare(ctx, tg))
	mustDo(t, s.Commit(ctx, tg))
	mustDo(t, s.Close())
	db, err := bolt.Open(filepath.Join(dir, "sim", dbFile), 0o600, nil)
	mustDo(t, err)
	mustDo(t, db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketAvSets) }))
	mustDo(t, db.Close())

	old, err := Open(dir, nil, Options{})
	mustDo(t, err)
	t.Cleanup(func() { _ = old.Close() })
	as, err := old.GetAvailabilitySet(ctx, "cs-Migrated", "as")
	mustDo(t, err)
	if as.SKU != cloud.AvailabilitySetClassic || as.MaxAlignedFaultDomains != 3 || len(as.VMs) != 1 {
		t.Errorf("set of an older commit: %+v", as)
	}
	mustDo(t, old.AlignAvailabilitySet(ctx, "cs-Migrated", "as", 3))
	if as, err = old.GetAvailabilitySet(ctx, "cs-Migrated", "as"); err != nil || as.SKU != cloud.AvailabilitySetAligned || as.FaultDomains != 3 {
		t.Errorf("aligned: %+v, %v", as, err)
	}
}

package realclient_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// TestClassicBlobSizes makes the reads behind each disk's blobSizeBytes
// with Microsoft's clients, on a classic estate served with its VHDs in
// Azurite: the accounts' keys with azure-asm-storage's getKeys (and 404 for
// an account that does not exist), the disks' MediaLinks with
// azure-asm-compute's listDisks, then Get Blob Properties of each VHD with
// azure.storage.blob, signed with the key getKeys returned. Every size is
// the estate's blob: the disk-size-mismatch disk included, whose blob is
// larger than its registration.
func TestClassicBlobSizes(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.storage.blob")
	inv := everyRuleEstate(t)
	e, sv := newASMEnvServed(t, inv, serveOptions{blobEndpoint: azuritetest.Start(t).Endpoint})
	var keys struct {
		Accounts []struct {
			Name, URI, PrimaryKey, SecondaryKey string
		}
		MissingAccount struct {
			Status int
			Code   string
		}
		Disks []struct {
			Name, MediaLink string
			LogicalSizeInGB int64
		}
	}
	e.run("storage_keys", &keys)
	if len(keys.Accounts) == 0 {
		t.Fatal("no storage account listed")
	}
	for _, a := range keys.Accounts {
		if a.PrimaryKey == "" || a.SecondaryKey == "" || !strings.Contains(a.URI, "/services/storageservices/"+a.Name) {
			t.Errorf("getKeys %s: uri %q, primary set %v, secondary set %v", a.Name, a.URI, a.PrimaryKey != "", a.SecondaryKey != "")
		}
	}
	if keys.MissingAccount.Status != 404 {
		t.Errorf("getKeys of an unknown account: %+v, want 404", keys.MissingAccount)
	}
	want, registered := map[string]int64{}, map[string]int64{}
	args := []string{filepath.Join("testdata", "blob_sizes.py"), sv.front, emulator.DevAccountName}
	for _, d := range keys.Disks {
		u, err := url.Parse(d.MediaLink)
		if err != nil {
			t.Fatalf("disk %s: MediaLink %q: %v", d.Name, d.MediaLink, err)
		}
		p := strings.TrimPrefix(u.Path, "/")
		args = append(args, p)
		registered[p] = d.LogicalSizeInGB<<30 + 512
		want[p] = registered[p]
		for _, sa := range inv.StorageAccounts {
			for _, x := range sa.Disks {
				if x.Name == d.Name && x.BlobSizeBytes != 0 {
					want[p] = x.BlobSizeBytes
				}
			}
		}
	}
	cmd := exec.CommandContext(t.Context(), py, args...)
	cmd.Env = append(os.Environ(), "REQUESTS_CA_BUNDLE="+sv.caFile, "ACCOUNT_KEY="+keys.Accounts[0].PrimaryKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("blob_sizes.py: %v\n%s", err, stderr.String())
	}
	var got map[string]struct {
		Size int64
		Type string
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("blob_sizes.py: %v\n%s", err, stdout.String())
	}
	mismatch := false
	for p, w := range want {
		g := got[p]
		if g.Size != w || !strings.Contains(strings.ToLower(g.Type), "pageblob") {
			t.Errorf("%s: %+v, want a page blob of %d bytes", p, g, w)
		}
		mismatch = mismatch || w != registered[p]
	}
	if !mismatch {
		t.Error("no disk whose blob differs from its registration: the estate no longer covers disk-size-mismatch")
	}
}

package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// cmdContainer is the scenarios' `container NAME VAR [BLOB]`: it creates a
// blob container in the test Azurite and sets VAR to its URL (or to BLOB's
// in it) with a read, write, create, delete and list SAS on the container
// (test-only, Azurite's well-known key).
func cmdContainer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: container NAME VAR [BLOB]")
	}
	endpoint := ts.Getenv("AZURITE_BLOB")
	if endpoint == "" {
		ts.Fatalf("container: no Azurite (AZURITE_BLOB unset)")
	}
	cred, err := container.NewSharedKeyCredential(azuritetest.Account, azuritetest.Key)
	if err != nil {
		ts.Fatalf("container: %v", err)
	}
	u := endpoint + "/" + args[0]
	c, err := container.NewClientWithSharedKeyCredential(u, cred, nil)
	if err != nil {
		ts.Fatalf("container: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Create(ctx, nil); err != nil {
		ts.Fatalf("container: create %s: %v", args[0], err)
	}
	perm := sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, Delete: true, List: true}
	q, err := sas.BlobSignatureValues{
		Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: time.Now().Add(time.Hour).UTC(),
		Permissions: perm.String(), ContainerName: args[0],
	}.SignWithSharedKey(cred)
	if err != nil {
		ts.Fatalf("container: sign: %v", err)
	}
	if len(args) == 3 {
		u += "/" + args[2]
	}
	ts.Setenv(args[1], fmt.Sprintf("%s?%s", u, q.Encode()))
}

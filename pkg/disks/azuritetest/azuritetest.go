// Package azuritetest starts Azurite's Blob service for tests, from the
// node_modules of the repository root (npm install, package.json pins it),
// and makes SAS URLs with the well-known development account key. It is for
// tests only.
package azuritetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
)

// Account and Key are Azurite's documented development account and key.
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Server is a running Azurite Blob service.
type Server struct {
	// Endpoint is the account's blob endpoint, e.g.
	// http://127.0.0.1:41234/devstoreaccount1.
	Endpoint string
	cred     *blob.SharedKeyCredential
}

// Start runs azurite-blob on a loopback port the kernel picks (port 0; the
// port is read from Azurite's "listens on" line) with in-memory storage
// until the test ends. Azurite missing fails the test when CI=true and
// skips it otherwise.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findAzurite()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("azurite is required in CI (npm install at the repository root): %v", err)
		}
		t.Skipf("azurite not installed (npm install at the repository root): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, //nolint:gosec // G204: bin is azurite found in node_modules or PATH, the arguments are constants
		"--blobHost", "127.0.0.1", "--blobPort", "0",
		"--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl", "--disableTelemetry", "--silent")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start azurite: %v", err)
	}
	// Killed by cancel: Wait reports the signal, which is expected.
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`(?:listening at|listens on) (http://\S+)`)
		sc := bufio.NewScanner(out)
		var log []byte
		for sc.Scan() {
			log = append(log, sc.Text()+"\n"...)
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		ready <- "exited: " + string(log)
	}()
	var base string
	select {
	case msg := <-ready:
		if !regexp.MustCompile(`^http://`).MatchString(msg) {
			t.Fatalf("azurite did not start: %s", msg)
		}
		base = msg
	case <-time.After(60 * time.Second):
		t.Fatal("azurite did not report listening within 60s")
	}
	cred, err := blob.NewSharedKeyCredential(Account, Key)
	if err != nil {
		t.Fatal(err)
	}
	return &Server{Endpoint: base + "/" + Account, cred: cred}
}

// findAzurite looks for node_modules/.bin/azurite-blob in the working
// directory and its parents (tests run in their package's directory).
func findAzurite() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "node_modules", ".bin", "azurite-blob")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("node_modules/.bin/azurite-blob not found above the working directory")
		}
		dir = up
	}
}

// Container creates a container and returns its URL (no SAS).
func (s *Server) Container(t testing.TB, name string) string {
	t.Helper()
	u := s.Endpoint + "/" + name
	c, err := container.NewClientWithSharedKeyCredential(u, s.cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(t.Context(), nil); err != nil {
		t.Fatalf("create container %s: %v", name, err)
	}
	return u
}

// BlobSAS returns the URL of a blob in container with a SAS granting read,
// write, create and delete for an hour.
func (s *Server) BlobSAS(t testing.TB, containerName, blobName string) string {
	t.Helper()
	v := sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		StartTime:     time.Now().Add(-time.Minute).UTC(),
		ExpiryTime:    time.Now().Add(time.Hour).UTC(),
		Permissions:   (&sas.BlobPermissions{Read: true, Write: true, Create: true, Delete: true}).String(),
		ContainerName: containerName,
		BlobName:      blobName,
	}
	q, err := v.SignWithSharedKey(s.cred)
	if err != nil {
		t.Fatal(err)
	}
	return s.Endpoint + "/" + containerName + "/" + blobName + "?" + q.Encode()
}

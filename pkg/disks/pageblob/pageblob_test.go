package pageblob

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

const mib = 1 << 20

// sparseImage writes a raw image of size bytes with data at the given
// ranges and returns its path and bytes.
func sparseImage(t *testing.T, size int64, ranges ...disks.Extent) (string, []byte) {
	t.Helper()
	want := make([]byte, size)
	for k, e := range ranges {
		for i := e.Off; i < e.Off+e.Len; i++ {
			want[i] = byte(k*37 + int(i%251) + 1)
		}
	}
	p := filepath.Join(t.TempDir(), "src.raw")
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, want
}

func TestRoundTripThroughAzurite(t *testing.T) {
	az := azuritetest.Start(t)
	az.Container(t, "vhds")
	data := []disks.Extent{{Off: mib, Len: 5 * mib}, {Off: 9*mib + 512, Len: 1024}, {Off: 19 * mib, Len: mib}}
	path, want := sparseImage(t, 20*mib, data...)
	for _, footer := range []bool{true, false} {
		name := "disk.raw"
		if footer {
			name = "disk.vhd"
		}
		t.Run(name, func(t *testing.T) {
			src, err := disks.OpenRaw(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			u := az.BlobSAS(t, "vhds", name)
			sink, err := Create(t.Context(), u, src.Size(), Options{VHDFooter: footer})
			if err != nil {
				t.Fatal(err)
			}
			up, err := disks.Copy(t.Context(), src, sink, disks.CopyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			served := &countingTransport{}
			ps, err := Open(t.Context(), u, Options{Client: &pageblob.ClientOptions{ClientOptions: policy.ClientOptions{Transport: served}}})
			if err != nil {
				t.Fatal(err)
			}
			served.bytes.Store(0) // the footer probe of Open is not the copy's
			if ps.Size() != 20*mib {
				t.Fatalf("source size %d, want %d (footer %v)", ps.Size(), 20*mib, footer)
			}
			// Only the non-zero sectors were put, so only they are pages.
			alloc, err := ps.Allocated(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(alloc, data) {
				t.Errorf("page ranges %v, want %v", alloc, data)
			}
			out := filepath.Join(t.TempDir(), "back.raw")
			rs, err := disks.CreateRaw(out, ps.Size())
			if err != nil {
				t.Fatal(err)
			}
			down, err := disks.Copy(t.Context(), ps, rs, disks.CopyOptions{Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			rs.Close()
			// Every allocated byte fetched once, nothing else (issue 12).
			var allocated int64
			for _, e := range data {
				allocated += e.Len
			}
			if got := served.bytes.Load(); got != allocated {
				t.Errorf("the copy fetched %d bytes from the blob, %d are allocated", got, allocated)
			}
			got, _ := os.ReadFile(out)
			if !bytes.Equal(got, want) {
				t.Error("downloaded disk differs")
			}
			if up.ContentSHA256 != down.ContentSHA256 {
				t.Error("content hash differs between upload and download")
			}
			// Reopen for a resumed copy keeps the blob.
			if _, err := Reopen(t.Context(), u, src.Size(), Options{VHDFooter: footer}); err != nil {
				t.Errorf("reopen: %v", err)
			}
			if _, err := Reopen(t.Context(), u, src.Size()+mib, Options{VHDFooter: footer}); err == nil {
				t.Error("reopen with another size accepted")
			}
		})
	}
}

func TestErrorsNeverShowTheSAS(t *testing.T) {
	const secret = "c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"
	// Nothing listens on port 1: the transport error carries the URL.
	u := "http://127.0.0.1:1/devstoreaccount1/c/b.vhd?sv=2021-08-06&sp=rw&sig=" + secret
	// No retries: the transport error is the same each time.
	noRetry := Options{Client: &pageblob.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}}
	_, err := Open(t.Context(), u, noRetry)
	if err == nil {
		t.Fatal("opened a blob on a closed port")
	}
	for _, s := range []string{secret, "c2VjcmV0LXNpZ25hdHVyZQ=="} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error shows the SAS: %v", err)
		}
	}
	if _, err := Create(t.Context(), u, 3*mib, Options{VHDFooter: true, Client: noRetry.Client}); err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("create: %v", err)
	}
}

// countingTransport counts the body bytes of Get Blob answers; for tests.
type countingTransport struct{ bytes atomic.Int64 }

func (c *countingTransport) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil || r.Method != http.MethodGet || r.URL.Query().Get("comp") != "" {
		return resp, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.bytes}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

package staging

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// blobEnv is one Azurite shared by the subtests of TestBlobStore, each in
// its own container.
type blobEnv struct{ az *azuritetest.Server }

// containerSAS creates a container and returns its URL with a container
// SAS (sr=c) of the given permissions. Each call signs with another start
// time, so two SAS for one container differ in their signature.
func (e blobEnv) containerSAS(t *testing.T, name string, perms sas.ContainerPermissions) string {
	t.Helper()
	u := e.az.Container(t, name)
	return u + "?" + e.sign(t, name, perms)
}

var sasSkew struct {
	sync.Mutex
	n int
}

func (e blobEnv) sign(t *testing.T, containerName string, perms sas.ContainerPermissions) string {
	t.Helper()
	sasSkew.Lock()
	sasSkew.n++
	skew := time.Duration(sasSkew.n) * time.Second
	sasSkew.Unlock()
	cred, err := blob.NewSharedKeyCredential(azuritetest.Account, azuritetest.Key)
	if err != nil {
		t.Fatal(err)
	}
	v := sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		StartTime:     time.Now().Add(-time.Hour - skew).UTC(),
		ExpiryTime:    time.Now().Add(time.Hour).UTC(),
		Permissions:   perms.String(),
		ContainerName: containerName,
	}
	q, err := v.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

var rcwd = sas.ContainerPermissions{Read: true, Create: true, Write: true, Delete: true}

// location is the staging: argument for NAME in the container at
// containerURL (which carries the SAS).
func location(containerURL, name string) string {
	base, q, _ := strings.Cut(containerURL, "?")
	return base + "/" + name + "?" + q
}

func parseBlob(t *testing.T, arg string) *BlobStore {
	t.Helper()
	st, err := ParseLocation(arg)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := st.(*BlobStore)
	if !ok {
		t.Fatalf("ParseLocation gave a %T for a URL", st)
	}
	return b
}

// sasSecrets are the spellings of a SAS that must never show: the whole
// query and the signature, raw and decoded.
func sasSecrets(t *testing.T, rawURL string) []string {
	t.Helper()
	_, q, _ := strings.Cut(rawURL, "?")
	v, err := url.ParseQuery(q)
	if err != nil || v.Get("sig") == "" {
		t.Fatalf("no sig in %s", disks.RedactURL(rawURL))
	}
	sig := v.Get("sig")
	return []string{q, sig, url.QueryEscape(sig), "sig="}
}

func checkNoSAS(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("%s shows the SAS (%q): %s", what, s, text)
		}
	}
}

// pageRanges lists the image blob's written pages, adjacent ranges merged
// (the service may report them split at any page).
func pageRanges(t *testing.T, st *BlobStore) []disks.Extent {
	t.Helper()
	c, err := pageblob.NewClientWithNoCredential(st.ImageURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []disks.Extent
	pager := c.NewGetPageRangesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.PageRange {
			out = append(out, disks.Extent{Off: *r.Start, Len: *r.End + 1 - *r.Start})
		}
	}
	return mergeExtents(out)
}

func mergeExtents(in []disks.Extent) []disks.Extent {
	in = slices.Clone(in)
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

// download copies the blob store's two objects into a local folder as
// NAME.img and NAME.manifest.json, so the independent decryptor
// (thirdParty) can check them.
func download(t *testing.T, st *BlobStore, name string) string {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	m, err := st.ReadManifest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := st.OpenImage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	w, err := st.CreateImage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size, err := w.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, size)
	if err := img.ReadAt(ctx, b, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(imgPath(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifestPath(dir, name), m, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// countingStore is a test double around a Store that records which of its
// methods were called.
type countingStore struct {
	Store
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) note(m string) {
	c.mu.Lock()
	c.calls = append(c.calls, m)
	c.mu.Unlock()
}

func (c *countingStore) OpenImage(ctx context.Context) (Image, error) {
	c.note("OpenImage")
	return c.Store.OpenImage(ctx)
}

func (c *countingStore) CreateImage(ctx context.Context) (WritableImage, error) {
	c.note("CreateImage")
	return c.Store.CreateImage(ctx)
}

func (c *countingStore) WriteManifest(ctx context.Context, data []byte) error {
	c.note("WriteManifest")
	return c.Store.WriteManifest(ctx, data)
}

func (c *countingStore) RemoveManifest(ctx context.Context) error {
	c.note("RemoveManifest")
	return c.Store.RemoveManifest(ctx)
}

// TestBlobStore runs the staging image through a blob container in a real
// Azurite: one server, a container per subtest.
func TestBlobStore(t *testing.T) {
	env := blobEnv{azuritetest.Start(t)}
	ctx := t.Context()

	t.Run("round trip", func(t *testing.T) {
		for i, cipherName := range []string{CipherXTS128, CipherXTS256} {
			t.Run(cipherName, func(t *testing.T) {
				cu := env.containerSAS(t, fmt.Sprintf("roundtrip%d", i), rcwd)
				kek, plain := newKEK(t), testDisk(t)
				st := parseBlob(t, location(cu, "web1-os"))
				sum := writeStore(t, st, kek, cipherName, plain)

				// A fresh parse, as the decrypting leg would do.
				src, err := OpenStore(ctx, parseBlob(t, location(cu, "web1-os")), kek)
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				if err := src.Verify(ctx); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, testSize)
				if err := src.ReadAt(ctx, got, 0); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatal("decrypted image differs from the plain disk")
				}
				if err := VerifyContent(src.Manifest(), summaryOf(got)); err != nil {
					t.Fatal(err)
				}
				if ext, _ := src.Allocated(ctx); !slices.Equal(ext, sum.Extents) {
					t.Fatalf("Allocated %v, want %v", ext, sum.Extents)
				}
				// The blobs are the format, readable with standard
				// primitives once copied anywhere.
				dir := download(t, st, "web1-os")
				if third, _ := thirdParty(t, dir, "web1-os", kek); !bytes.Equal(third, plain) {
					t.Fatal("independent decryption of the blobs differs from the plain disk")
				}
			})
		}
	})

	t.Run("through the copier", func(t *testing.T) {
		cu := env.containerSAS(t, "copier", rcwd)
		kek, plain := newKEK(t), testDisk(t)
		in := filepath.Join(t.TempDir(), "in.raw")
		if err := os.WriteFile(in, plain, 0o600); err != nil {
			t.Fatal(err)
		}
		raw, err := disks.OpenRaw(in)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		sink, err := NewSink(ctx, parseBlob(t, location(cu, "d")), kek, "", testSize)
		if err != nil {
			t.Fatal(err)
		}
		up, err := disks.Copy(ctx, raw, sink, disks.CopyOptions{Workers: 3, Checkpoint: filepath.Join(t.TempDir(), "ckpt")})
		if err != nil {
			t.Fatal(err)
		}
		sink.Close()
		src, err := OpenStore(ctx, parseBlob(t, location(cu, "d")), kek)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if err := src.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.raw")
		dst, err := disks.CreateRaw(out, src.Size())
		if err != nil {
			t.Fatal(err)
		}
		down, err := disks.Copy(ctx, src, dst, disks.CopyOptions{Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		dst.Close()
		if err := VerifyContent(src.Manifest(), down); err != nil {
			t.Fatal(err)
		}
		if up.ContentSHA256 != down.ContentSHA256 || !bytes.Equal(readFile(t, out), plain) {
			t.Fatal("the disk decrypted from the blob container differs")
		}
	})

	t.Run("holes stay holes", func(t *testing.T) {
		cu := env.containerSAS(t, "holes", rcwd)
		kek := newKEK(t)
		st := parseBlob(t, location(cu, "disk"))
		first := testDisk(t)
		sum := writeStore(t, st, kek, "", first)
		if got := pageRanges(t, st); !slices.Equal(got, sum.Extents) {
			t.Fatalf("page ranges %v, want the extents %v", got, sum.Extents)
		}
		// A fresh copy over it, with data elsewhere: none of the old pages
		// survive, so a hole of the new disk is a hole of the blob.
		second := make([]byte, testSize)
		rand.Read(second[2*disks.ChunkSize+4096 : 2*disks.ChunkSize+8192])
		second[2*disks.ChunkSize+4096] |= 1
		second[2*disks.ChunkSize+7680] |= 1
		sum = writeStore(t, st, kek, "", second)
		if got := pageRanges(t, st); !slices.Equal(got, sum.Extents) {
			t.Fatalf("after a fresh copy, page ranges %v, want the extents %v", got, sum.Extents)
		}
		// An all-zero disk: an image of the right size and no page at all.
		sum = writeStore(t, st, kek, "", make([]byte, testSize))
		if got := pageRanges(t, st); len(got) != 0 || len(sum.Extents) != 0 {
			t.Fatalf("an all-zero disk left pages %v", got)
		}
		src, err := OpenStore(ctx, st, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if err := src.Verify(ctx); err != nil || src.Size() != testSize {
			t.Fatalf("empty image: Verify %v, size %d", err, src.Size())
		}
	})

	t.Run("what the blob holds in a hole never counts", func(t *testing.T) {
		// The Source reads across short holes in one Get Blob; pages put
		// there by someone else must read as zeros and leave the MACs
		// intact, as with a local file.
		cu := env.containerSAS(t, "holereads", rcwd)
		kek := newKEK(t)
		plain := make([]byte, 2*disks.ChunkSize)
		for _, e := range []disks.Extent{{Off: 0, Len: 4096}, {Off: 8192, Len: 4096}, {Off: 1 << 20, Len: 512}, {Off: disks.ChunkSize + 512, Len: 1024}} {
			rand.Read(plain[e.Off : e.Off+e.Len])
			for s := e.Off; s < e.Off+e.Len; s += disks.SectorSize {
				plain[s] |= 1
			}
		}
		st := parseBlob(t, location(cu, "disk"))
		writeStore(t, st, kek, "", plain)
		w, err := st.CreateImage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		junk := make([]byte, 4096)
		rand.Read(junk)
		for _, off := range []int64{4096, 512 << 10, disks.ChunkSize + 4096} {
			if err := w.WriteAt(ctx, junk, off); err != nil {
				t.Fatal(err)
			}
		}
		src, err := OpenStore(ctx, st, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if err := src.Verify(ctx); err != nil {
			t.Fatalf("Verify with pages in holes: %v", err)
		}
		got := make([]byte, len(plain))
		if err := src.ReadAt(ctx, got, 0); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("ReadAt: %v, or the holes are not zero", err)
		}
	})

	t.Run("tamper", func(t *testing.T) {
		cu := env.containerSAS(t, "tamper", rcwd)
		kek, plain := newKEK(t), testDisk(t)
		st := parseBlob(t, location(cu, "disk"))
		writeStore(t, st, kek, "", plain)
		// Another SAS holder rewrites one page of the image: the scattered
		// sector in chunk 1.
		w, err := st.CreateImage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		page := make([]byte, disks.SectorSize)
		rand.Read(page)
		if err := w.WriteAt(ctx, page, disks.ChunkSize+1<<20); err != nil {
			t.Fatal(err)
		}
		w.Close()
		src, err := OpenStore(ctx, st, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		err = src.Verify(ctx)
		var te *TamperError
		if !errors.As(err, &te) || !errors.Is(err, ErrTampered) {
			t.Fatalf("Verify = %v, want a TamperError", err)
		}
		if te.ChunkOffset != disks.ChunkSize {
			t.Fatalf("TamperError names chunk %d, want %d", te.ChunkOffset, disks.ChunkSize)
		}
		if !strings.Contains(err.Error(), st.String()) {
			t.Fatalf("error %q does not name the image %s", err, st)
		}
	})

	t.Run("manifest MAC", func(t *testing.T) {
		cu := env.containerSAS(t, "manifestmac", rcwd)
		kek, plain := newKEK(t), testDisk(t)
		st := parseBlob(t, location(cu, "disk"))
		writeStore(t, st, kek, "", plain)
		raw, err := st.ReadManifest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		edited := bytes.Replace(raw, []byte(m.ContentSHA256), []byte(strings.Repeat("ab", 32)), 1)
		if bytes.Equal(edited, raw) {
			t.Fatal("contentSha256 not found in the manifest")
		}
		if err := st.WriteManifest(ctx, edited); err != nil {
			t.Fatal(err)
		}
		cs := &countingStore{Store: st}
		if _, err := OpenStore(ctx, cs, kek); !errors.Is(err, ErrManifestMAC) {
			t.Fatalf("OpenStore = %v, want ErrManifestMAC", err)
		}
		if slices.Contains(cs.calls, "OpenImage") {
			t.Fatal("the image was opened before the manifest MAC was checked")
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		cu := env.containerSAS(t, "wrongkey", rcwd)
		kek, plain := newKEK(t), testDisk(t)
		st := parseBlob(t, location(cu, "disk"))
		writeStore(t, st, kek, "", plain)

		// Decrypting: refused on the manifest alone.
		cs := &countingStore{Store: st}
		if _, err := OpenStore(ctx, cs, newKEK(t)); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("OpenStore = %v, want ErrWrongKey", err)
		}
		if len(cs.calls) != 0 {
			t.Fatalf("OpenStore with the wrong key called %v", cs.calls)
		}

		// Resuming: refused before a page or the manifest is touched.
		cu2 := env.containerSAS(t, "wrongkeyresume", rcwd)
		st2 := parseBlob(t, location(cu2, "disk"))
		s1, err := NewSink(ctx, st2, kek, "", testSize)
		if err != nil {
			t.Fatal(err)
		}
		writeChunks(t, s1, chunksOfDisk(plain)[:2])
		if err := s1.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		state, _ := s1.State()
		s1.Close()
		before := pageRanges(t, st2)
		props := func() *string {
			c, err := pageblob.NewClientWithNoCredential(st2.ImageURL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.GetProperties(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			return (*string)(p.ETag)
		}
		etag := *props()
		cs2 := &countingStore{Store: st2}
		s2, err := NewSink(ctx, cs2, newKEK(t), "", testSize)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if err := s2.Restore(ctx, state); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("Restore = %v, want ErrWrongKey", err)
		}
		if slices.ContainsFunc(cs2.calls, func(c string) bool { return c != "CreateImage" }) {
			t.Fatalf("a wrong-key resume called %v", cs2.calls)
		}
		if *props() != etag || !slices.Equal(pageRanges(t, st2), before) {
			t.Fatal("a wrong-key resume changed the image blob")
		}
	})

	t.Run("resume with a fresh SAS", func(t *testing.T) {
		cu := env.containerSAS(t, "resume", rcwd)
		kek, plain := newKEK(t), testDisk(t)
		chunks := chunksOfDisk(plain)
		st1 := parseBlob(t, location(cu, "disk"))
		s1, err := NewSink(ctx, st1, kek, CipherXTS256, testSize)
		if err != nil {
			t.Fatal(err)
		}
		writeChunks(t, s1, chunks[:2])
		state, recs := checkpointOf(t, s1, chunks[:2])
		s1.Close()
		checkNoSAS(t, "State", string(state), sasSecrets(t, cu))
		if strings.Contains(string(state), "127.0.0.1") || strings.Contains(string(state), "resume") {
			t.Fatalf("State names the location: %s", state)
		}
		if _, err := st1.ReadManifest(ctx); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("an interrupted copy left a manifest: %v", err)
		}

		// The second run comes with another SAS for the same container.
		cu2 := strings.SplitN(cu, "?", 2)[0] + "?" + env.sign(t, "resume", rcwd)
		if cu2 == cu {
			t.Fatal("the fresh SAS is the old one")
		}
		st2 := parseBlob(t, location(cu2, "disk"))
		s2, err := NewSink(ctx, st2, kek, CipherXTS256, testSize)
		if err != nil {
			t.Fatal(err)
		}
		if err := resumeSink(ctx, s2, state, recs); err != nil {
			t.Fatal(err)
		}
		writeChunks(t, s2, chunks[2:])
		sum := summaryOf(plain)
		if err := s2.Finish(ctx, sum); err != nil {
			t.Fatal(err)
		}
		s2.Close()
		if got := pageRanges(t, st2); !slices.Equal(got, sum.Extents) {
			t.Fatalf("page ranges %v, want %v", got, sum.Extents)
		}
		src, err := OpenStore(ctx, st2, kek)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if err := src.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, testSize)
		if err := src.ReadAt(ctx, got, 0); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("resumed image: %v, or it decrypts to something else", err)
		}

		// Resuming onto an image of another size is refused when the state
		// records written chunks (an empty state means the copy died while
		// creating the image, which is then recreated: see
		// TestCrashWhileCreatingAndResume).
		big := int64(testSize + disks.ChunkSize)
		other, err := Create(ctx, t.TempDir(), "other", kek, CipherXTS256, big)
		if err != nil {
			t.Fatal(err)
		}
		writeChunks(t, other, chunks[:1])
		st3, recs3 := checkpointOf(t, other, chunks[:1])
		other.Close()
		s3, err := NewSink(ctx, st2, kek, CipherXTS256, big)
		if err != nil {
			t.Fatal(err)
		}
		defer s3.Close()
		if err := resumeSink(ctx, s3, st3, recs3); err == nil {
			t.Fatal("Restore onto an image of another size succeeded")
		}
	})

	t.Run("killed while creating, then resumed", func(t *testing.T) {
		n := 0
		crashAndResume(t, func(t *testing.T) Store {
			n++
			return parseBlob(t, location(env.containerSAS(t, fmt.Sprintf("crash%d", n), rcwd), "disk"))
		})
	})

	t.Run("no SAS in errors", func(t *testing.T) {
		cu := env.containerSAS(t, "nosas", rcwd)
		kek, plain := newKEK(t), testDisk(t)
		secrets := sasSecrets(t, cu)
		var errs []error
		collect := func(what string, err error) {
			t.Helper()
			if err == nil {
				t.Fatalf("%s: expected an error", what)
			}
			errs = append(errs, err)
		}
		st := parseBlob(t, location(cu, "disk"))
		checkNoSAS(t, "String", st.String(), secrets)

		// Nothing there yet.
		_, err := OpenStore(ctx, st, kek)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("OpenStore of a missing image = %v, want fs.ErrNotExist", err)
		}
		collect("missing image", err)
		_, err = st.OpenImage(ctx)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("OpenImage of a missing image = %v, want fs.ErrNotExist", err)
		}
		collect("missing image", err)

		// A container that does not exist.
		gone := parseBlob(t, location(strings.Replace(cu, "/nosas?", "/nosuchcontainer?", 1), "disk"))
		_, err = NewSink(ctx, gone, kek, "", testSize)
		collect("missing container", err)

		// A SAS that only reads, and one whose signature is wrong.
		ro := env.containerSAS(t, "nosasro", sas.ContainerPermissions{Read: true})
		s, err := NewSink(ctx, parseBlob(t, location(ro, "disk")), kek, "", testSize)
		collect("read-only SAS", err)
		if s != nil {
			s.Close()
		}
		secrets = append(secrets, sasSecrets(t, ro)...)
		badSig := strings.Replace(cu, "sig=", "sig=AAAA", 1)
		secrets = append(secrets, sasSecrets(t, badSig)...)
		_, err = OpenStore(ctx, parseBlob(t, location(badSig, "disk")), kek)
		collect("bad signature", err)

		// Wrong key, a tampered page, a resume onto the wrong size.
		writeStore(t, st, kek, "", plain)
		_, err = OpenStore(ctx, st, newKEK(t))
		collect("wrong key", err)
		w, err := st.CreateImage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAt(ctx, make([]byte, 512), 0); err != nil {
			t.Fatal(err)
		}
		src, err := OpenStore(ctx, st, kek)
		if err != nil {
			t.Fatal(err)
		}
		collect("tampered", src.Verify(ctx))
		src.Close()
		// A state recording a written chunk: an empty one would mean the
		// image was still being created, and Restore recreates it.
		elsewhere, err := Create(ctx, t.TempDir(), "disk", kek, "", 2*testSize)
		if err != nil {
			t.Fatal(err)
		}
		written := chunksOfDisk(plain)[:1]
		writeChunks(t, elsewhere, written)
		state, recs := checkpointOf(t, elsewhere, written)
		elsewhere.Close()
		other, err := NewSink(ctx, st, kek, "", 2*testSize)
		if err != nil {
			t.Fatal(err)
		}
		collect("resume size", resumeSink(ctx, other, state, recs))
		other.Close()
		collect("unaligned write", w.WriteAt(ctx, make([]byte, 100), 512))

		// Nothing listening: the transport error carries the whole URL.
		_, q, _ := strings.Cut(cu, "?")
		closed := "http://127.0.0.1:1/" + azuritetest.Account + "/nosas?" + q
		noRetry := BlobOptions{Client: &policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}
		dead, err := NewBlobStore(closed, "disk", noRetry)
		if err != nil {
			t.Fatal(err)
		}
		_, err = OpenStore(ctx, dead, kek)
		collect("closed port, open", err)
		_, err = NewSink(ctx, dead, kek, "", testSize)
		collect("closed port, create", err)
		collect("closed port, manifest", dead.WriteManifest(ctx, []byte("{}")))
		collect("closed port, remove", dead.RemoveManifest(ctx))

		// Arguments that do not parse.
		_, err = ParseLocation("https://acct.blob.core.windows.net/?" + q)
		collect("no container", err)
		_, err = ParseLocation("https://acct.blob.core.windows.net/c/?" + q)
		collect("no name", err)
		_, err = ParseLocation("https://acct.blob.core.windows.net/c/%zz?" + q)
		collect("bad escape", err)
		_, err = ParseLocation("https://acct.blob.core.windows.net\x7f/c/n?" + q)
		collect("bad URL", err)

		for _, err := range errs {
			for _, format := range []string{"%v", "%+v", "%s", "%q"} {
				checkNoSAS(t, "error", fmt.Sprintf(format, err), secrets)
			}
		}
	})
}

func TestParseLocation(t *testing.T) {
	const q = "sv=2021-08-06&sr=c&sp=rcwd&sig=c2VjcmV0%2Bc2ln%3D"
	tests := []struct {
		arg    string
		dir    DirStore // for a folder
		blob   string   // String() of a blob store
		imgURL string
	}{
		{arg: "/mnt/usb/web1-os", dir: DirStore{Dir: "/mnt/usb/", Name: "web1-os"}},
		{arg: "web1-os", dir: DirStore{Dir: ".", Name: "web1-os"}},
		{arg: "./a/b", dir: DirStore{Dir: "./a/", Name: "b"}},
		{
			arg:    "https://acct.blob.core.windows.net/staging/web1-os?" + q,
			blob:   "https://acct.blob.core.windows.net/staging/web1-os",
			imgURL: "https://acct.blob.core.windows.net/staging/web1-os.img?" + q,
		},
		{
			arg:    "http://127.0.0.1:10000/devstoreaccount1/staging/web1%20os?" + q,
			blob:   "http://127.0.0.1:10000/devstoreaccount1/staging/web1%20os",
			imgURL: "http://127.0.0.1:10000/devstoreaccount1/staging/web1%20os.img?" + q,
		},
		{
			arg:    "HTTPS://acct.blob.core.windows.net/staging/d",
			blob:   "https://acct.blob.core.windows.net/staging/d",
			imgURL: "https://acct.blob.core.windows.net/staging/d.img",
		},
	}
	for _, tt := range tests {
		t.Run(disks.RedactURL(tt.arg), func(t *testing.T) {
			st, err := ParseLocation(tt.arg)
			if err != nil {
				t.Fatal(err)
			}
			switch s := st.(type) {
			case DirStore:
				if tt.blob != "" || s != tt.dir {
					t.Fatalf("ParseLocation = %#v, want %#v", s, tt.dir)
				}
			case *BlobStore:
				if s.String() != tt.blob || s.ImageURL() != tt.imgURL {
					t.Fatalf("blob store %s (image %s), want %s (image %s)", s, disks.RedactURL(s.ImageURL()), tt.blob, disks.RedactURL(tt.imgURL))
				}
			default:
				t.Fatalf("ParseLocation gave a %T", st)
			}
		})
	}
	for _, bad := range []string{"", "/mnt/usb/", ".", "dir/..",
		"https://acct.blob.core.windows.net?" + q,
		"https://acct.blob.core.windows.net/?" + q,
		"https://acct.blob.core.windows.net/c/?" + q,
		"https://acct.blob.core.windows.net/n?" + q,
		"https:///c/n?" + q,
		"http:////0",
	} {
		st, err := ParseLocation(bad)
		if !errors.Is(err, ErrLocation) {
			t.Errorf("ParseLocation(%q) = %v, %v; want ErrLocation", disks.RedactURL(bad), st, err)
			continue
		}
		checkNoSAS(t, "error", err.Error(), []string{"c2VjcmV0", "sig="})
	}
}

func TestNewStore(t *testing.T) {
	const q = "sv=2021-08-06&sr=c&sp=rcwd&sig=c2VjcmV0%2Bc2ln%3D"
	st, err := NewStore("/var/stage", "web1-os")
	if err != nil || st != (DirStore{Dir: "/var/stage", Name: "web1-os"}) {
		t.Fatalf("NewStore(folder) = %#v, %v", st, err)
	}
	st, err = NewStore("https://acct.blob.core.windows.net/staging?"+q, "web1-os")
	b, ok := st.(*BlobStore)
	if err != nil || !ok || b.String() != "https://acct.blob.core.windows.net/staging/web1-os" ||
		b.ImageURL() != "https://acct.blob.core.windows.net/staging/web1-os.img?"+q {
		t.Fatalf("NewStore(container) = %v, %v", st, err)
	}
	for _, bad := range [][2]string{{"", "n"}, {"/var/stage", ""}, {"/var/stage", "a/b"}, {"/var/stage", ".."},
		{"https://acct.blob.core.windows.net?" + q, "n"}, {"https://acct.blob.core.windows.net/staging?" + q, "a/b"}} {
		st, err := NewStore(bad[0], bad[1])
		if !errors.Is(err, ErrLocation) || st != nil {
			t.Errorf("NewStore(%s, %q) = %v, %v; want ErrLocation", disks.RedactURL(bad[0]), bad[1], st, err)
			continue
		}
		checkNoSAS(t, "error", err.Error(), []string{"c2VjcmV0", "sig="})
	}
}

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"/mnt/usb/web1", "web1", "https://a.blob.core.windows.net/c/n?sv=1&sig=secretsig",
		"http://127.0.0.1:10000/devstoreaccount1/c/n?sig=secretsig", "https://a/c/%zz?sig=secretsig", "https://a/?sig=secretsig"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		st, err := ParseLocation(arg)
		if err != nil && !errors.Is(err, ErrLocation) {
			t.Fatalf("error %v does not wrap ErrLocation", err)
		}
		b, ok := st.(*BlobStore)
		if ok && strings.Contains(b.String(), "?") {
			t.Fatalf("String %q holds a query", b.String())
		}
		// The signature of a URL argument shows nowhere, unless it also
		// spells part of the host or path.
		lower := strings.ToLower(arg)
		if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
			return
		}
		before, q, found := strings.Cut(arg, "?")
		v, qerr := url.ParseQuery(q)
		sig := v.Get("sig")
		if !found || qerr != nil || len(sig) < 4 || strings.Contains(before, sig) {
			return
		}
		if err != nil && strings.Contains(err.Error(), sig) {
			t.Fatalf("error shows the signature: %v", err)
		}
		if ok && strings.Contains(b.String(), sig) {
			t.Fatalf("String shows the signature: %s", b)
		}
	})
}

package emulator

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	azpageblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"
)

// The Blob service the driver reads VHDs from, fronted by the emulator at
// /blob/{account}/...: every request is passed to Azurite unchanged (the
// path after the prefix is Azurite's, so a SAS signed for the account
// validates there), except one Azurite lacks. Azurite 3 answers Get Page
// Ranges with prevsnapshot (the diff the pre-copy's cut-over reads) with
// 501: its PageBlobHandler.getPageRangesDiff throws NotImplementedError
// (node_modules/azurite/dist/src/blob/handlers/PageBlobHandler.js). The
// emulator computes that answer over Azurite's data instead: the newer
// snapshot's page list read with the caller's own SAS (so Azurite still
// checks it), then both snapshots' page lists and pages read with the
// account key and compared page by page.
// A page that differs is a PageRange if the newer snapshot lists it and a
// ClearRange if not (it reads as zeros there). Azure reports every page
// written since prevsnapshot, even with the same bytes; this lists only
// pages whose content changed, a subset that is all a copy needs.

// blobPrefix is where the emulator fronts the Blob service.
const blobPrefix = "/blob/"

// blobFront is the blob endpoint a driver is configured with: the
// emulator's front for account.
func (s *Server) blobFront(account string) string {
	return strings.TrimSuffix(s.url, "/") + blobPrefix + account
}

// withBlobFront routes the paths under blobPrefix to the Blob service
// front and the rest to h. (A ServeMux pattern for them would overlap the
// authority's /{tenant}/... patterns.)
func (s *Server) withBlobFront(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, blobPrefix) {
			s.blobProxy(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// azuriteURL is where a request to the front goes in Azurite: the path
// after /blob/{account}/.
func (s *Server) azuriteURL(r *http.Request) (*url.URL, error) {
	_, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), blobPrefix), "/")
	if !ok || rest == "" {
		return nil, fmt.Errorf("blob path %s: want %s{account}/{container}/{blob}", r.URL.Path, blobPrefix)
	}
	u, err := url.Parse(s.blobs.endpoint + "/" + rest)
	if err != nil {
		return nil, err
	}
	u.RawQuery = r.URL.RawQuery
	return u, nil
}

func (s *Server) blobProxy(w http.ResponseWriter, r *http.Request) {
	if s.blobs == nil {
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	target, err := s.azuriteURL(r)
	if err != nil {
		http.Error(w, "bad blob path", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	if r.Method == http.MethodGet && q.Get("comp") == "pagelist" && q.Get("prevsnapshot") != "" {
		s.pageRangesDiff(w, r, target)
		return
	}
	if r.Method == http.MethodPut && q.Get("comp") == "page" && r.Header.Get("x-ms-copy-source") != "" {
		s.putPageFromURL(w, r, target)
		return
	}
	p := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL = target
		pr.Out.Host = target.Host
	}}
	p.ServeHTTP(w, r)
}

// pageList is a Get Page Ranges answer.
type pageList struct {
	XMLName xml.Name    `xml:"PageList"`
	Page    []pageRange `xml:"PageRange"`
	Clear   []pageRange `xml:"ClearRange"`
}

type pageRange struct {
	Start int64 `xml:"Start"`
	End   int64 `xml:"End"`
}

// azurite sends one request to Azurite with the caller's version header
// and returns the answer's headers and body; an answer that is not 2xx is
// passed to w and reported as handled.
func (s *Server) azurite(ctx context.Context, w http.ResponseWriter, in *http.Request, u *url.URL, rng string) (http.Header, []byte, bool) {
	// u is always Azurite's: the emulator's own endpoint with a path and
	// query from the request (azuriteURL, sourceURL).
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil) //nolint:gosec // G704: see above
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, nil, true
	}
	for _, h := range []string{"x-ms-version", "x-ms-client-request-id"} {
		if v := in.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	if rng != "" {
		req.Header.Set("x-ms-range", rng)
	}
	resp, err := http.DefaultClient.Do(req) //nolint:gosec // G704: Azurite's URL, as above
	if err != nil {
		http.Error(w, "azurite: "+err.Error(), http.StatusBadGateway)
		return nil, nil, true
	}
	defer func() { _ = resp.Body.Close() }() // read whole below
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, "azurite: "+err.Error(), http.StatusBadGateway)
		return nil, nil, true
	}
	if resp.StatusCode >= 300 {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(b)
		return nil, nil, true
	}
	return resp.Header, b, false
}

// diffChunk bounds one ranged read of the comparison.
const diffChunk = 4 << 20

// blobPage is the Blob service's page size.
const blobPage = 512

func (s *Server) pageRangesDiff(w http.ResponseWriter, r *http.Request, target *url.URL) {
	ctx := r.Context()
	q := r.URL.Query()
	snap, prev := q.Get("snapshot"), q.Get("prevsnapshot")
	// The newer side's page list, asked with the caller's own SAS so
	// Azurite checks it (a snapshot SAS names one snapshot: the older
	// side is read with the account key, as the service itself would).
	u := *target
	v := u.Query()
	v.Del("prevsnapshot")
	u.RawQuery = v.Encode()
	newHeader, b, done := s.azurite(ctx, w, r, &u, "")
	if done {
		return
	}
	var newer pageList
	if err := xml.Unmarshal(b, &newer); err != nil {
		http.Error(w, "azurite page list: "+err.Error(), http.StatusBadGateway)
		return
	}
	base := *target
	base.RawQuery = ""
	out, err := s.diffPages(ctx, base.String(), snap, prev, newer.Page)
	if err != nil {
		writeBlobError(w, err)
		return
	}
	body, err := xml.Marshal(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range []string{"ETag", "Last-Modified", "x-ms-blob-content-length", "x-ms-version", "x-ms-request-id", "Date"} {
		if v := newHeader.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(body) //nolint:gosec // G705: XML marshalled from page offsets (integers), nothing of the request echoed
}

// writeBlobError answers err as the Blob service does: a missing
// snapshot is 404 BlobNotFound, anything else 500.
func writeBlobError(w http.ResponseWriter, err error) {
	status, code := http.StatusInternalServerError, "InternalError"
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		status, code = http.StatusNotFound, string(bloberror.BlobNotFound)
	}
	w.Header().Set("x-ms-error-code", code)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>%s</Message></Error>", xml.Header, code, "The specified blob does not exist.")
}

// diffPages compares snapshot snap ("" the base blob) of the blob at
// blobURL, whose pages are newerPages, with snapshot prev, page by page
// over both page lists, with the account key.
func (s *Server) diffPages(ctx context.Context, blobURL, snap, prev string, newerPages []pageRange) (pageList, error) {
	var out pageList
	open := func(id string) (*azpageblob.Client, error) {
		c, err := azpageblob.NewClientWithSharedKeyCredential(blobURL, s.blobs.cred, nil)
		if err != nil || id == "" {
			return c, err
		}
		return c.WithSnapshot(id)
	}
	newer, err := open(snap)
	if err != nil {
		return out, err
	}
	older, err := open(prev)
	if err != nil {
		return out, err
	}
	union := append([]pageRange(nil), newerPages...)
	pager := older.NewGetPageRangesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, r := range page.PageRange {
			if r.Start != nil && r.End != nil {
				union = append(union, pageRange{Start: *r.Start, End: *r.End})
			}
		}
	}
	union = mergeRanges(union)
	read := func(c *azpageblob.Client, off, n int64) ([]byte, error) {
		resp, err := c.DownloadStream(ctx, &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: n}})
		if err != nil {
			return nil, err
		}
		defer func() { _ = resp.Body.Close() }() // read whole below
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	inNewer := func(off int64) bool {
		for _, p := range newerPages {
			if off >= p.Start && off <= p.End {
				return true
			}
		}
		return false
	}
	for _, u := range union {
		for off := u.Start; off <= u.End; off += diffChunk {
			n := min(int64(diffChunk), u.End+1-off)
			a, err := read(newer, off, n)
			if err != nil {
				return out, err
			}
			b, err := read(older, off, n)
			if err != nil {
				return out, err
			}
			for i := int64(0); i+blobPage <= n; i += blobPage {
				if bytes.Equal(a[i:i+blobPage], b[i:i+blobPage]) {
					continue
				}
				pr := pageRange{Start: off + i, End: off + i + blobPage - 1}
				if inNewer(pr.Start) {
					out.Page = appendRange(out.Page, pr)
				} else {
					out.Clear = appendRange(out.Clear, pr)
				}
			}
		}
	}
	return out, nil
}

// appendRange appends r, extending the last range when they touch.
func appendRange(rs []pageRange, r pageRange) []pageRange {
	if n := len(rs); n > 0 && rs[n-1].End+1 == r.Start {
		rs[n-1].End = r.End
		return rs
	}
	return append(rs, r)
}

// mergeRanges sorts ranges and merges those that touch or overlap.
func mergeRanges(in []pageRange) []pageRange {
	slices.SortFunc(in, func(a, b pageRange) int { return int(a.Start - b.Start) })
	var out []pageRange
	for _, r := range in {
		if n := len(out); n > 0 && r.Start <= out[n-1].End+1 {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

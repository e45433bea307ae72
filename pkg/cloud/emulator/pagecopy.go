package emulator

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// Put Page From URL (PUT ?comp=page with x-ms-page-write: update,
// x-ms-copy-source and x-ms-source-range; Blob service REST reference,
// learn.microsoft.com rest/api/storageservices/put-page-from-url, version
// 2018-11-09 and later), which the pre-copy uses to copy a VHD snapshot's
// pages into a managed disk server side. Azurite 3 does not implement it:
// its PageBlobHandler.uploadPagesFromURL throws NotImplementedError
// (node_modules/azurite/dist/src/blob/handlers/PageBlobHandler.js). The
// front does what the service does over Azurite's data: it reads the
// source range with the source URL's own SAS (so Azurite checks it) and
// writes it with Put Page under the caller's SAS (checked there too).

// putPageFromURL answers one Put Page From URL to target (Azurite's URL of
// the destination blob).
func (s *Server) putPageFromURL(w http.ResponseWriter, r *http.Request, target *url.URL) {
	if !strings.EqualFold(r.Header.Get("x-ms-page-write"), "update") {
		blobError(w, http.StatusBadRequest, "InvalidHeaderValue", "x-ms-page-write must be update with x-ms-copy-source.")
		return
	}
	if v := r.Header.Get("x-ms-version"); v != "" && v < cloud.PageCopyMinVersion {
		blobError(w, http.StatusBadRequest, "UnsupportedHeader", "Put Page From URL needs x-ms-version "+cloud.PageCopyMinVersion+" or later.")
		return
	}
	dst := r.Header.Get("x-ms-range")
	if dst == "" {
		dst = r.Header.Get("Range")
	}
	srcRange := r.Header.Get("x-ms-source-range")
	ds, de, err1 := byteRange(dst)
	ss, se, err2 := byteRange(srcRange)
	switch {
	case err1 != nil || err2 != nil:
		blobError(w, http.StatusBadRequest, "InvalidHeaderValue", "x-ms-range and x-ms-source-range must be bytes=START-END.")
		return
	case de-ds != se-ss:
		blobError(w, http.StatusBadRequest, "InvalidHeaderValue", "The source and destination ranges differ in length.")
		return
	case de-ds+1 > cloud.PageCopyMaxBytes:
		blobError(w, http.StatusRequestEntityTooLarge, "RequestBodyTooLarge", "A Put Page From URL range is at most 4 MiB.")
		return
	case ds%512 != 0 || (de+1)%512 != 0:
		blobError(w, http.StatusRequestedRangeNotSatisfiable, "InvalidPageRange", "The page range must be 512-byte aligned.")
		return
	}
	src, err := s.sourceURL(r.Header.Get("x-ms-copy-source"))
	if err != nil {
		blobError(w, http.StatusBadRequest, "CannotVerifyCopySource", err.Error())
		return
	}
	_, data, handled := s.azurite(r.Context(), w, r, src, srcRange)
	if handled {
		return
	}
	if int64(len(data)) != de-ds+1 {
		blobError(w, http.StatusBadRequest, "CannotVerifyCopySource", "The source range is beyond the source blob.")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPut, target.String(), bytes.NewReader(data))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range []string{"x-ms-version", "x-ms-client-request-id", "x-ms-lease-id"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set("x-ms-page-write", "update")
	req.Header.Set("x-ms-range", dst)
	req.ContentLength = int64(len(data))
	resp, err := http.DefaultClient.Do(req) //nolint:gosec // G704: target is Azurite's URL, built from the emulator's own endpoint
	if err != nil {
		http.Error(w, "azurite: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer func() { _ = resp.Body.Close() }() // copied whole below
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body) // the client is gone if this fails
}

// sourceURL maps a copy source on this front to Azurite's URL of it (its
// SAS kept); a source elsewhere is refused, as the emulator reaches no
// other storage.
func (s *Server) sourceURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("x-ms-copy-source is not a URL")
	}
	front, _ := url.Parse(s.url)
	if front == nil || !strings.EqualFold(u.Host, front.Host) || !strings.HasPrefix(u.EscapedPath(), blobPrefix) {
		return nil, fmt.Errorf("x-ms-copy-source must be a blob of this emulator's front")
	}
	_, rest, ok := strings.Cut(strings.TrimPrefix(u.EscapedPath(), blobPrefix), "/")
	if !ok || rest == "" {
		return nil, fmt.Errorf("x-ms-copy-source names no blob")
	}
	t, err := url.Parse(s.blobs.endpoint + "/" + rest)
	if err != nil {
		return nil, err
	}
	t.RawQuery = u.RawQuery
	return t, nil
}

// byteRange parses "bytes=START-END" (inclusive).
func byteRange(h string) (start, end int64, err error) {
	v, ok := strings.CutPrefix(h, "bytes=")
	a, b, ok2 := strings.Cut(v, "-")
	if !ok || !ok2 {
		return 0, 0, fmt.Errorf("range %q", h)
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, err
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
		return 0, 0, fmt.Errorf("range %q", h)
	}
	return start, end, nil
}

// blobServiceError is the Blob service's error body.
type blobServiceError struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
}

// blobError writes a Blob service error, escaped by encoding/xml.
func blobError(w http.ResponseWriter, status int, code, msg string) {
	b, err := xml.Marshal(blobServiceError{Code: code, Message: msg})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), b...)) // the client is gone if this fails
}

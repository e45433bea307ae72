package azure

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// module and version name the driver to azcore (telemetry is off; these
// only label the pipeline).
const (
	module  = "migrate/azure"
	version = "v1"
)

// HTTPError is a response the driver could not map to a cloud error: what
// was asked, the status and the platform's code and message.
type HTTPError struct {
	Method     string
	Path       string
	StatusCode int
	Code       string
	Message    string
}

func (e *HTTPError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
}

// transport trusts the system roots plus caFile.
func transport(caFile string) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile != "" {
		pemBytes, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read caFile: %w", err)
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("caFile %s: no PEM certificate in it", caFile)
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}, nil
}

// clientOptions are the azcore options every pipeline and credential
// shares: the transport, the tuned retry, telemetry off.
func (d *Driver) clientOptions() policy.ClientOptions {
	var tr policy.Transporter = d.transport
	if d.o.Transport != nil {
		tr = d.o.Transport
	}
	var per []policy.Policy
	if d.o.TimeScale > 0 && d.o.TimeScale != 1 {
		per = append(per, retryAfterScale{scale: d.o.TimeScale})
	}
	return policy.ClientOptions{
		PerRetryPolicies: per,
		Cloud:            azcloud.Configuration{ActiveDirectoryAuthorityHost: d.ep.authority},
		Retry:            d.o.Retry,
		Telemetry:        policy.TelemetryOptions{Disabled: true},
		Transport:        tr,
		Logging: policy.LogOptions{
			// azcore's own logging is a process-wide listener; the driver
			// logs through Options.Log instead, so nothing is allowed here.
			AllowedHeaders: []string{}, AllowedQueryParams: []string{},
		},
	}
}

// newCredential builds the configured azidentity credential.
func (d *Driver) newCredential(c Config) (azcore.TokenCredential, error) {
	co := azcore.ClientOptions(d.clientOptions())
	switch strings.ToLower(c.Credential) {
	case "", CredentialDefault:
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, TenantID: c.TenantID, DisableInstanceDiscovery: c.DisableInstanceDiscovery})
	case CredentialClientSecret:
		return azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.ClientSecret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: c.DisableInstanceDiscovery})
	case CredentialCertificate:
		b, err := os.ReadFile(c.CertificateFile)
		if err != nil {
			return nil, fmt.Errorf("read certificateFile: %w", err)
		}
		var pw []byte
		if c.CertificatePassword != "" {
			pw = []byte(c.CertificatePassword)
		}
		certs, key, err := azidentity.ParseCertificates(b, pw)
		if err != nil {
			return nil, fmt.Errorf("parse certificateFile %s: %w", c.CertificateFile, err)
		}
		return azidentity.NewClientCertificateCredential(c.TenantID, c.ClientID, certs, key, &azidentity.ClientCertificateCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: c.DisableInstanceDiscovery})
	case CredentialManagedIdentity:
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if c.ClientID != "" {
			o.ID = azidentity.ClientID(c.ClientID)
		}
		return azidentity.NewManagedIdentityCredential(o)
	case CredentialWorkloadIdentity:
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: co, TenantID: c.TenantID, ClientID: c.ClientID, TokenFilePath: c.FederatedTokenFile,
			DisableInstanceDiscovery: c.DisableInstanceDiscovery})
	case CredentialAzureCLI:
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: c.TenantID})
	}
	return nil, fmt.Errorf("unknown credential kind %q", c.Credential)
}

// smScope is the Service Management token scope. Its audience keeps its
// trailing slash ("https://management.core.windows.net//.default"), as AAD
// expects for that v1 resource.
func smScope(aud string) string { return aud + "/.default" }

// armScope is the Resource Manager token scope.
func armScope(aud string) string { return strings.TrimRight(aud, "/") + "/.default" }

// newPipeline is an azcore pipeline with a bearer token for scope, extra
// per-retry policies, and the call log last so it sees every attempt.
func (d *Driver) newPipeline(scope string, extra ...policy.Policy) runtime.Pipeline {
	co := d.clientOptions()
	per := append([]policy.Policy{runtime.NewBearerTokenPolicy(d.cred, []string{scope}, nil)}, extra...)
	per = append(per, logPolicy{log: d.o.Log})
	return runtime.NewPipeline(module, version, runtime.PipelineOptions{PerRetry: per}, &co)
}

// headerPolicy sets fixed headers (x-ms-version on every SM call).
type headerPolicy map[string]string

func (h headerPolicy) Do(req *policy.Request) (*http.Response, error) {
	for k, v := range h {
		req.Raw().Header.Set(k, v)
	}
	return req.Next()
}

// retryAfterScale multiplies the delay an answer asks for by scale
// (Options.TimeScale), rewriting it as retry-after-ms, the most precise
// form azcore and retryAfter read, never below a millisecond (0 would mean
// "none" and fall back to the exponential backoff).
type retryAfterScale struct{ scale float64 }

func (p retryAfterScale) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if resp == nil {
		return resp, err
	}
	if d := retryAfter(resp.Header, time.Now()); d > 0 {
		ms := max(int64(float64(d.Milliseconds())*p.scale), 1)
		resp.Header.Del("Retry-After")
		resp.Header.Del("x-ms-retry-after-ms")
		resp.Header.Set("retry-after-ms", strconv.FormatInt(ms, 10))
	}
	return resp, err
}

// logPolicy writes one redacted line per attempt: method, path with query,
// status, duration.
type logPolicy struct{ log func(string) }

func (l logPolicy) Do(req *policy.Request) (*http.Response, error) {
	if l.log == nil {
		return req.Next()
	}
	start := time.Now()
	resp, err := req.Next()
	u := req.Raw().URL
	what := u.Path
	if u.RawQuery != "" {
		what += "?" + u.RawQuery
	}
	status := "error: " + fmt.Sprint(err)
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	l.log(Redact(fmt.Sprintf("azure: %s %s %s %s", req.Raw().Method, what, status, time.Since(start).Round(time.Microsecond))))
	return resp, err
}

// replyMeta is what call keeps of a response besides its body.
type replyMeta struct {
	StatusCode int
	Header     http.Header
}

// call sends one request through pl and returns the final response's
// status, headers and body, or the error it maps to: ErrNotFound for 404,
// *cloud.TransientError for a throttling or server fault azcore's retries
// did not get past, *HTTPError (with the platform's code and message)
// otherwise; a migration call turns a 409 into a StateError. The body is
// read whole and closed here (runtime.Payload), so callers get the status
// and headers alone: there is no body left for them to close.
func (d *Driver) call(ctx context.Context, pl runtime.Pipeline, method, url string, body []byte) (*replyMeta, []byte, error) {
	req, err := runtime.NewRequest(ctx, method, url)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != nil {
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body)), "application/xml; charset=utf-8"); err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", method, url, err)
		}
	}
	path := req.Raw().URL.Path
	resp, err := pl.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var authErr *azidentity.AuthenticationFailedError
		if errors.As(err, &authErr) {
			return nil, nil, fmt.Errorf("%s %s: authenticate: %w", method, path, err)
		}
		// The transport failed after azcore's retries: worth retrying later.
		return nil, nil, &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, Err: fmt.Errorf("%s %s: %w", method, path, err)}
	}
	// Payload reads and closes the body; this close covers the paths where
	// it did not get that far. Closing a read body has nothing to report.
	defer func() { _ = resp.Body.Close() }()
	b, err := runtime.Payload(resp)
	if err != nil {
		return nil, nil, &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, Err: fmt.Errorf("%s %s: read response: %w", method, path, err)}
	}
	meta := &replyMeta{StatusCode: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode < 300 {
		return meta, b, nil
	}
	he := &HTTPError{Method: method, Path: path, StatusCode: resp.StatusCode}
	if e, ok := smapi.ParseError(b); ok {
		he.Code, he.Message = e.Code, e.Message
	} else if e, ok := parseARMError(b); ok {
		he.Code, he.Message = e.Code, e.Message
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return meta, b, fmt.Errorf("%w: %w", cloud.ErrNotFound, he)
	case http.StatusTooManyRequests:
		return meta, b, &cloud.TransientError{Fault: cloud.FaultThrottled, RetryAfter: retryAfter(resp.Header, time.Now()), Err: he}
	case http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusBadGateway, http.StatusRequestTimeout:
		return meta, b, &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, RetryAfter: retryAfter(resp.Header, time.Now()), Err: he}
	}
	// 501 says the call is not implemented there: sending it again
	// cannot help.
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
		return meta, b, &cloud.TransientError{Fault: cloud.FaultInternalError, RetryAfter: retryAfter(resp.Header, time.Now()), Err: he}
	}
	return meta, b, he
}

// retryAfter parses the delay headers azcore honours, most precise first:
// retry-after-ms, x-ms-retry-after-ms, then Retry-After in seconds or as an
// HTTP date. Zero means none.
func retryAfter(h http.Header, now time.Time) time.Duration {
	for _, k := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Get(k))); err == nil && v > 0 {
			return time.Duration(v) * time.Millisecond
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// listARM reads every page of a Resource Manager list ({"value": [...],
// "nextLink": ...}), in the order the pages give: the one pager of the
// driver's own lists (discovery's, and the storage account look-up).
func listARM[T any](ctx context.Context, d *Driver, u string) ([]T, error) {
	var out []T
	for u != "" {
		_, b, err := d.call(ctx, d.arm, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Value    []T    `json:"value"`
			NextLink string `json:"nextLink"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("malformed list: %w", err)
		}
		out = append(out, page.Value...)
		u = page.NextLink
	}
	return out, nil
}

// codeMissingSubscriptionRegistration is Resource Manager's answer to a
// call on a resource provider the subscription is not registered for
// (azure-docs articles/azure-resource-manager/troubleshooting/
// error-register-resource-provider.md). Such a subscription holds none of
// the provider's resources: a provider cannot be unregistered while any
// remain (azure-docs management/resource-providers-and-types.md).
const codeMissingSubscriptionRegistration = "MissingSubscriptionRegistration"

// unregistered reports whether err is that answer.
func unregistered(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.StatusCode == http.StatusConflict && he.Code == codeMissingSubscriptionRegistration
}

// listRegistered is listARM of a provider's resources, where a provider the
// subscription is not registered for holds none.
func listRegistered[T any](ctx context.Context, d *Driver, u string) ([]T, error) {
	out, err := listARM[T](ctx, d, u)
	if unregistered(err) {
		return nil, nil
	}
	return out, err
}

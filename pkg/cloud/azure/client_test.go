package azure

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// headerTransport answers every request with 429 and the headers given.
type headerTransport http.Header

func (h headerTransport) Do(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header(h).Clone(), Body: http.NoBody, Request: req}, nil
}

// TestRetryAfterScale checks each delay form an answer can carry comes
// out as the scaled retry-after-ms, which azcore and retryAfter read first,
// and that an answer asking for nothing is left alone.
func TestRetryAfterScale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		scale  float64
		want   string
	}{
		{"seconds", http.Header{"Retry-After": {"2"}}, 0.001, "2"},
		{"milliseconds", http.Header{"Retry-After-Ms": {"1500"}}, 0.1, "150"},
		{"x-ms milliseconds", http.Header{"X-Ms-Retry-After-Ms": {"800"}}, 0.5, "400"},
		{"never below a millisecond", http.Header{"Retry-After": {"1"}}, 0.0001, "1"},
		{"nothing asked", http.Header{}, 0.001, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := runtime.NewPipeline("test", "v0", runtime.PipelineOptions{},
				&policy.ClientOptions{Transport: headerTransport(tc.header), PerRetryPolicies: []policy.Policy{retryAfterScale{scale: tc.scale}},
					Retry: policy.RetryOptions{MaxRetries: -1}})
			req, err := runtime.NewRequest(context.Background(), http.MethodGet, "https://example.invalid/x")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := pl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if got := resp.Header.Get("retry-after-ms"); got != tc.want {
				t.Errorf("retry-after-ms %q, want %q", got, tc.want)
			}
			if tc.want != "" && (resp.Header.Get("Retry-After") != "" || resp.Header.Get("x-ms-retry-after-ms") != "") {
				t.Errorf("the unscaled delay is still there: %v", resp.Header)
			}
		})
	}
}

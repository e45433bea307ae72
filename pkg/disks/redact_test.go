package disks

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const sasURL = "https://acct.blob.core.windows.net/vhds/os.vhd?sv=2021-08-06&se=2030-01-01T00%3A00%3A00Z&sr=b&sp=rw&sig=Abc%2Bdef%2Fsecret%3D"

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{sasURL, "https://acct.blob.core.windows.net/vhds/os.vhd?se=REDACTED&sp=REDACTED&sr=REDACTED&sv=REDACTED"},
		{"https://acct.blob.core.windows.net/c/b", "https://acct.blob.core.windows.net/c/b"},
		{"https://u:pw@h/p?sig=x", "https://u@h/p?REDACTED"},
		{"http://[::1:bad/x?sig=secret", "http://[::1:bad/x?REDACTED"},
	}
	for _, tc := range tests {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactError(t *testing.T) {
	u, _ := url.Parse(sasURL)
	inner := &url.Error{Op: "Put", URL: sasURL, Err: context.DeadlineExceeded}
	wrapped := fmt.Errorf("write page: %w", inner)
	got := RedactError(wrapped, sasURL)
	for _, secret := range []string{"Abc%2Bdef%2Fsecret%3D", "Abc+def/secret=", u.RawQuery} {
		if strings.Contains(got.Error(), secret) {
			t.Errorf("%q still holds %q", got, secret)
		}
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Error("redacted error no longer unwraps")
	}
	if RedactError(nil, sasURL) != nil {
		t.Error("nil error became non-nil")
	}
}

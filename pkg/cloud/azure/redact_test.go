package azure

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, secret, keep string
	}{
		{"sas", "GET https://a.blob.core.windows.net/vhds/x.vhd?sv=2020-10-02&sig=abc%2Fdef%3D&se=2030", "abc%2Fdef%3D", "sv=2020-10-02"},
		{"sas upper", "url ?SIG=Zm9vYmFy&sp=r", "Zm9vYmFy", "sp=r"},
		{"header", "Authorization: Bearer eyJ0eXAi.eyJhdWQi.c2ln", "eyJ0eXAi", "Authorization"},
		{"bare bearer", "sent bearer abc.def-ghi_jkl to x", "abc.def-ghi_jkl", "to x"},
		{"basic", "Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Authorization"},
		{"form", "grant_type=client_credentials&client_secret=s3cr3t!&scope=x", "s3cr3t!", "scope=x"},
		{"json", `{"access_token":"tok-123","expires_in":3600}`, "tok-123", "expires_in"},
		{"jwt", "token eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.c2lnbmF0dXJl in text", "eyJhbGciOiJub25lIn0", "in text"},
		{"clean", "POST /sub/services/hostedservices/web/deployments/prod/migration?comp=prepare 202 3ms", "", "comp=prepare 202"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.in)
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("Redact(%q) = %q: secret %q still there", tt.in, got, tt.secret)
			}
			if !strings.Contains(got, tt.keep) {
				t.Errorf("Redact(%q) = %q: lost %q", tt.in, got, tt.keep)
			}
		})
	}
}

package emulator_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// start serves the suite's estate and returns the server and a client
// that trusts its certificate.
func start(t *testing.T) (*emulator.Server, *http.Client) {
	t.Helper()
	return startWith(t, func(*emulator.Options, *sim.Sim) {})
}

// startWith is start with options edited by set (given the simulator, to
// serve it as Compute).
func startWith(t *testing.T, set func(*emulator.Options, *sim.Sim)) (*emulator.Server, *http.Client) {
	t.Helper()
	return startEstate(t, cloudtest.Inventory(), set)
}

// startEstate is startWith over the estate inv.
func startEstate(t *testing.T, inv *inventory.Inventory, set func(*emulator.Options, *sim.Sim)) (*emulator.Server, *http.Client) {
	t.Helper()
	s, err := sim.Open(t.TempDir(), inv, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	o := emulator.Options{SubscriptionID: inv.SubscriptionID, ClientID: "app", ClientSecret: "s3cret-for-tests"}
	set(&o, s)
	srv := emulator.New(s, s, o)
	if _, err := srv.Start(t.Context(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertPEM()) {
		t.Fatal("certificate PEM does not parse")
	}
	return srv, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func token(t *testing.T, srv *emulator.Server, c *http.Client, secret string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {secret}, "scope": {"https://management.core.windows.net//.default"}}
	resp, err := c.PostForm(srv.URL()+"emulator/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func TestAuthority(t *testing.T) {
	srv, c := start(t)
	resp, err := c.Get(srv.URL() + "emulator/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var conf map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&conf)
	resp.Body.Close()
	for _, k := range []string{"issuer", "token_endpoint", "authorization_endpoint"} {
		if s, _ := conf[k].(string); !strings.HasPrefix(s, srv.URL()) {
			t.Errorf("openid-configuration %s = %q, want under %s", k, s, srv.URL())
		}
	}
	if code, _ := token(t, srv, c, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("token with a wrong secret: %d, want 401", code)
	}
	code, tok := token(t, srv, c, "s3cret-for-tests")
	if code != http.StatusOK || tok["access_token"] == "" || tok["expires_in"] == nil {
		t.Fatalf("token: %d %v", code, tok)
	}
}

func TestManagementRequests(t *testing.T) {
	srv, c := start(t)
	_, tok := token(t, srv, c, "s3cret-for-tests")
	bearer := "Bearer " + tok["access_token"].(string)
	sub := cloudtest.Inventory().SubscriptionID
	tests := []struct {
		name, method, path, auth, version string
		status                            int
		code                              string
	}{
		{"no token", "GET", sub + "/services/hostedservices", "", smapi.Version, 401, "AuthenticationFailed"},
		{"foreign token", "GET", sub + "/services/hostedservices", "Bearer a.b.c", smapi.Version, 401, "AuthenticationFailed"},
		{"no version", "GET", sub + "/services/hostedservices", bearer, "", 400, "MissingOrIncorrectVersionHeader"},
		{"other subscription", "GET", "00000000-0000-0000-0000-000000000000/services/hostedservices", bearer, smapi.Version, 404, "ResourceNotFound"},
		{"list", "GET", sub + "/services/hostedservices", bearer, smapi.Version, 200, ""},
		{"unknown vnet", "GET", sub + "/services/networking/virtualnetwork/nope", bearer, smapi.Version, 404, "ResourceNotFound"},
		{"unknown operation", "GET", sub + "/operations/nope", bearer, smapi.Version, 404, "ResourceNotFound"},
		{"bad comp", "POST", sub + "/services/networking/networksecuritygroups/" + cloudtest.NSG + "/migration?comp=explode", bearer, smapi.Version, 400, "InvalidQueryParameterValue"},
		{"commit before prepare", "POST", sub + "/services/networking/networksecuritygroups/" + cloudtest.NSG + "/migration?comp=commit", bearer, smapi.Version, 202, ""},
		{"validate", "POST", sub + "/services/networking/networksecuritygroups/" + cloudtest.NSG + "/migration?comp=validate", bearer, smapi.Version, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL()+tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.version != "" {
				req.Header.Set(smapi.HeaderVersion, tt.version)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.code != "" {
				e, ok := smapi.ParseError(b)
				if !ok || e.Code != tt.code {
					t.Errorf("error body %s, want code %s", b, tt.code)
				}
			}
			if resp.StatusCode == http.StatusAccepted && resp.Header.Get(smapi.HeaderRequestID) == "" {
				t.Error("202 without x-ms-request-id")
			}
		})
	}
}

func TestWriteConfig(t *testing.T) {
	srv, _ := start(t)
	path := filepath.Join(t.TempDir(), "sim.yaml")
	if err := srv.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c emulator.Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Driver != "azure" || c.Azure.ServiceManagementEndpoint != srv.URL() || !c.Azure.DisableInstanceDiscovery || c.Azure.Credential != "clientsecret" {
		t.Errorf("config %+v", c)
	}
	pemBytes, err := os.ReadFile(c.Azure.CAFile)
	if err != nil || string(pemBytes) != string(srv.CertPEM()) {
		t.Errorf("caFile %s does not hold the server certificate: %v", c.Azure.CAFile, err)
	}
	if strings.Contains(string(b), "s3cret-for-tests") {
		t.Error("config file contains the client secret")
	}
}

// TestARMRequests checks the disk step's Resource Manager routes answer
// the front end's checks before any call: bearer token, api-version, and
// 501 when the server was given no Compute.
func TestARMRequests(t *testing.T) {
	srv, c := start(t)
	_, tok := token(t, srv, c, "s3cret-for-tests")
	bearer := "Bearer " + tok["access_token"].(string)
	sub := cloudtest.Inventory().SubscriptionID
	disk := "subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/disks/d?api-version=2024-03-02"
	tests := []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{"no token", disk, "", 401, "AuthenticationFailed"},
		{"no api-version", strings.Split(disk, "?")[0], bearer, 400, "MissingApiVersionParameter"},
		{"no compute", disk, bearer, 501, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL()+tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error struct{ Code string } }
			_ = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != tt.status || e.Error.Code != tt.code {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, e.Error.Code, tt.status, tt.code)
			}
		})
	}
}

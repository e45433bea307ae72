package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MetadataPath is a Resource Manager endpoint's metadata document, which
// names its authority and token audience: what `az cloud register
// --endpoint-resource-manager` and Azure Stack Hub's own tooling read
// (learn.microsoft.com azure-stack/user/azure-stack-version-profiles:
// "(Invoke-RestMethod -Uri https://management.local.azurestack.external/
// metadata/endpoints?api-version=2015-01-01).authentication.audiences[0]").
const MetadataPath = "metadata/endpoints?api-version=2015-01-01"

// Metadata is the part of the metadata document the driver uses.
type Metadata struct {
	Authentication struct {
		LoginEndpoint string   `json:"loginEndpoint"`
		Audiences     []string `json:"audiences"`
	} `json:"authentication"`
}

// needsMetadata reports a custom cloud (or Azure Stack Hub) given its
// Resource Manager endpoint but not its authority or audience.
func (c Config) needsMetadata() bool {
	n := CanonicalCloud(c.Cloud)
	return (n == CloudCustom || n == CloudAzureStackHub) && c.ResourceManagerEndpoint != "" &&
		(c.AuthorityHost == "" || c.Audience == "")
}

// fillFromMetadata reads the metadata document of c's Resource Manager
// endpoint and fills the authority and audience c leaves empty. The
// request carries no credential: the document is public.
func (c *Config) fillFromMetadata(ctx context.Context, client *http.Client) error {
	u := strings.TrimSuffix(c.ResourceManagerEndpoint, "/") + "/" + MetadataPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("metadata endpoint: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("read %s: %s", u, resp.Status)
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	if c.AuthorityHost == "" {
		c.AuthorityHost = m.Authentication.LoginEndpoint
	}
	if c.Audience == "" && len(m.Authentication.Audiences) > 0 {
		c.Audience = m.Authentication.Audiences[0]
	}
	return nil
}

// Cloud is the canonical name of the cloud the driver talks to.
func (d *Driver) Cloud() string { return d.ep.cloud }

// SubscriptionID is the subscription the driver acts on.
func (d *Driver) SubscriptionID() string { return d.cfg.SubscriptionID }

// TenantID is the configured tenant; empty when the credential chooses it
// (default, managed identity, Azure CLI).
func (d *Driver) TenantID() string { return d.cfg.TenantID }

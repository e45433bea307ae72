package emulator_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
)

// TestPlatformServiceLists checks every emulator answers the platform
// service lists, with no Compute behind it: they read the classic estate
// only. The suite's estate has no platform service, so each list is
// empty; realclient's TestPlatformServicesPythonSDK checks full ones.
func TestPlatformServiceLists(t *testing.T) {
	srv, c := start(t) // no Compute
	_, tok := token(t, srv, c, "s3cret-for-tests")
	sub := cloudtest.Inventory().SubscriptionID
	for _, path := range []string{
		"Microsoft.Web/hostingEnvironments?api-version=2022-03-01",
		"Microsoft.HDInsight/clusters?api-version=2021-06-01",
		"Microsoft.ApiManagement/service?api-version=2021-08-01",
		"Microsoft.AAD/domainServices?api-version=2017-06-01",
		"Microsoft.AAD/domainServices?api-version=2021-05-01",
	} {
		t.Run(path, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL()+"subscriptions/"+sub+"/providers/"+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var v struct {
				Value []json.RawMessage `json:"value"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK || v.Value == nil || len(v.Value) != 0 {
				t.Errorf("%d %v %+v; want 200 with an empty value", resp.StatusCode, err, v)
			}
		})
	}
}

package realclient_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPlatformServicesPythonSDK lists, through the Python SDKs of
// Debian's azure-cli (Azure AD Domain Services, which has none there,
// through their ARM pipeline), the platform services discovery files under
// the classic VNets they run in (testdata/platform_services.py), over the
// estate that fires every rule, unmigrated; it checks each names its
// classic VNet by its Microsoft.ClassicNetwork id as the SDK parses it,
// and the whole answer is a golden file.
func TestPlatformServicesPythonSDK(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.mgmt.web")
	pythonModule(t, py, "azure.mgmt.hdinsight")
	pythonModule(t, py, "azure.mgmt.apimanagement")
	inv := everyRuleEstate(t)
	raw := runClassicRMScript(t, py, "platform_services.py", inv)
	var out struct {
		HostingEnvironments []struct {
			Kind string `json:"kind"`
			VNet string `json:"vnet"`
		} `json:"hostingEnvironments"`
		HDInsight []struct {
			OSType string `json:"osType"`
			Roles  []struct {
				VNet string `json:"vnet"`
			} `json:"roles"`
		} `json:"hdinsightClusters"`
		APIManagement []struct {
			Subnet string `json:"subnet"`
		} `json:"apiManagementServices"`
		DomainServices map[string][]struct {
			SubnetID    string `json:"subnetId"`
			ReplicaSets []struct {
				SubnetID string `json:"subnetId"`
			} `json:"replicaSets"`
		} `json:"domainServices"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("platform_services.py: %v\n%s", err, raw)
	}
	classic := "/subscriptions/" + inv.SubscriptionID + "/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/every-vnet"
	if len(out.HostingEnvironments) != 1 || out.HostingEnvironments[0].Kind != "ASEV1" ||
		!strings.EqualFold(out.HostingEnvironments[0].VNet, classic) {
		t.Errorf("App Service Environments = %+v; want one ASEV1 in %s", out.HostingEnvironments, classic)
	}
	if len(out.HDInsight) != 1 || out.HDInsight[0].OSType != "Windows" || len(out.HDInsight[0].Roles) == 0 {
		t.Fatalf("HDInsight clusters = %+v; want one Windows cluster with roles", out.HDInsight)
	}
	for _, r := range out.HDInsight[0].Roles {
		if !strings.EqualFold(r.VNet, classic) {
			t.Errorf("HDInsight role in %s; want %s", r.VNet, classic)
		}
	}
	if len(out.APIManagement) != 1 || !strings.EqualFold(out.APIManagement[0].Subnet, classic+"/subnets/web") {
		t.Errorf("API Management services = %+v; want one in %s/subnets/web", out.APIManagement, classic)
	}
	// Azure AD Domain Services: no Python SDK in Debian's azure-cli
	// (azure-mgmt-domainservices is not packaged; `python3 -c "import
	// azure.mgmt.domainservices"` fails), so the script lists it through
	// azure.mgmt.core's ARMPipelineClient, the pipeline the SDKs run on.
	flat, sets := out.DomainServices["2017-06-01"], out.DomainServices["2021-05-01"]
	if len(flat) != 1 || !strings.EqualFold(flat[0].SubnetID, classic+"/subnets/web") {
		t.Errorf("domain services at 2017-06-01 = %+v; want one in %s/subnets/web", flat, classic)
	}
	if len(sets) != 1 || sets[0].SubnetID != "" || len(sets[0].ReplicaSets) != 1 ||
		!strings.EqualFold(sets[0].ReplicaSets[0].SubnetID, classic+"/subnets/web") {
		t.Errorf("domain services at 2021-05-01 = %+v; want one replica set in %s/subnets/web", sets, classic)
	}
	golden(t, "platform_services.golden.json", raw)
}

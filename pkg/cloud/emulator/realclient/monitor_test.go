package realclient_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestMonitorReads lists the classic estate's Azure Monitor resources
// with azure.mgmt.monitor, at the versions the driver sends: every-rule's
// web1 has two alert rules (one classic alert rule, one metric alert, both
// on the classic VM's Resource Manager id) and autoscales through its
// availability set; no other role has either.
func TestMonitorReads(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.mgmt.monitor")
	inv := everyRuleEstate(t)
	raw := runClassicRMScript(t, py, "monitor.py", inv)
	var got struct {
		AlertRules        []struct{ ResourceURI string } `json:"alertRules"`
		MetricAlerts      []struct{ Scopes []string }    `json:"metricAlerts"`
		AutoscaleSettings []struct {
			TargetResourceURI string `json:"targetResourceUri"`
		} `json:"autoscaleSettings"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("monitor.py: %v\n%s", err, raw)
	}
	vm := "/resourceGroups/every-web/providers/Microsoft.ClassicCompute/virtualMachines/web1"
	if len(got.AlertRules) != 1 || !strings.HasSuffix(got.AlertRules[0].ResourceURI, vm) {
		t.Errorf("classic alert rules %+v, want one on ...%s", got.AlertRules, vm)
	}
	if len(got.MetricAlerts) != 1 || len(got.MetricAlerts[0].Scopes) != 1 || !strings.HasSuffix(got.MetricAlerts[0].Scopes[0], vm) {
		t.Errorf("metric alerts %+v, want one scoped to ...%s", got.MetricAlerts, vm)
	}
	set := "/providers/Microsoft.ClassicCompute/domainNames/every-web/availabilitySets/web-as"
	if len(got.AutoscaleSettings) != 1 || !strings.HasSuffix(got.AutoscaleSettings[0].TargetResourceURI, set) {
		t.Errorf("autoscale settings %+v, want one on ...%s", got.AutoscaleSettings, set)
	}
	golden(t, "monitor.golden.json", raw)
}

// runClassicRMScript serves inv unmigrated, without Azurite, and runs the
// Python script testdata/script against its Resource Manager (runPython).
func runClassicRMScript(t *testing.T, py, script string, inv *inventory.Inventory, args ...string) []byte {
	t.Helper()
	return runPython(t, py, script, serve(t, inv, serveOptions{}), inv.SubscriptionID, args)
}

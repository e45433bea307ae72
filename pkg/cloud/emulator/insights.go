package emulator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Azure Monitor's subscription lists of alert rules, metric alerts and
// autoscale settings, rendered from the classic estate's roles[].alertRules
// and roles[].autoscale in the shapes of their REST specs (Azure/
// azure-rest-api-specs, specification/monitor/resource-manager/
// Microsoft.Insights: stable/2016-03-01/alertRules_API.json
// AlertRuleResource, stable/2018-03-01/metricAlert_API.json
// MetricAlertResource, stable/2015-04-01/autoscale_API.json
// AutoscaleSettingResource). Neither alert list is pageable in its spec
// (x-ms-pageable with a null nextLinkName), so each answers one page.
//
// A VM's n alert rules are rendered alternately as classic alert rules and
// metric alerts, both on the classic VM's Resource Manager id
// (Microsoft.ClassicCompute/virtualMachines/{role}, in the group Azure
// shows its cloud service in), so a client reading either list is
// exercised; a web or worker role's are on its role id
// (domainNames/{service}/slots/{slot}/roles/{role}). Autoscale is one
// setting per availability set that holds a role with autoscale (a classic
// VM scales with its set, so every role of that set reads as autoscaled),
// or per role for a role in no set.

// insightsRoutes adds Azure Monitor's subscription lists to mux. They need
// no Compute: every emulator serves them.
func (s *Server) insightsRoutes(mux *http.ServeMux) {
	const insights = "/subscriptions/{sub}/providers/Microsoft.Insights"
	mux.Handle("GET "+insights+"/alertrules", s.arm(s.registered("Microsoft.Insights", s.listMonitoring(func(m monitoring) any { return m.alertRules }))))
	mux.Handle("GET "+insights+"/metricAlerts", s.arm(s.registered("Microsoft.Insights", s.listMonitoring(func(m monitoring) any { return m.metricAlerts }))))
	mux.Handle("GET "+insights+"/autoscalesettings", s.arm(s.registered("Microsoft.Insights", s.listMonitoring(func(m monitoring) any { return m.autoscale }))))
}

// monitoring is the estate's Azure Monitor resources, each list in the
// inventory's order.
type monitoring struct {
	alertRules, metricAlerts, autoscale []map[string]any
}

func (s *Server) listMonitoring(pick func(monitoring) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inv, err := s.d.Discover(r.Context())
		if err != nil {
			writeARMCloudError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": pick(renderMonitoring(r.PathValue("sub"), inv))})
	}
}

// renderMonitoring renders inv's alert rules and autoscale settings.
func renderMonitoring(sub string, inv *inventory.Inventory) monitoring {
	m := monitoring{alertRules: []map[string]any{}, metricAlerts: []map[string]any{}, autoscale: []map[string]any{}}
	for _, cs := range inv.CloudServices {
		rg := armapi.ClassicResourceGroup(cs.Name)
		loc := cs.Location
		if loc == "" {
			loc = inv.DefaultLocation
		}
		loc = armapi.Location(loc)
		slot := cs.Deployment.Slot
		if slot == "" {
			slot = "Production"
		}
		service := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ClassicCompute/domainNames/" + cs.Name
		scaledSets := map[string]bool{}
		for _, r := range cs.Deployment.Roles {
			target := service + "/slots/" + slot + "/roles/" + r.Name
			if strings.EqualFold(r.Kind, inventory.RoleVirtualMachine) {
				target = armapi.ResourceID(sub, rg, "Microsoft.ClassicCompute/virtualMachines", r.Name)
			}
			for i := range r.AlertRules {
				name := fmt.Sprintf("%s-%s-cpu-%d", cs.Name, r.Name, i+1)
				if i%2 == 0 {
					m.alertRules = append(m.alertRules, classicAlertRule(sub, rg, loc, name, target))
				} else {
					m.metricAlerts = append(m.metricAlerts, metricAlert(sub, rg, name, target))
				}
			}
			if !r.Autoscale {
				continue
			}
			if r.AvailabilitySet == "" {
				m.autoscale = append(m.autoscale, autoscaleSetting(sub, rg, loc, cs.Name+"-"+r.Name+"-autoscale", target))
				continue
			}
			if k := inventory.Key(r.AvailabilitySet); !scaledSets[k] {
				scaledSets[k] = true
				m.autoscale = append(m.autoscale, autoscaleSetting(sub, rg, loc, cs.Name+"-"+r.AvailabilitySet+"-autoscale",
					service+"/availabilitySets/"+r.AvailabilitySet))
			}
		}
	}
	return m
}

// classicAlertRule is an AlertRuleResource: a threshold on the target's
// Percentage CPU, as the classic portal created them.
func classicAlertRule(sub, rg, loc, name, target string) map[string]any {
	return map[string]any{
		"id":   armapi.ResourceID(sub, rg, "Microsoft.Insights/alertrules", name),
		"name": name, "type": "Microsoft.Insights/alertRules", "location": loc, "tags": map[string]string{},
		"properties": map[string]any{
			"name": name, "description": "", "isEnabled": true,
			"condition": map[string]any{
				"odata.type": "Microsoft.Azure.Management.Insights.Models.ThresholdRuleCondition",
				"dataSource": map[string]any{
					"odata.type":  "Microsoft.Azure.Management.Insights.Models.RuleMetricDataSource",
					"resourceUri": target, "metricName": "Percentage CPU",
				},
				"operator": "GreaterThan", "threshold": 80, "windowSize": "PT5M", "timeAggregation": "Average",
			},
			"actions":         []any{},
			"lastUpdatedTime": "2019-01-01T00:00:00Z",
		},
	}
}

// metricAlert is a MetricAlertResource on one resource (the only kind a
// classic compute resource takes).
func metricAlert(sub, rg, name, target string) map[string]any {
	return map[string]any{
		"id":   armapi.ResourceID(sub, rg, "Microsoft.Insights/metricAlerts", name),
		"name": name, "type": "Microsoft.Insights/metricAlerts", "location": "global", "tags": map[string]string{},
		"properties": map[string]any{
			"description": "", "severity": 3, "enabled": true, "scopes": []string{target},
			"evaluationFrequency": "PT1M", "windowSize": "PT5M", "autoMitigate": true,
			"criteria": map[string]any{
				"odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
				"allOf": []any{map[string]any{
					"criterionType": "StaticThresholdCriterion", "name": "cpu", "metricName": "Percentage CPU",
					"dimensions": []any{}, "operator": "GreaterThan", "threshold": 80, "timeAggregation": "Average",
				}},
			},
			"actions": []any{},
		},
	}
}

// autoscaleSetting is an AutoscaleSettingResource with one profile between
// one and two instances.
func autoscaleSetting(sub, rg, loc, name, target string) map[string]any {
	return map[string]any{
		"id":   armapi.ResourceID(sub, rg, "Microsoft.Insights/autoscalesettings", name),
		"name": name, "type": "Microsoft.Insights/autoscaleSettings", "location": loc, "tags": map[string]string{},
		"properties": map[string]any{
			"name": name, "enabled": true, "targetResourceUri": target, "notifications": []any{},
			"profiles": []any{map[string]any{
				"name":     "default",
				"capacity": map[string]string{"minimum": "1", "maximum": "2", "default": "1"},
				"rules":    []any{},
			}},
		},
	}
}

package azure

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Alert rules and autoscale settings on classic VMs (rule alerts-autoscale,
// roles[].alertRules and roles[].autoscale). Service Management does not
// report them; Azure Monitor does, as Resource Manager resources of the
// subscription that point at the classic resources' Resource Manager ids.
// Three lists, each the subscription-scoped list of its REST spec
// (Azure/azure-rest-api-specs, specification/monitor/resource-manager/
// Microsoft.Insights):
//
//   - classic alert rules, AlertRules_ListBySubscription
//     (stable/2016-03-01/alertRules_API.json), each naming its target in
//     properties.condition.dataSource.resourceUri;
//   - metric alerts, MetricAlerts_ListBySubscription
//     (stable/2018-03-01/metricAlert_API.json), targets in
//     properties.scopes. Classic VMs and cloud service roles are among the
//     resource types metric alerts take (azure-docs azure-monitor/alerts/
//     alerts-metric-near-real-time.md, "Microsoft.ClassicCompute/
//     virtualMachines" and "Microsoft.ClassicCompute/domainNames/slots/
//     roles", single resource only);
//   - autoscale settings, AutoscaleSettings_ListBySubscription
//     (stable/2015-04-01/autoscale_API.json, pageable by nextLink), target
//     in properties.targetResourceUri. A classic VM autoscales as part of an
//     availability set of its cloud service (the Service Management
//     autoscale API addressed it as /virtualmachines/{cloud service}/
//     availabilitysets/{set}: azure-sdk-for-net, Microsoft.WindowsAzure.
//     Management.Monitoring.Utilities.AutoscaleResourceIdBuilder.
//     BuildVirtualMachineResourceId); Resource Manager names that set
//     Microsoft.ClassicCompute/domainNames/{cloud service}/availabilitySets/
//     {set} (the resource type of Microsoft.ClassicCompute's operation
//     "domainNames/availabilitySets/read", azure-docs role-based-access-
//     control/resource-provider-operations.md). A setting on a set marks
//     every role in that set; one on a role (domainNames/{cloud service}/
//     slots/{slot}/roles/{role}, the form Azure Monitor's autoscale
//     notifications name a classic role by) marks that role.
//
// What is not seen: alerts and settings kept in another subscription (the
// lists are the configured subscription's), and alert kinds that name no
// resource id of the VM (log search alerts on a workspace, activity log
// alerts scoped to a resource group or the subscription). Those the
// operator adds.

// monitorTarget is what a Resource Manager id of a classic compute
// resource names: a VM (by name; its resource group hints at the cloud
// service), a role of a cloud service, or an availability set of one.
type monitorTarget struct {
	rg, service, role, set string
}

// parseMonitorTarget reads a classic compute resource's Resource Manager
// id in subscription sub; ok is false for anything else (another
// subscription, another resource type, a cloud service as a whole).
func parseMonitorTarget(id, sub string) (monitorTarget, bool) {
	seg := strings.Split(strings.Trim(id, "/"), "/")
	eq := strings.EqualFold
	if len(seg) < 8 || !eq(seg[0], "subscriptions") || !eq(seg[1], sub) || !eq(seg[2], "resourceGroups") ||
		!eq(seg[4], "providers") || !eq(seg[5], "Microsoft.ClassicCompute") {
		return monitorTarget{}, false
	}
	t := monitorTarget{rg: seg[3]}
	rest := seg[6:]
	switch {
	case len(rest) == 2 && eq(rest[0], "virtualMachines"):
		t.role = rest[1]
	case len(rest) == 6 && eq(rest[0], "domainNames") && eq(rest[2], "slots") && eq(rest[4], "roles"):
		t.service, t.role = rest[1], rest[5]
	case len(rest) == 4 && eq(rest[0], "domainNames") && eq(rest[2], "availabilitySets"):
		t.service, t.set = rest[1], rest[3]
	default:
		return monitorTarget{}, false
	}
	return t, t.role != "" || t.set != ""
}

// roles returns the inventory roles t names. A VM is named alone in
// Resource Manager: its name picks it when one cloud service has a role of
// that name, else the cloud service whose resource group its id is in (as
// Azure shows a classic VM, armapi.ClassicResourceGroup); an ambiguous
// name picks none.
func (t monitorTarget) roles(inv *inventory.Inventory) []*inventory.Role {
	var out, byGroup []*inventory.Role
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		if t.service != "" && !strings.EqualFold(cs.Name, t.service) {
			continue
		}
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			if t.set != "" && strings.EqualFold(r.AvailabilitySet, t.set) ||
				t.role != "" && strings.EqualFold(r.Name, t.role) {
				out = append(out, r)
				if strings.EqualFold(armapi.ClassicResourceGroup(cs.Name), t.rg) {
					byGroup = append(byGroup, r)
				}
			}
		}
	}
	if t.service == "" && len(out) > 1 {
		if len(byGroup) == 1 {
			return byGroup
		}
		return nil
	}
	return out
}

// discoverMonitoring fills inv's roles' alertRules and autoscale from the
// subscription's classic alert rules, metric alerts and autoscale
// settings. A rule counts once per role it targets.
func (d *Driver) discoverMonitoring(ctx context.Context, inv *inventory.Inventory) error {
	sub := d.cfg.SubscriptionID
	base := strings.TrimSuffix(d.ep.arm, "/") + "/subscriptions/" + url.PathEscape(sub) + "/providers/Microsoft.Insights/"
	type alertRule struct {
		ID         string `json:"id"`
		Properties struct {
			Condition struct {
				DataSource struct {
					ResourceURI string `json:"resourceUri"`
				} `json:"dataSource"`
			} `json:"condition"`
		} `json:"properties"`
	}
	rules, err := listRegistered[alertRule](ctx, d, base+"alertrules?api-version="+url.QueryEscape(d.ep.api.AlertRules))
	if err != nil {
		return fmt.Errorf("discover alert rules: %w", err)
	}
	type metricAlert struct {
		ID         string `json:"id"`
		Properties struct {
			Scopes []string `json:"scopes"`
		} `json:"properties"`
	}
	metric, err := listRegistered[metricAlert](ctx, d, base+"metricAlerts?api-version="+url.QueryEscape(d.ep.api.MetricAlerts))
	if err != nil {
		return fmt.Errorf("discover metric alerts: %w", err)
	}
	type autoscaleSetting struct {
		Properties struct {
			TargetResourceURI string `json:"targetResourceUri"`
		} `json:"properties"`
	}
	settings, err := listRegistered[autoscaleSetting](ctx, d, base+"autoscalesettings?api-version="+url.QueryEscape(d.ep.api.Autoscale))
	if err != nil {
		return fmt.Errorf("discover autoscale settings: %w", err)
	}
	alerts := map[*inventory.Role]int{}
	count := func(targets []string) {
		seen := map[*inventory.Role]bool{}
		for _, id := range targets {
			t, ok := parseMonitorTarget(id, sub)
			if !ok {
				continue
			}
			for _, r := range t.roles(inv) {
				if !seen[r] {
					seen[r] = true
					alerts[r]++
				}
			}
		}
	}
	for _, a := range rules {
		count([]string{a.Properties.Condition.DataSource.ResourceURI})
	}
	for _, a := range metric {
		count(a.Properties.Scopes)
	}
	for r, n := range alerts {
		r.AlertRules = n
	}
	for _, s := range settings {
		if t, ok := parseMonitorTarget(s.Properties.TargetResourceURI, sub); ok {
			for _, r := range t.roles(inv) {
				r.Autoscale = true
			}
		}
	}
	return nil
}

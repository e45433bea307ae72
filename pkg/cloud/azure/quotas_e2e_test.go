package azure_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestDiscoverQuotas discovers target.quotas from the regional usages: a
// counter the served estate gives for a region comes back as that free
// count (the emulator splits it into a limit and a current value), the
// others as a new subscription's default limits, every region of the
// estate keyed as the inventory spells it.
func TestDiscoverQuotas(t *testing.T) {
	inv := cloudtest.Inventory()
	region := inv.CloudServices[0].Location
	if region == "" {
		region = inv.DefaultLocation
	}
	inv.NetworkSecurityGroups[0].Location = "North Europe"
	inv.Target.Quotas = map[string]inventory.Quota{region: {Cores: to.Ptr(3), RouteTables: to.Ptr(0), NetworkInterfaces: to.Ptr(70000)}}
	e := newEnv(t, inv, setup{})
	got, err := e.driver.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defaults := func(q inventory.Quota) inventory.Quota {
		set := func(p **int, v int) {
			if *p == nil {
				*p = to.Ptr(v)
			}
		}
		set(&q.Cores, 20)
		set(&q.NetworkInterfaces, 65536)
		set(&q.PublicIPAddresses, 10)
		set(&q.LoadBalancers, 1000)
		set(&q.NetworkSecurityGroups, 5000)
		set(&q.RouteTables, 200)
		return q
	}
	want := map[string]inventory.Quota{region: defaults(inv.Target.Quotas[region]), "North Europe": defaults(inventory.Quota{})}
	if !reflect.DeepEqual(got.Target.Quotas, want) {
		t.Errorf("quotas\n got %s\nwant %s", show(got.Target.Quotas), show(want))
	}
}

// show renders quotas with their counts, not their pointers.
func show(qs map[string]inventory.Quota) string {
	s := ""
	for r, q := range qs {
		s += r + ":"
		for _, p := range []*int{q.Cores, q.NetworkInterfaces, q.PublicIPAddresses, q.LoadBalancers, q.NetworkSecurityGroups, q.RouteTables} {
			if p == nil {
				s += " -"
			} else {
				s += fmt.Sprint(" ", *p)
			}
		}
		s += "; "
	}
	return s
}

// TestDiscoverUnregisteredProviders discovers a subscription registered
// for neither Microsoft.Insights nor Microsoft.Compute, as a classic-only
// subscription may be: Resource Manager answers 409
// MissingSubscriptionRegistration to their lists. Discovery goes on: such a
// subscription holds no alert rule or autoscale setting (a provider cannot
// be unregistered while its resources remain), and its compute quota is
// unknown, so it is left out rather than read as zero.
func TestDiscoverUnregisteredProviders(t *testing.T) {
	inv := cloudtest.Inventory()
	inv.CloudServices[0].Deployment.Roles[0].AlertRules = 2
	e := newEnv(t, inv, setup{emu: emulator.Options{Providers: map[string]string{
		"Microsoft.Insights": "NotRegistered", "Microsoft.Compute": "NotRegistered"}}})
	got, err := e.driver.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range got.CloudServices {
		for _, r := range cs.Deployment.Roles {
			if r.AlertRules != 0 || r.Autoscale {
				t.Errorf("%s/%s: alert rules %d, autoscale %v from an unregistered Microsoft.Insights", cs.Name, r.Name, r.AlertRules, r.Autoscale)
			}
		}
	}
	if len(got.Target.Quotas) == 0 {
		t.Fatal("no quotas: Microsoft.Network's should still be read")
	}
	for region, q := range got.Target.Quotas {
		if q.Cores != nil || q.NetworkInterfaces == nil {
			t.Errorf("%s: %s, want no cores counter and the network counters", region, show(map[string]inventory.Quota{region: q}))
		}
	}
}

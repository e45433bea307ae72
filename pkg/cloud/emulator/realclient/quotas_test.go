package realclient_test

import (
	"encoding/json"
	"testing"
)

// TestUsageReads reads the regional usages behind target.quotas with
// azure.mgmt.compute and azure.mgmt.network: in every-rule's West US, each
// counter's limit - currentValue is the free count the estate gives; in a
// region it gives none, the default limits with nothing used.
func TestUsageReads(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.mgmt.network")
	inv := everyRuleEstate(t)
	raw := runClassicRMScript(t, py, "quotas.py", inv, "westus", "northeurope")
	var got map[string]map[string]struct{ Free, Current int64 }
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("quotas.py: %v\n%s", err, raw)
	}
	q := inv.Target.Quotas["West US"]
	for counter, free := range map[string]*int{
		"compute/cores": q.Cores, "network/NetworkInterfaces": q.NetworkInterfaces,
		"network/PublicIPAddresses": q.PublicIPAddresses, "network/LoadBalancers": q.LoadBalancers,
		"network/NetworkSecurityGroups": q.NetworkSecurityGroups, "network/RouteTables": q.RouteTables,
	} {
		if g, ok := got["westus"][counter]; !ok || g.Free != int64(*free) {
			t.Errorf("westus %s: %+v (listed %v), want free %d", counter, g, ok, *free)
		}
		if g := got["northeurope"][counter]; g.Current != 0 || g.Free == 0 {
			t.Errorf("northeurope %s: %+v, want a default limit with nothing used", counter, g)
		}
	}
	golden(t, "quotas.golden.json", raw)
}

package realclient_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDiscoveryNetworkReads makes the reads discovery adds to the lists
// (gateway, connections, a subnet's route table, application gateways,
// boot diagnostics, agent and extension statuses, affinity group) through
// the Node clients over the estate that fires every rule, and checks the
// facts the rules depend on as the libraries parse them; the whole answer
// is a golden file. The ExpressRoute circuit reads have no Node client
// (testdata/discover_network.js says why).
func TestDiscoveryNetworkReads(t *testing.T) {
	inv := everyRuleEstate(t)
	e := newASMEnvWith(t, inv)
	raw := e.runRaw("discover_network")
	var out struct {
		VNets []struct {
			Name       string `json:"name"`
			LocalSites []struct {
				Name         string   `json:"name"`
				AddressSpace []string `json:"addressSpace"`
				Connections  []string `json:"connections"`
			} `json:"localSites"`
			Subnets []struct {
				Name       string `json:"name"`
				RouteTable string `json:"routeTable"`
			} `json:"subnets"`
			Connections []struct {
				Site  string `json:"site"`
				State string `json:"state"`
			} `json:"connections"`
			Gateway *struct {
				Type string `json:"type"`
				Size string `json:"size"`
			} `json:"gateway"`
		} `json:"vnets"`
		AppGateways []struct {
			Name string `json:"name"`
			VNet string `json:"vnet"`
		} `json:"applicationGateways"`
		Services map[string]struct {
			AffinityGroup string `json:"affinityGroup"`
			Roles         []struct {
				Name            string `json:"name"`
				BootDiagnostics bool   `json:"bootDiagnostics"`
				SerialOutput    string `json:"serialOutput"`
			} `json:"roles"`
			Instances []struct {
				Name       string   `json:"name"`
				Agent      string   `json:"agent"`
				Extensions []string `json:"extensions"`
			} `json:"instances"`
		} `json:"services"`
		ExtensionVersions map[string][]struct {
			Version         string `json:"version"`
			IsJSONExtension bool   `json:"isJsonExtension"`
		} `json:"extensionVersions"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	var facts []string
	for _, v := range out.VNets {
		for _, s := range v.LocalSites {
			facts = append(facts, "site "+v.Name+"/"+s.Name+" "+strings.Join(s.Connections, ",")+" "+strings.Join(s.AddressSpace, ","))
		}
		if v.Gateway != nil {
			facts = append(facts, "gateway "+v.Name+" "+v.Gateway.Type+" "+v.Gateway.Size)
		}
		for _, c := range v.Connections {
			facts = append(facts, "connection "+v.Name+"/"+c.Site+" "+c.State)
		}
		for _, sn := range v.Subnets {
			if sn.RouteTable != "" {
				facts = append(facts, "routetable "+v.Name+"/"+sn.Name+" "+sn.RouteTable)
			}
		}
	}
	for _, a := range out.AppGateways {
		facts = append(facts, "appgw "+a.Name+" "+a.VNet)
	}
	for name, s := range out.Services {
		if s.AffinityGroup != "" {
			facts = append(facts, "affinity "+name+" "+s.AffinityGroup)
		}
		for _, r := range s.Roles {
			if r.BootDiagnostics {
				facts = append(facts, "bootdiag "+r.Name+" "+r.SerialOutput)
			}
		}
		for _, i := range s.Instances {
			if i.Agent != "" {
				facts = append(facts, "agent "+i.Name+" "+i.Agent+" "+strings.Join(i.Extensions, ","))
			}
		}
	}
	for k, vs := range out.ExtensionVersions {
		for _, v := range vs {
			if !v.IsJSONExtension {
				facts = append(facts, "xml extension "+k+" "+v.Version)
			}
		}
	}
	got := strings.Join(facts, "\n")
	for _, want := range []string{
		"site every-vnet/classic-circuit Dedicated",
		"site every-vnet/hq IPsec 192.168.1.0/16",
		"connection every-vnet/hq NotConnected",
		"routetable every-vnet/web web-routes",
		"appgw every-appgw every-vnet",
		"affinity every-legacy",
		"bootdiag web1 https://everypremium.blob.core.windows.net/",
		"agent web1 NotReady",
		"gateway every-vnet DynamicRouting Standard",
		"xml extension Microsoft.Compute/BGInfo 1.0",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the Node clients did not read %q; they read:\n%s", want, got)
		}
	}
	golden(t, "discover_network.golden.json", raw)
}

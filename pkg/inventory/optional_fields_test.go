package inventory

import (
	"reflect"
	"testing"
)

// TestOptionalPlatformFields loads the optional fields the Prepare-time
// rules read (agent and extension status, affinity group, gateway
// connections) and checks an unknown connection state is refused.
func TestOptionalPlatformFields(t *testing.T) {
	doc := `{"schemaVersion":1,"subscriptionId":"6c1b0b6f-0000-4000-8000-000000000001","defaultLocation":"West US",
"virtualNetworks":[{"name":"v","addressSpace":["10.0.0.0/16"],"subnets":[{"name":"s","addressPrefix":"10.0.1.0/24"}],
 "gateways":[{"kind":"Vpn","connections":[{"localNetworkSite":"hq","addressSpace":["192.168.1.0/16"],"state":"NotConnected"}]}]}],
"storageAccounts":[{"name":"st","accountType":"Standard_LRS","disks":[{"name":"d","vhdUri":"https://st.blob.core.windows.net/vhds/d.vhd","sizeGiB":30}]}],
"cloudServices":[{"name":"cs","affinityGroup":"ag1","deployment":{"name":"dp","virtualNetwork":"v","roles":[
 {"name":"vm","kind":"VirtualMachine","size":"Small","subnets":["s"],"osDisk":"d","agentStatus":"NotReady",
  "extensions":[{"publisher":"Microsoft.Compute","name":"BGInfo","format":"json","status":"NotReported"}]}]}}]}`
	inv, err := Parse("t.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	cs := inv.CloudServices[0]
	r := cs.Deployment.Roles[0]
	if cs.AffinityGroup != "ag1" || r.AgentStatus != AgentNotReady || r.Extensions[0].Status != ExtensionNotReported {
		t.Errorf("got affinity %q agent %q extension status %q", cs.AffinityGroup, r.AgentStatus, r.Extensions[0].Status)
	}
	want := []GatewayConnection{{LocalNetworkSite: "hq", AddressSpace: []string{"192.168.1.0/16"}, State: "NotConnected"}}
	if got := inv.VirtualNetworks[0].Gateways[0].Connections; !reflect.DeepEqual(got, want) {
		t.Errorf("connections %+v, want %+v", got, want)
	}

	bad := `{"schemaVersion":1,"subscriptionId":"6c1b0b6f-0000-4000-8000-000000000001","defaultLocation":"West US",
"virtualNetworks":[{"name":"v","addressSpace":["10.0.0.0/16"],"gateways":[{"kind":"Vpn","connections":[{"localNetworkSite":"hq","state":"Up"}]}]}]}`
	if _, err := Parse("t.json", []byte(bad)); err == nil {
		t.Error("state Up accepted")
	}
}

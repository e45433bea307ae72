package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Prepare fails the way the platform's does for what its Validate skips
// (deep dive, "Checks not done in the validate operation"; "common
// migration errors" for the strings): Validate gives no Error, Prepare
// answers a *cloud.OperationError with the platform's message and the
// FAQ's advice, the unit is left PrepareFailed, and Abort takes it back.
func TestPrepareFailsOnWhatValidateSkips(t *testing.T) {
	t.Parallel()
	app := func(inv *inventory.Inventory) *inventory.Role { return &inv.CloudServices[1].Deployment.Roles[0] }
	tests := []struct {
		name   string
		edit   func(inv *inventory.Inventory)
		unit   string
		prefix string // the start of the message; "" when Prepare must go through
	}{
		{"agent not ready", func(inv *inventory.Inventory) {
			app(inv).AgentStatus = inventory.AgentNotReady
			app(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics"}}
		}, cloudtest.UnitVNet,
			"VM Agent for VM app1 in HostedService suite-app is reporting the overall agent status as Not Ready. Hence, the VM may not be migrated, if it has a migratable extension."},
		{"agent not ready, stopped VM", func(inv *inventory.Inventory) {
			app(inv).AgentStatus = inventory.AgentNotReady
			app(inv).State = "StoppedDeallocated"
			app(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics"}}
		}, cloudtest.UnitVNet, ""},
		{"agent not ready, XML extension only", func(inv *inventory.Inventory) {
			// web1 carries BGInfo (XML), which the platform does not migrate.
			inv.CloudServices[0].Deployment.Roles[0].AgentStatus = inventory.AgentNotReady
		}, cloudtest.UnitVNet, ""},
		{"extension not reported", func(inv *inventory.Inventory) {
			app(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics", Status: inventory.ExtensionNotReported}}
		}, cloudtest.UnitVNet,
			"VM app1 in HostedService suite-app contains Extension IaaSDiagnostics whose Status isn't being reported from the VM. Hence, this VM can't be migrated."},
		{"extension handler status", func(inv *inventory.Inventory) {
			app(inv).Extensions = []inventory.Extension{{Publisher: "Microsoft.Azure.Diagnostics", Name: "IaaSDiagnostics", Status: "Unresponsive"}}
		}, cloudtest.UnitVNet,
			"VM app1 in HostedService suite-app contains Extension IaaSDiagnostics reporting Handler Status: Unresponsive. Hence, the VM can't be migrated."},
		{"affinity group", func(inv *inventory.Inventory) {
			inv.CloudServices[2].AffinityGroup = "old-ag"
		}, cloudtest.UnitLegacy,
			"Migration isn't allowed for Deployment suite-legacy-prod in HostedService suite-legacy as it isn't in the regional scope. Refer to https://aka.ms/regionalscope"},
		{"gateway connection not connected", func(inv *inventory.Inventory) {
			inv.VirtualNetworks[0].Gateways = []inventory.Gateway{{Kind: inventory.GatewayVpn, Connections: []inventory.GatewayConnection{
				{LocalNetworkSite: "onprem", AddressSpace: []string{"192.168.0.0/16"}, State: "NotConnected"}}}}
		}, cloudtest.UnitVNet,
			"Migration isn't allowed for Virtual Network suite-vnet because its Vpn gateway connection to local network site onprem is in state NotConnected"},
		{"gateway connection connected", func(inv *inventory.Inventory) {
			inv.VirtualNetworks[0].Gateways = []inventory.Gateway{{Kind: inventory.GatewayVpn, Connections: []inventory.GatewayConnection{
				{LocalNetworkSite: "onprem", State: inventory.ConnectionConnected}}}}
		}, cloudtest.UnitVNet, ""},
		{"storage account before its VMs", func(*inventory.Inventory) {}, cloudtest.UnitStorage,
			"Storage account suitevhds has Disk web1-os attached to VM web1 in HostedService suite-web which has not been migrated yet."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := cloudtest.Inventory()
			tc.edit(inv)
			s := open(t, t.TempDir(), inv, sim.Options{})
			ctx := t.Context()
			msgs, err := s.Validate(ctx, cloudtest.Target(tc.unit))
			must(t, err)
			for _, m := range msgs {
				if m.Category == "Error" {
					t.Fatalf("Validate gave an Error the platform's does not: %+v", m)
				}
			}
			err = s.Prepare(ctx, cloudtest.Target(tc.unit))
			if tc.prefix == "" {
				must(t, err)
				if st := mustState(t, s, tc.unit); st != cloud.StatePrepared {
					t.Fatalf("State = %s, want Prepared", st)
				}
				return
			}
			var oe *cloud.OperationError
			if !errors.As(err, &oe) || !strings.HasPrefix(oe.Message, tc.prefix) {
				t.Fatalf("Prepare = %v, want *cloud.OperationError %q...", err, tc.prefix)
			}
			if !strings.HasSuffix(oe.Message, "abort its migration, fix the cause, then prepare it again.") {
				t.Errorf("Prepare's message %q has no abort-fix-retry advice", oe.Message)
			}
			if st := mustState(t, s, tc.unit); st != cloud.StatePrepareFailed {
				t.Fatalf("State = %s, want PrepareFailed", st)
			}
			must(t, s.Abort(ctx, cloudtest.Target(tc.unit)))
			if st := mustState(t, s, tc.unit); st != cloud.StateNone {
				t.Fatalf("State after Abort = %s, want None", st)
			}
		})
	}
}

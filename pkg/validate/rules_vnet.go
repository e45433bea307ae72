package validate

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Rules about classic VNets, their gateways and what is deployed into them.

func checkApplicationGateway(c *checker) {
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		for _, ag := range vn.ApplicationGateways {
			c.add(inventory.VNetID(vn.Name), fmt.Sprintf("Migration isn't supported for Virtual Network %s because it has non-gateway PaaS deployments: Application Gateway %s.",
				vn.Name, ag.Name))
		}
	}
}

func checkVNetPeering(c *checker) {
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		for _, pe := range vn.Peerings {
			to := ""
			if pe.RemoteVirtualNetwork != "" {
				to = " to " + pe.RemoteVirtualNetwork
			}
			c.add(inventory.VNetID(vn.Name), fmt.Sprintf("Migration isn't supported for Virtual Network %s because it has Peering %s%s.",
				vn.Name, pe.Name, to))
		}
	}
}

// checkVNetWebWorkerRoles gathers, per VNet, the cloud services with VMs and
// those with web/worker roles in one pass over the cloud services.
func checkVNetWebWorkerRoles(c *checker) {
	type kinds struct{ vms, paas []string }
	byVNet := map[string]*kinds{}
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		if cs.Deployment.VirtualNetwork == "" {
			continue
		}
		var hasVM, hasPaaS bool
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			hasVM = hasVM || isVM(r)
			hasPaaS = hasPaaS || isWebWorker(r)
		}
		k := inventory.Key(cs.Deployment.VirtualNetwork)
		g := byVNet[k]
		if g == nil {
			g = &kinds{}
			byVNet[k] = g
		}
		if hasVM {
			g.vms = append(g.vms, cs.Name)
		}
		if hasPaaS {
			g.paas = append(g.paas, cs.Name)
		}
	}
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		g := byVNet[inventory.Key(vn.Name)]
		if g == nil || len(g.vms) == 0 || len(g.paas) == 0 {
			continue
		}
		c.add(inventory.VNetID(vn.Name), fmt.Sprintf("Migration isn't supported for Virtual Network %s because it holds both Virtual Machine deployments (HostedService %s) and PaaS deployments (Web/Worker) (HostedService %s).",
			vn.Name, strings.Join(g.vms, ", "), strings.Join(g.paas, ", ")))
	}
}

// eachExpressRoute calls fn for every ExpressRoute gateway whose circuit
// resolves.
func (c *checker) eachExpressRoute(fn func(vn *inventory.VirtualNetwork, g inventory.Gateway, ci *inventory.ExpressRouteCircuit)) {
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		for _, g := range vn.Gateways {
			if !strings.EqualFold(g.Kind, inventory.GatewayExpressRoute) {
				continue
			}
			if ci := c.ix.Circuits[inventory.Key(g.Circuit)]; ci != nil {
				fn(vn, g, ci)
			}
		}
	}
}

func checkClassicExpressRouteCircuit(c *checker) {
	c.eachExpressRoute(func(vn *inventory.VirtualNetwork, g inventory.Gateway, ci *inventory.ExpressRouteCircuit) {
		if strings.EqualFold(ci.Model, "Classic") {
			c.add(inventory.GatewayID(vn.Name, g.Kind), fmt.Sprintf("The ExpressRoute gateway of Virtual Network %s uses circuit %s, which is in the classic deployment model; migration needs the circuit in Azure Resource Manager.",
				vn.Name, ci.Name))
		}
	})
}

func checkExpressRouteOtherSubscription(c *checker) {
	c.eachExpressRoute(func(vn *inventory.VirtualNetwork, g inventory.Gateway, ci *inventory.ExpressRouteCircuit) {
		if ci.SubscriptionID != "" && !strings.EqualFold(ci.SubscriptionID, c.inv.SubscriptionID) {
			c.add(inventory.GatewayID(vn.Name, g.Kind), fmt.Sprintf("The ExpressRoute gateway of Virtual Network %s uses circuit %s in subscription %s; only ExpressRoute gateways with a circuit in the same subscription are migrated.",
				vn.Name, ci.Name, ci.SubscriptionID))
		}
	})
}

func checkExpressRouteAndVPN(c *checker) {
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		var er, vpn bool
		for _, g := range vn.Gateways {
			er = er || strings.EqualFold(g.Kind, inventory.GatewayExpressRoute)
			vpn = vpn || strings.EqualFold(g.Kind, inventory.GatewayVpn)
		}
		if er && vpn {
			c.add(inventory.VNetID(vn.Name), fmt.Sprintf("Virtual Network %s has both an ExpressRoute gateway and a VPN gateway, which can't be migrated together (Validate passes, Prepare fails).",
				vn.Name))
		}
	}
}

// platformService returns the check for one platform service deployed into
// a VNet; what names it in messages.
func platformService(service, what string) func(c *checker) {
	return func(c *checker) {
		for i := range c.inv.VirtualNetworks {
			vn := &c.inv.VirtualNetworks[i]
			for _, s := range vn.PlatformServices {
				if strings.EqualFold(s, service) {
					c.add(inventory.VNetID(vn.Name), fmt.Sprintf("Migration isn't supported for Virtual Network %s because it has %s (%s) deployed into it.",
						vn.Name, what, service))
					break
				}
			}
		}
	}
}

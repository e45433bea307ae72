// The reads `migrate inventory discover` makes beyond the resource lists,
// through Microsoft's Node clients: each VNet's gateway (GatewayOperations
// .get) and its connections (listConnections), each subnet's route table
// (RouteOperations.getRouteTableForSubnet), the application gateways
// (ApplicationGatewayOperations.list), the sites' local network sites and
// subnets' NSGs (NetworkOperations.list), and per role its boot
// diagnostics, VM agent and extension statuses, extension versions and
// whether each takes JSON, and the service's affinity
// group (HostedServiceOperations.getDetailed). Prints what the libraries
// parsed as JSON for the Go test to check.
//
// The ExpressRoute circuit reads (dedicatedcircuits, authorized circuits,
// their VNet links) have no Node client: the azure-asm-* family on npm
// has none for ExpressRoute (Microsoft shipped that Service Management
// client for .NET only, Microsoft.WindowsAzure.Management.ExpressRoute),
// so the Go suite's driver round trip is their only check.
'use strict';
const { compute, network, call } = require('./asm');

async function main() {
  const out = {};
  const must = async (name, obj, method, ...args) => {
    const r = await call(obj, method, ...args);
    if (!r.ok) {
      throw new Error(`${name}: ${r.status} ${r.code} ${r.message}`);
    }
    return r.result;
  };
  // 404 is an answer for a subnet without a route table.
  const maybe = async (obj, method, ...args) => {
    const r = await call(obj, method, ...args);
    if (!r.ok && r.status !== 404) {
      throw new Error(`${method}: ${r.status} ${r.code} ${r.message}`);
    }
    return r.ok ? r.result : null;
  };
  const vnets = await must('networks.list', network.networks, 'list');
  out.vnets = [];
  for (const v of vnets.virtualNetworkSites) {
    const site = {
      name: v.name,
      subnets: [],
      localSites: v.gateway ? (v.gateway.sites || []).map((s) => ({
        name: s.name,
        addressSpace: s.addressSpace ? s.addressSpace.addressPrefixes : [],
        connections: (s.connections || []).map((c) => c.type),
      })) : null,
    };
    for (const sn of v.subnets) {
      const rt = await maybe(network.routes, 'getRouteTableForSubnet', v.name, sn.name);
      site.subnets.push({ name: sn.name, nsg: sn.networkSecurityGroup, routeTable: rt ? rt.routeTableName : null });
    }
    if (v.gateway) {
      const g = await must('gateways.get', network.gateways, 'get', v.name);
      site.gateway = { type: g.gatewayType, size: g.gatewaySKU, state: g.state };
      const cs = await must('gateways.listConnections', network.gateways, 'listConnections', v.name);
      site.connections = cs.connections.map((c) => ({ site: c.localNetworkSiteName, state: c.connectivityState }));
    }
    out.vnets.push(site);
  }
  const ags = await must('applicationGateways.list', network.applicationGateways, 'list');
  out.applicationGateways = ags.applicationGateways.map((a) => ({ name: a.name, vnet: a.vnetName }));
  const hs = await must('hostedServices.list', compute.hostedServices, 'list');
  out.services = {};
  for (const s of hs.hostedServices) {
    const d = await must('hostedServices.getDetailed', compute.hostedServices, 'getDetailed', s.serviceName);
    out.services[s.serviceName] = {
      affinityGroup: d.properties.affinityGroup,
      roles: [].concat(...d.deployments.map((dep) => dep.roles.map((r) => ({
        name: r.roleName,
        bootDiagnostics: r.debugSettings ? r.debugSettings.bootDiagnosticsEnabled : null,
        serialOutput: r.debugSettings ? r.debugSettings.serialOutputBlobUri : null,
      })))),
      instances: [].concat(...d.deployments.map((dep) => dep.roleInstances.map((i) => ({
        name: i.roleName,
        agent: i.guestAgentStatus ? i.guestAgentStatus.status : null,
        extensions: (i.resourceExtensionStatusList || []).map((x) => `${x.handlerName}=${x.status}`),
      })))),
    };
  }
  // Whether a role's extension is a legacy XML one is said by the
  // extension's versions (List Resource Extension Versions), not by the
  // reference: every referenced extension, once.
  out.extensionVersions = {};
  for (const s of hs.hostedServices) {
    const d = await must('hostedServices.getDetailed', compute.hostedServices, 'getDetailed', s.serviceName);
    for (const dep of d.deployments) {
      for (const r of dep.roles) {
        for (const x of r.resourceExtensionReferences || []) {
          const k = `${x.publisher}/${x.name}`;
          if (out.extensionVersions[k]) {
            continue;
          }
          const v = await must('virtualMachineExtensions.listVersions', compute.virtualMachineExtensions, 'listVersions', x.publisher, x.name);
          out.extensionVersions[k] = v.resourceExtensions.map((e) => ({ version: e.version, isJsonExtension: e.isJsonExtension }));
        }
      }
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });

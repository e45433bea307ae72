// Every Service Management read `migrate inventory discover` and the azure
// driver make, through Microsoft's Node clients; prints what the libraries
// parsed as JSON for the Go test to check.
'use strict';
const { compute, network, storage, call } = require('./asm');

async function main() {
  const out = {};
  const must = async (name, obj, method, ...args) => {
    const r = await call(obj, method, ...args);
    if (!r.ok) {
      throw new Error(`${name}: ${r.status} ${r.code} ${r.message}`);
    }
    return r.result;
  };
  const hs = await must('hostedServices.list', compute.hostedServices, 'list');
  out.hostedServices = hs.hostedServices.map((s) => s.serviceName);
  out.detailed = {};
  for (const name of out.hostedServices) {
    const d = await must('hostedServices.getDetailed', compute.hostedServices, 'getDetailed', name);
    out.detailed[name] = {
      label: d.properties.label,
      location: d.properties.location,
      deployments: d.deployments.map((dep) => ({
        name: dep.name,
        slot: dep.deploymentSlot,
        virtualNetworkName: dep.virtualNetworkName,
        roles: dep.roles.map((r) => ({
          name: r.roleName,
          migrationState: r.migrationState,
          osMediaLink: r.oSVirtualHardDisk ? r.oSVirtualHardDisk.mediaLink : undefined,
          dataMediaLinks: (r.dataVirtualHardDisks || []).map((x) => x.mediaLink),
          endpoints: [].concat(...(r.configurationSets || []).map((c) => (c.inputEndpoints || []).map((e) => ({
            name: e.name, port: e.port, localPort: e.localPort,
            aclRules: e.endpointAcl ? e.endpointAcl.rules.length : 0,
          })))),
          subnets: [].concat(...(r.configurationSets || []).map((c) => c.subnetNames || [])),
        })),
      })),
    };
  }
  const first = out.hostedServices[0];
  const depName = out.detailed[first].deployments[0].name;
  const byName = await must('deployments.getByName', compute.deployments, 'getByName', first, depName);
  out.byName = { name: byName.name, roleStates: byName.roles.map((r) => r.migrationState) };
  const bySlot = await must('deployments.getBySlot', compute.deployments, 'getBySlot', first, 'Production');
  out.bySlot = { name: bySlot.name };

  const vnets = await must('networks.list', network.networks, 'list');
  out.vnets = vnets.virtualNetworkSites.map((v) => ({ name: v.name, migrationState: v.migrationState, subnets: v.subnets.map((s) => s.name) }));
  const accts = await must('storageAccounts.list', storage.storageAccounts, 'list');
  out.storage = accts.storageAccounts.map((a) => ({ name: a.name, migrationState: a.migrationState, location: a.properties.location }));
  const acct = await must('storageAccounts.get', storage.storageAccounts, 'get', out.storage[0].name);
  out.storageGet = { name: acct.storageAccount.name, migrationState: acct.storageAccount.migrationState };
  const disks = await must('virtualMachineDisks.listDisks', compute.virtualMachineDisks, 'listDisks');
  out.disks = disks.disks.map((d) => ({ name: d.name, mediaLink: d.mediaLinkUri, attachedTo: d.usageDetails ? d.usageDetails.roleName : undefined }));
  const images = await must('virtualMachineOSImages.list', compute.virtualMachineOSImages, 'list');
  out.images = images.images.map((i) => i.name);
  const vmImages = await must('virtualMachineVMImages.list', compute.virtualMachineVMImages, 'list');
  out.vmImages = vmImages.vMImages.map((i) => i.name);
  const rips = await must('reservedIPs.list', network.reservedIPs, 'list');
  out.reservedIPs = rips.reservedIPs.map((r) => r.name);
  out.reservedIPGet = (await must('reservedIPs.get', network.reservedIPs, 'get', out.reservedIPs[0])).name;
  const nsgs = await must('networkSecurityGroups.list', network.networkSecurityGroups, 'list');
  out.nsgs = nsgs.networkSecurityGroups.map((n) => n.name);
  const nsg = await must('networkSecurityGroups.get', network.networkSecurityGroups, 'get', out.nsgs[0], 'Full');
  out.nsgGet = { name: nsg.name, rules: (nsg.rules || []).length };
  const rts = await must('routes.listRouteTables', network.routes, 'listRouteTables');
  out.routeTables = rts.routeTables.map((r) => r.name);
  const rt = await must('routes.getRouteTableWithDetails', network.routes, 'getRouteTableWithDetails', out.routeTables[0], 'full');
  out.routeTableGet = { name: rt.routeTable.name, routes: (rt.routeTable.routeList || []).length };
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });

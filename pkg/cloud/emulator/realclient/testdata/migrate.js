// Drives one migration unit through the migration calls of Microsoft's Node
// clients, each Prepare/Commit/Abort polled by the library's own
// operation-status loop, and reads the unit's migration state the way the
// library reads it after every step.
//
// usage: node migrate.js KIND NAME [DEPLOYMENT] -- OP...
// OP is validate, prepare, commit, abort or state. Prints a JSON array of
// {op, ok, status, code, message, messages, state}.
'use strict';
const { compute, network, storage, call } = require('./asm');

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [kind, name, deployment] = argv.slice(0, sep);
const ops = argv.slice(sep + 1);

// newVNet is what a deployment outside a VNet sends: the library requires
// all four fields and serializes them into <DeploymentNetworkResource>.
const newVNet = { destinationVirtualNetwork: 'New', resourceGroupName: '', subNetName: '', virtualNetworkName: '' };

const calls = {
  cloudservice: {
    validate: () => call(compute.deployments, 'validateMigration', name, deployment, newVNet),
    prepare: () => call(compute.deployments, 'prepareMigration', name, deployment, newVNet),
    commit: () => call(compute.deployments, 'commitMigration', name, deployment),
    abort: () => call(compute.deployments, 'abortMigration', name, deployment),
  },
  vnet: {
    validate: () => call(network.networks, 'validateMigration', name),
    prepare: () => call(network.networks, 'prepareMigration', name),
    commit: () => call(network.networks, 'commitMigration', name),
    abort: () => call(network.networks, 'abortMigration', name),
  },
  storage: {
    validate: () => call(storage.storageAccounts, 'validateMigration', name),
    prepare: () => call(storage.storageAccounts, 'prepareMigration', name),
    commit: () => call(storage.storageAccounts, 'commitMigration', name),
    abort: () => call(storage.storageAccounts, 'abortMigration', name),
  },
  nsg: {
    validate: () => call(network.networkSecurityGroups, 'validateMigration', name),
    prepare: () => call(network.networkSecurityGroups, 'prepareMigration', name),
    commit: () => call(network.networkSecurityGroups, 'commitMigration', name),
    abort: () => call(network.networkSecurityGroups, 'abortMigration', name),
  },
  reservedip: {
    validate: () => call(network.reservedIPs, 'validateMigration', name),
    prepare: () => call(network.reservedIPs, 'prepareMigration', name),
    commit: () => call(network.reservedIPs, 'commitMigration', name),
    abort: () => call(network.reservedIPs, 'abortMigration', name),
  },
  routetable: {
    validate: () => call(network.routes, 'validateMigration', name),
    prepare: () => call(network.routes, 'prepareMigration', name),
    commit: () => call(network.routes, 'commitMigration', name),
    abort: () => call(network.routes, 'abortMigration', name),
  },
};

// state reads the unit's migration state where the library reads it:
// "gone" when the resource is no longer there. The network clients do not
// read a MigrationState on an NSG, route table or reserved IP: for those
// the answer is "exists" or "gone".
async function state() {
  const gone = (r) => !r.ok && r.status === 404;
  switch (kind) {
    case 'cloudservice': {
      const r = await call(compute.deployments, 'getByName', name, deployment);
      if (gone(r)) return 'gone';
      if (!r.ok) return `error ${r.status} ${r.code}`;
      const states = [...new Set(r.result.roles.map((x) => x.migrationState))];
      return states.join(',');
    }
    case 'vnet': {
      const r = await call(network.networks, 'list');
      if (!r.ok) return `error ${r.status} ${r.code}`;
      const site = r.result.virtualNetworkSites.find((s) => s.name.toLowerCase() === name.toLowerCase());
      return site ? site.migrationState : 'gone';
    }
    case 'storage': {
      const r = await call(storage.storageAccounts, 'get', name);
      if (gone(r)) return 'gone';
      if (!r.ok) return `error ${r.status} ${r.code}`;
      return r.result.storageAccount.migrationState;
    }
    case 'nsg': {
      const r = await call(network.networkSecurityGroups, 'get', name, 'Full');
      return gone(r) ? 'gone' : r.ok ? 'exists' : `error ${r.status} ${r.code}`;
    }
    case 'reservedip': {
      const r = await call(network.reservedIPs, 'get', name);
      return gone(r) ? 'gone' : r.ok ? 'exists' : `error ${r.status} ${r.code}`;
    }
    case 'routetable': {
      const r = await call(network.routes, 'getRouteTable', name);
      return gone(r) ? 'gone' : r.ok ? 'exists' : `error ${r.status} ${r.code}`;
    }
  }
  throw new Error(`unknown kind ${kind}`);
}

async function main() {
  const out = [];
  for (const op of ops) {
    const step = { op };
    if (op !== 'state') {
      const r = await calls[kind][op]();
      step.ok = r.ok;
      if (r.ok) {
        step.status = r.result.statusCode;
        step.opStatus = r.result.status;
        const msgs = r.result.validateDeploymentMessages || r.result.validationMessages || r.result.validateStorageMessages;
        if (msgs) step.messages = msgs.map((m) => `${m.category}: ${m.message}`);
      } else {
        Object.assign(step, { status: r.status, code: r.code, message: r.message });
      }
    }
    step.state = await state();
    out.push(step);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });

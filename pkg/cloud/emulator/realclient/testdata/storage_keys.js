// The reads `migrate inventory discover` makes before it asks the Blob
// service for each disk's size, through Microsoft's Node clients: the
// classic storage accounts (azure-asm-storage list), each account's keys
// (getKeys: GET /{sub}/services/storageservices/{name}/keys) and the
// registered disks with their MediaLink and logical size
// (azure-asm-compute virtualMachineDisks.listDisks). Prints JSON; the keys
// go to the Go test, which hands them to blob_sizes.py.
'use strict';
const { compute, storage, call } = require('./asm');

async function main() {
  const must = async (name, obj, method, ...args) => {
    const r = await call(obj, method, ...args);
    if (!r.ok) {
      throw new Error(`${name}: ${r.status} ${r.code} ${r.message}`);
    }
    return r.result;
  };
  const out = { accounts: [], disks: [] };
  const accts = await must('storageAccounts.list', storage.storageAccounts, 'list');
  for (const a of accts.storageAccounts) {
    const k = await must('storageAccounts.getKeys', storage.storageAccounts, 'getKeys', a.name);
    out.accounts.push({ name: a.name, uri: k.uri, primaryKey: k.primaryKey, secondaryKey: k.secondaryKey });
  }
  const missing = await call(storage.storageAccounts, 'getKeys', 'nosuchaccount');
  out.missingAccount = { status: missing.status, code: missing.code };
  const disks = await must('virtualMachineDisks.listDisks', compute.virtualMachineDisks, 'listDisks');
  out.disks = disks.disks.map((d) => ({ name: d.name, mediaLink: d.mediaLinkUri, logicalSizeInGB: d.logicalSizeInGB }));
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});

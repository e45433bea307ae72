// Shared set-up of the Service Management scenarios: Microsoft's own Node
// clients (azure-asm-compute, -network, -storage with azure-common's
// TokenCloudCredentials) pointed at the emulator. Environment: BASE_URI,
// SUBSCRIPTION_ID, TOKEN; NODE_EXTRA_CA_CERTS trusts the emulator.
'use strict';
const common = require('azure-common');
const compute = require('azure-asm-compute');
const network = require('azure-asm-network');
const storage = require('azure-asm-storage');

const creds = new common.TokenCloudCredentials({
  subscriptionId: process.env.SUBSCRIPTION_ID,
  token: process.env.TOKEN,
});
const base = process.env.BASE_URI;

// emptyBody works around a bug of the libraries, not a protocol
// difference: a POST they build without a body (beginCommitMigration and
// beginAbortMigration of every client, the network and storage clients'
// begin{Validate,Prepare}Migration) is never sent. Observed with
// azure-common 0.9.27 (request 2.88.2, Node 20): NODE_DEBUG=request shows the
// request object created and nothing after it, the emulator logs no
// request, the callback never runs and node exits 0 with the call unsent;
// the generated code leaves httpRequest.body unset, while azure-common's
// WebResource.pipeInput (lib/http/webresource.js) treats a POST without a
// body as one whose body is to be piped in. Giving such a POST an empty
// body sends what the library means to send: a POST with Content-Length: 0.
function emptyBody(options, next, callback) {
  if (options.method === 'POST' && options.body === undefined) {
    options.body = '';
  }
  return next(options, callback);
}

function fast(c) {
  c.withFilter(emptyBody);
  // The libraries wait 30 s between operation-status reads unless told
  // otherwise; the emulator's operations take milliseconds.
  c.longRunningOperationInitialTimeout = 0;
  c.longRunningOperationRetryTimeout = 0;
  return c;
}

exports.compute = fast(compute.createComputeManagementClient(creds, base));
exports.network = fast(network.createNetworkManagementClient(creds, base));
exports.storage = fast(storage.createStorageManagementClient(creds, base));

// call runs a callback-style library call as a promise that never
// rejects: {ok, result} or {ok: false, status, code, message}.
exports.call = function (obj, method, ...args) {
  return new Promise((resolve) => {
    obj[method](...args, (err, result) => {
      if (err) {
        resolve({ ok: false, status: err.statusCode, code: err.code, message: err.message });
        return;
      }
      resolve({ ok: true, result });
    });
  });
};

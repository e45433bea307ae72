// Package realclient proves the emulator (what `migrate sim serve` runs)
// speaks Azure's protocols by driving it with Microsoft's own client
// libraries rather than with the azure driver, which was written here and
// could agree with the emulator while both are wrong.
//
// The Service Management scenarios run Node scripts (testdata/*.js) on the
// npm packages azure-asm-compute 0.18.0, azure-asm-network 0.13.1 and
// azure-asm-storage 0.12.1 with azure-common (pinned in the repository's
// package.json and package-lock.json; scripts/deps.sh installs them with
// `npm ci`). A missing node or package skips the tests, except in CI
// (CI=true), where it fails them.
//
// The Resource Manager scenario runs testdata/rm.py on the Python SDKs of
// Debian's azure-cli package (azure.mgmt.compute, storage, resource, under
// /usr/bin/python3), with a credential returning the emulator's token and
// REQUESTS_CA_BUNDLE trusting its certificate; page data goes to Azurite
// from the same node_modules. Missing, it is skipped, or fails in CI.
//
// TestMSALClientCredentials takes a token from the emulator's authority
// through MSAL for Python (python3-msal, also from azure-cli) with tenant
// discovery.
//
// The package holds tests only.
package realclient

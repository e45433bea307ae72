// Package realclient proves the emulator (what `migrate sim serve` runs)
// speaks Azure's protocols by driving it with Microsoft's own client
// libraries rather than with the azure driver, which was written here and
// could agree with the emulator while both are wrong.
//
// What they drive is `migrate sim serve` as operators run it: TestMain
// builds the binary from this tree, and each scenario starts it as its own
// process on loopback over a state directory (units migrated there first
// where a scenario needs Resource Manager VMs), reaching it only through
// the address it prints and the configuration and certificate it writes
// (serve_test.go).
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
// /usr/bin/python3; azure.mgmt.network for rm_network.py and
// azure.mgmt.authorization for rm_rbac.py, which read the classic estate
// with no Azurite and nothing migrated), with a credential returning the
// emulator's token and
// REQUESTS_CA_BUNDLE trusting its certificate; page data goes to Azurite
// from the same node_modules. Missing, it is skipped, or fails in CI.
//
// TestMSALClientCredentials takes a token from the emulator's authority
// through MSAL for Python (python3-msal, also from azure-cli) with tenant
// discovery.
//
// Every call the azure driver makes, and the Microsoft client that makes it
// here (script in testdata, the Go test that runs it):
//
//	call (driver)                                   client, script (test)
//	SM migration Validate/Prepare/Commit/Abort,     azure-asm-*, migrate.js (TestMigrationCalls)
//	  six kinds, and GET /operations/{id}
//	SM state reads (deployment, VNet list, storage,  azure-asm-*, migrate.js, discover.js
//	  NSG, route table, reserved IP)                  (TestMigrationCalls, TestDiscoveryReads)
//	SM discovery lists and get-detailed              azure-asm-*, discover.js (TestDiscoveryReads)
//	SM gateway, connections, subnet route table,     azure-asm-network/-compute, discover_network.js
//	  application gateways, DebugSettings, agent       (TestDiscoveryNetworkReads)
//	  and extension statuses, affinity group,
//	  extension versions (IsJsonExtension)
//	SM Get Storage Keys (classic account), disks     azure-asm-storage getKeys, azure-asm-compute
//	  with MediaLink and logical size                  listDisks, storage_keys.js (TestClassicBlobSizes)
//	Blob Get Blob Properties of a classic VHD        azure.storage.blob, blob_sizes.py (TestClassicBlobSizes)
//	  (discover's blobSizeBytes)
//	SM dedicatedcircuits, authorized circuits,       none: no Node or Python client has them (the
//	  circuit links                                    npm azure-asm-* family has no ExpressRoute
//	                                                   package; Microsoft shipped that client for .NET
//	                                                   only); the driver round trip checks them
//	ARM role assignments of the subscription, every  azure.mgmt.authorization, rm_rbac.py
//	  page, and role definitions by id (discover's     (TestRoleAssignmentsPythonSDK)
//	  roleAssignments)
//	ARM Insights alertrules, metricAlerts,            azure.mgmt.monitor, monitor.py (TestMonitorReads)
//	  autoscalesettings (discover's alertRules,
//	  autoscale)
//	ARM Compute and Network regional usages          azure.mgmt.compute, azure.mgmt.network, quotas.py
//	  (discover's target.quotas)                       (TestUsageReads)
//	ARM provider registration                        azure.mgmt.resource, rm.py (TestResourceManagerPythonSDK)
//	ARM VMs list/list by group/get/deallocate/start  azure.mgmt.compute, rm.py
//	ARM VM delete and create                         azure.mgmt.compute, rm_calls.py (TestDriverCallsPythonSDK)
//	ARM convertToManagedDisks                        azure.mgmt.compute, rm_calls.py
//	ARM availability set get/update, resource SKUs   azure.mgmt.compute, rm_platform.py (TestPlatformPythonSDK)
//	ARM VM extensions put/get/list                   azure.mgmt.compute, rm_platform.py
//	ARM disks Upload/get/delete, grant/revoke        azure.mgmt.compute, rm.py, rm_calls.py
//	ARM disks Import                                 azure.mgmt.compute, rm_calls.py
//	ARM images put/get                               azure.mgmt.compute, rm_calls.py
//	ARM storage accounts list, listKeys              azure.mgmt.storage, rm.py, rm_calls.py
//	ARM virtual networks list (discover's classic    azure.mgmt.network list_all, rm_network.py
//	  VNets' peerings), followed through nextLink      (TestNetworkPeeringsPythonSDK)
//	ARM App Service Environments list (discover's    azure.mgmt.web, platform_services.py
//	  platformServices)                                (TestPlatformServicesPythonSDK)
//	ARM HDInsight clusters list                      azure.mgmt.hdinsight, platform_services.py
//	ARM API Management services list                 azure.mgmt.apimanagement, platform_services.py
//	ARM Azure AD Domain Services list                azure.mgmt.core ARMPipelineClient, platform_services.py:
//	                                                   Debian's azure-cli ships no azure-mgmt-domainservices,
//	                                                   so the list goes through the pipeline its SDKs run on
//	Blob page read and write through a SAS           azure.storage.blob, rm_calls.py
//	Blob Put Page From URL (CopyPages)               azure.storage.blob upload_pages_from_url, rm_calls.py
//	Blob snapshot, Get Page Ranges prevsnapshot,      azure.storage.blob, rm_calls.py
//	  snapshot and VHD delete (with snapshots)
//	OAuth client credentials with tenant discovery   MSAL for Python, msal_client.py (TestMSALClientCredentials)
//
// The custom cloud's metadata read ({arm}/metadata/endpoints) has no
// client call to make it: azure-cli parses the document
// (azure.cli.core.cloud) but fetches it itself.
//
// The package holds tests only.
package realclient

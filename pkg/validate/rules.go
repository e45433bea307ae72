package validate

// Rule ids, stable: scripts filter findings on them.
const (
	RuleEndpointACL                   = "endpoint-acl"
	RuleApplicationGateway            = "application-gateway"
	RuleVNetPeering                   = "vnet-peering"
	RuleMultipleSubnetsPerVM          = "multiple-subnets-per-vm"
	RuleVMWithoutSubnet               = "vm-without-subnet"
	RuleBootDiagnosticsPremium        = "boot-diagnostics-premium"
	RuleWebWorkerRoles                = "web-worker-roles"
	RuleVNetWebWorkerRoles            = "vnet-web-worker-roles"
	RuleMultipleAvailabilitySets      = "multiple-availability-sets"
	RuleMixedAvailabilitySet          = "mixed-availability-set"
	RuleSecurityCenterExtension       = "security-center-extension"
	RuleBackupExtension               = "backup-extension"
	RuleSiteRecoveryExtension         = "site-recovery-extension"
	RuleXMLExtension                  = "xml-extension"
	RuleAlertsAutoscale               = "alerts-autoscale"
	RuleClassicExpressRouteCircuit    = "classic-expressroute-circuit"
	RuleExpressRouteOtherSubscription = "expressroute-other-subscription"
	RuleExpressRouteAndVPN            = "expressroute-and-vpn"
	RuleAppServiceEnvironment         = "app-service-environment"
	RuleHDInsight                     = "hdinsight"
	RuleDynamicsLCS                   = "dynamics-lcs"
	RuleAPIManagement                 = "api-management"
	RuleAADDomainServices             = "aad-domain-services"
	RuleVMTransitionalState           = "vm-transitional-state"
	RuleBlobNameSlash                 = "blob-name-slash"
	RuleDiskSizeMismatch              = "disk-size-mismatch"
	RulePrivateIPConflict             = "private-ip-conflict"
	RuleUnassociatedDisk              = "unassociated-disk"
	RuleClassicImage                  = "classic-image"
	RuleRBACClassic                   = "rbac-classic"
	RuleVMRestart                     = "vm-restart"
	RuleVMProvisioningTimeout         = "vm-provisioning-timeout"
	RuleVMAgentNotReady               = "vm-agent-not-ready"
	RuleExtensionStatus               = "extension-status"
	RuleNotRegionalScope              = "not-regional-scope"
	RuleGatewayConnection             = "gateway-connection"
	RuleLocalSiteAddressSpace         = "local-site-address-space"
	RuleDestinationVNet               = "destination-vnet"
	RuleVIPDNSLost                    = "vip-dns-lost"
	RuleQuotasUnchecked               = "quotas-unchecked"
	RuleARMWriteThrottle              = "arm-write-throttle"
	RuleARMQuota                      = "arm-quota"
	RuleStackDiskTooLarge             = "stack-disk-too-large"
	RuleStackPremiumNoGuarantee       = "stack-premium-no-guarantee"
	RuleStackNoDisasterRecovery       = "stack-no-disaster-recovery"

	// RulePlatform is the rule of findings made from the platform's own
	// Validate messages (FromPlatform); it is not in Rules() because no
	// offline check produces it.
	RulePlatform = "platform"
)

// Rule describes one offline validation rule: what `migrate validate
// --list-rules` prints and the docs render.
type Rule struct {
	// ID is the stable rule id.
	ID string `json:"id"`
	// Severity of the rule's findings. arm-quota, destination-vnet and
	// vip-dns-lost may report milder findings than this: see their Doc.
	Severity Severity `json:"severity"`
	// Recommendation is what to do about a finding.
	Recommendation string `json:"recommendation"`
	// Doc says, in inventory terms, when the rule fires.
	Doc string `json:"doc"`
}

// Rules returns the catalogue of offline rules in the stable order of
// rules.md. It returns a new slice on every call, so callers may change it.
func Rules() []Rule {
	return []Rule{
		{RuleEndpointACL, SeverityError,
			"remove the endpoint ACLs, migrate, recreate them as NSG rules",
			"a role endpoint has a non-empty acl"},
		{RuleApplicationGateway, SeverityError,
			"remove the Application Gateway, migrate, recreate it",
			"a VNet has applicationGateways"},
		{RuleVNetPeering, SeverityError,
			"remove the peering, migrate the VNet, then peer in Resource Manager",
			"a VNet has peerings"},
		{RuleMultipleSubnetsPerVM, SeverityError,
			"move the network interfaces into one subnet, or detach the others and reattach them after migration",
			"a VM role lists more than one distinct subnet (names compared case-insensitively); several NICs in one subnet migrate " +
				"(technical deep dive, translation table: \"Multiple network interfaces on a VM\")"},
		{RuleVMWithoutSubnet, SeverityError,
			"assign a subnet, or delete the VM",
			"a VM in a cloud service that is in a VNet lists no subnet"},
		{RuleBootDiagnosticsPremium, SeverityError,
			"disable boot diagnostics, delete its blobs, re-enable after migration",
			"boot diagnostics enabled into a Premium_LRS account"},
		{RuleWebWorkerRoles, SeverityError,
			"PaaS deployments are not migrated by this path; move them to Cloud Services (extended support)",
			"a cloud service deployment has a WebRole or WorkerRole"},
		{RuleVNetWebWorkerRoles, SeverityError,
			"move the web/worker roles to their own VNet; peer after migration",
			"a VNet holds cloud services with VMs and cloud services with web/worker roles (a cloud service with both counts as both)"},
		{RuleMultipleAvailabilitySets, SeverityError,
			"move the VMs into one availability set, or split the cloud service",
			"a cloud service's VMs use more than one availability set"},
		{RuleMixedAvailabilitySet, SeverityError,
			"put all of them in the set, or none",
			"some VMs of a cloud service are in an availability set and some are not"},
		{RuleSecurityCenterExtension, SeverityError,
			"disable the Security Center policy on the subscription (it removes the extension)",
			"an extension whose publisher is Microsoft.Azure.Security.Monitoring"},
		{RuleBackupExtension, SeverityError,
			"stop backup keeping its data, remove the extension, migrate, protect again in a Recovery Services vault",
			"an extension named VMSnapshot or VMSnapshotLinux"},
		{RuleSiteRecoveryExtension, SeverityWarning,
			"replication is affected: disable and re-enable replication after the storage migration",
			"an extension whose publisher starts with Microsoft.Azure.RecoveryServices.SiteRecovery"},
		{RuleXMLExtension, SeverityWarning,
			"it is dropped during migration; remove it first or reinstall the JSON version afterwards",
			"an extension with format xml (BGInfo 1.*, Visual Studio Debugger, Web Deploy, Remote Debugging)"},
		{RuleAlertsAutoscale, SeverityWarning,
			"these settings are dropped; recreate them after migration",
			"a VM role with alertRules > 0 or autoscale: true"},
		{RuleClassicExpressRouteCircuit, SeverityError,
			"move the circuit to Resource Manager first",
			"a VNet's ExpressRoute gateway uses a circuit whose model is Classic"},
		{RuleExpressRouteOtherSubscription, SeverityError,
			"link a circuit of this subscription, or migrate without the gateway",
			"a VNet's ExpressRoute gateway uses a circuit in another subscription"},
		{RuleExpressRouteAndVPN, SeverityError,
			"remove one gateway, migrate, add it back",
			"a VNet has both an ExpressRoute and a VPN gateway (Validate does not check this; Prepare fails)"},
		{RuleAppServiceEnvironment, SeverityError,
			"not supported: move the environment out",
			"a VNet holds AppServiceEnvironment"},
		{RuleHDInsight, SeverityError,
			"not supported: move the cluster out",
			"a VNet holds HDInsight"},
		{RuleDynamicsLCS, SeverityError,
			"not supported",
			"a VNet holds DynamicsLifecycleServices"},
		{RuleAPIManagement, SeverityError,
			"move the API Management deployment to another VNet first (no downtime)",
			"a VNet holds ApiManagement"},
		{RuleAADDomainServices, SeverityError,
			"not supported by this path; Azure AD Domain Services has its own migration (prepare, migrate the VNet, commit; about 1-3 h of downtime)",
			"a VNet holds AzureADDomainServices"},
		{RuleVMTransitionalState, SeverityError,
			"wait for the running update to finish, then validate again",
			"a VM's state is not Running, Stopped or StoppedDeallocated (compared case-insensitively; raw instance statuses such as StoppedVM or ReadyRole fire too)"},
		{RuleBlobNameSlash, SeverityError,
			"copy the VHD to a flat blob name and re-register the disk",
			"a disk's VHD blob name (after the container) contains /"},
		{RuleDiskSizeMismatch, SeverityWarning,
			"migration proceeds without a size; resize the disk first to keep it",
			"a data disk's blobSizeBytes is given and is not sizeGiB*2^30 + 512 (the VHD footer)"},
		{RulePrivateIPConflict, SeverityError,
			"give one a new static address",
			"two VMs in one VNet have the same privateIP (typically one of them deallocated; Validate does not check this)"},
		{RuleUnassociatedDisk, SeverityWarning,
			"its VHD moves with the storage account; delete the disk registration before the storage unit, or copy the VHD into a managed disk with `migrate disks copy https://ACCOUNT.blob.core.windows.net/vhds/NAME.vhd?SAS disk:RG/NAME`",
			"a registered disk that no VM uses"},
		{RuleClassicImage, SeverityWarning,
			"images are not migrated; their VHDs move with the account; `migrate disks` can make a managed image afterwards",
			"a classic VM image"},
		{RuleRBACClassic, SeverityWarning,
			"resource IDs change: plan the role assignments again after migration",
			"roleAssignments on a storage account, VNet or cloud service"},
		{RuleVMRestart, SeverityInfo,
			"Prepare stops and deallocates it; its private IP changes and its public IP is lost unless reserved",
			"a VM in a cloud service that is not in a VNet"},
		{RuleVMProvisioningTimeout, SeverityError,
			"delete the VM keeping its disks and recreate it (downtime), then validate again",
			"a VM's state is ProvisioningTimeout (\"plan for migration\", Provisioning Timed Out VM Status: \"The only way to do this is with downtime by deprovisioning/reprovisioning the VM (delete it, keep the disk, and recreate the VM)\")"},
		{RuleVMAgentNotReady, SeverityError,
			"give the VM outbound internet access and DNS so the agent reports Ready, or uninstall its extensions before Prepare and reinstall them after",
			"a running VM with agentStatus NotReady and an extension that migrates (not XML) (\"common migration errors\": VM Agent ... Not Ready; " +
				"FAQ: the agent needs outbound connectivity; \"plan for migration\": stopped deallocated VMs need no change; Validate does not check this)"},
		{RuleExtensionStatus, SeverityError,
			"give the VM outbound internet access and DNS so the extension reports its status, or uninstall the extension before Prepare and reinstall it after",
			"a running VM with a non-XML extension whose status is given and is not Ready (NotReported: \"whose Status isn't being reported\"; " +
				"another value: \"reporting Handler Status\"; \"common migration errors\")"},
		{RuleNotRegionalScope, SeverityError,
			"update the deployment (add an endpoint or a data disk to a VM) so the platform moves it to a regional scope, then validate again",
			"a cloud service with VMs has affinityGroup (\"common migration errors\": \"isn't in the regional scope\"; an update operation moves a deployment to regional scope)"},
		{RuleGatewayConnection, SeverityError,
			"reconnect the gateway connection (or remove it) before Prepare",
			"a gateway connection's state is given and is not Connected (technical deep dive, checks not done in the validate operation: \"A virtual network gateway connection in a disconnected state\")"},
		{RuleLocalSiteAddressSpace, SeverityError,
			"correct the local network site's address space to canonical CIDR prefixes before Prepare",
			"a gateway connection's local site addressSpace holds a prefix that is not IPv4 CIDR or has host bits set (VPN Gateway classic to Resource Manager migration: " +
				"\"CIDR validation in the Resource Manager model is stricter ... local sites with invalid CIDR ranges when migrated result in a failed state\")"},
		{RuleDestinationVNet, SeverityError,
			"point the destination at a VNet in the cloud service's region with room in its subnet for every VM moving in (one outside the inventory: check it on the target)",
			"a not-in-VNet deployment's destination is a classic VNet's migrated form (<vnet>-Migrated) in another region, or its subnet has fewer free addresses " +
				"(prefix size less the 5 Azure reserves, less the VMs already there) than the VMs moving in; " +
				"a warning instead when the destination is not in the inventory (only the target can tell it exists)"},
		{RuleVIPDNSLost, SeverityWarning,
			"add an input endpoint (or reserve the IP) before Prepare to keep the address and DNS name, or plan the change",
			"a cloud service with VMs is not in a VNet, has endpoints and no reservedIP (its VIP is released at Prepare); info instead when it has no input endpoint (its VIP and <name>.cloudapp.net are not migrated) " +
				"(technical deep dive: \"A virtual IP can only be migrated if there is an input endpoint assigned to it\"; the cloud service name becomes the DNS name of the public IP)"},
		{RuleQuotasUnchecked, SeverityWarning,
			"add target.quotas (az vm list-usage, az network list-usages) so arm-quota can check them",
			"target.quotas is absent and the inventory has VMs (\"plan for migration\": Resource Manager quotas must have capacity before migration)"},
		{RuleARMWriteThrottle, SeverityWarning,
			"expect the 1,200 writes/hour limit; ask for a higher limit first",
			"a unit with more than 400 VMs"},
		{RuleARMQuota, SeverityError,
			"raise the quota before Prepare",
			"target.quotas is given and the units, walked in plan order, need more cores, NICs, public IPs, load balancers, NSGs or route tables in a region than is free (Validate does not check this); " +
				"a warning instead when a VM's size is unknown, so its cores cannot be counted"},
		{RuleStackDiskTooLarge, SeverityError,
			"shrink or split the disk",
			"target AzureStackHub and a disk over 1024 GiB (M30)"},
		{RuleStackPremiumNoGuarantee, SeverityWarning,
			"it will be provisioned, capped at 2,300 IOPS and 145 MB/s, with no guarantee",
			"target AzureStackHub and a disk in a Premium account"},
		{RuleStackNoDisasterRecovery, SeverityWarning,
			"Azure Stack Hub offers neither Backup nor Site Recovery for managed disks",
			"target AzureStackHub and a Site Recovery or Backup extension"},
	}
}

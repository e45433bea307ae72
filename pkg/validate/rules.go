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
	// Severity of the rule's findings. arm-quota is the one rule whose
	// findings may be milder than this: see its Doc.
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
			"keep one subnet; detach the secondary NIC and reattach after migration",
			"a VM role lists more than one subnet"},
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
			"its VHD moves with the storage account; delete the disk registration before the storage unit, or convert it with `migrate disks convert`",
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

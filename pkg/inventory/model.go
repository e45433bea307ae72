package inventory

// SchemaVersion is the only inventory version this build reads and writes.
const SchemaVersion = 1

// Cloud names accepted in target.cloud.
const (
	CloudAzurePublic       = "AzurePublic"
	CloudAzureUSGovernment = "AzureUSGovernment"
	CloudAzureChina        = "AzureChina"
	CloudAzureStackHub     = "AzureStackHub"
)

// DefaultResourceGroupSuffix is appended to a migrated cloud service's or
// VNet's name to form its Resource Manager resource group.
const DefaultResourceGroupSuffix = "-Migrated"

// Role kinds.
const (
	RoleVirtualMachine = "VirtualMachine"
	RoleWebRole        = "WebRole"
	RoleWorkerRole     = "WorkerRole"
)

// Inventory is a classic (Service Management) subscription as described by
// inventory format v1 (shared/spec/inventory.md). After Load, defaults are
// filled in (locations, target, role state, slot) and every reference has been
// checked, so consumers may index by name without further checks.
type Inventory struct {
	SchemaVersion         int                    `json:"schemaVersion" yaml:"schemaVersion"`
	SubscriptionID        string                 `json:"subscriptionId" yaml:"subscriptionId"`
	DefaultLocation       string                 `json:"defaultLocation,omitempty" yaml:"defaultLocation,omitempty"`
	Target                Target                 `json:"target" yaml:"target"`
	StorageAccounts       []StorageAccount       `json:"storageAccounts" yaml:"storageAccounts"`
	VirtualNetworks       []VirtualNetwork       `json:"virtualNetworks" yaml:"virtualNetworks"`
	CloudServices         []CloudService         `json:"cloudServices" yaml:"cloudServices"`
	NetworkSecurityGroups []NetworkSecurityGroup `json:"networkSecurityGroups" yaml:"networkSecurityGroups"`
	RouteTables           []RouteTable           `json:"routeTables" yaml:"routeTables"`
	ReservedIPs           []ReservedIP           `json:"reservedIPs" yaml:"reservedIPs"`
	ExpressRouteCircuits  []ExpressRouteCircuit  `json:"expressRouteCircuits" yaml:"expressRouteCircuits"`
}

// Target describes the Resource Manager side of the migration.
type Target struct {
	Cloud               string           `json:"cloud" yaml:"cloud"`
	ResourceGroupSuffix string           `json:"resourceGroupSuffix" yaml:"resourceGroupSuffix"`
	Quotas              map[string]Quota `json:"quotas,omitempty" yaml:"quotas,omitempty"`
}

// Quota is the free count of each counted Resource Manager resource in one
// region. A nil pointer means "not given" (not checked); zero is a real zero.
type Quota struct {
	Cores                 *int `json:"cores,omitempty" yaml:"cores,omitempty"`
	NetworkInterfaces     *int `json:"networkInterfaces,omitempty" yaml:"networkInterfaces,omitempty"`
	PublicIPAddresses     *int `json:"publicIPAddresses,omitempty" yaml:"publicIPAddresses,omitempty"`
	LoadBalancers         *int `json:"loadBalancers,omitempty" yaml:"loadBalancers,omitempty"`
	NetworkSecurityGroups *int `json:"networkSecurityGroups,omitempty" yaml:"networkSecurityGroups,omitempty"`
	RouteTables           *int `json:"routeTables,omitempty" yaml:"routeTables,omitempty"`
}

// StorageAccount is a classic storage account with its registered disks and
// VM images.
type StorageAccount struct {
	Name            string           `json:"name" yaml:"name"`
	Location        string           `json:"location,omitempty" yaml:"location,omitempty"`
	AccountType     string           `json:"accountType" yaml:"accountType"`
	Disks           []Disk           `json:"disks" yaml:"disks"`
	Images          []Image          `json:"images" yaml:"images"`
	BlobsOnly       bool             `json:"blobsOnly" yaml:"blobsOnly"`
	RoleAssignments []RoleAssignment `json:"roleAssignments" yaml:"roleAssignments"`
}

// Disk is a classic registered disk: a VHD page blob.
type Disk struct {
	Name          string `json:"name" yaml:"name"`
	VHDURI        string `json:"vhdUri" yaml:"vhdUri"`
	SizeGiB       int64  `json:"sizeGiB" yaml:"sizeGiB"`
	BlobSizeBytes int64  `json:"blobSizeBytes,omitempty" yaml:"blobSizeBytes,omitempty"`
	OS            string `json:"os,omitempty" yaml:"os,omitempty"`
}

// Image is a classic VM image.
type Image struct {
	Name        string `json:"name" yaml:"name"`
	VHDURI      string `json:"vhdUri" yaml:"vhdUri"`
	OS          string `json:"os,omitempty" yaml:"os,omitempty"`
	Generalized bool   `json:"generalized" yaml:"generalized"`
}

// RoleAssignment is an RBAC assignment on a classic resource.
type RoleAssignment struct {
	Principal string `json:"principal" yaml:"principal"`
	Role      string `json:"role" yaml:"role"`
}

// VirtualNetwork is a classic VNet (a "VNet site").
type VirtualNetwork struct {
	Name                string               `json:"name" yaml:"name"`
	Location            string               `json:"location,omitempty" yaml:"location,omitempty"`
	AddressSpace        []string             `json:"addressSpace" yaml:"addressSpace"`
	Subnets             []Subnet             `json:"subnets" yaml:"subnets"`
	Gateways            []Gateway            `json:"gateways" yaml:"gateways"`
	Peerings            []Peering            `json:"peerings" yaml:"peerings"`
	ApplicationGateways []ApplicationGateway `json:"applicationGateways" yaml:"applicationGateways"`
	PlatformServices    []string             `json:"platformServices" yaml:"platformServices"`
	RoleAssignments     []RoleAssignment     `json:"roleAssignments,omitempty" yaml:"roleAssignments,omitempty"`
}

// Subnet of a classic VNet.
type Subnet struct {
	Name                 string `json:"name" yaml:"name"`
	AddressPrefix        string `json:"addressPrefix" yaml:"addressPrefix"`
	NetworkSecurityGroup string `json:"networkSecurityGroup,omitempty" yaml:"networkSecurityGroup,omitempty"`
	RouteTable           string `json:"routeTable,omitempty" yaml:"routeTable,omitempty"`
}

// Gateway kinds.
const (
	GatewayVpn          = "Vpn"
	GatewayExpressRoute = "ExpressRoute"
)

// Gateway is a VNet gateway. Circuit names an ExpressRoute circuit for
// kind ExpressRoute.
type Gateway struct {
	Kind    string `json:"kind" yaml:"kind"`
	SKU     string `json:"sku,omitempty" yaml:"sku,omitempty"`
	Circuit string `json:"circuit,omitempty" yaml:"circuit,omitempty"`
	// Connections are the gateway's site-to-site connections (optional):
	// Validate does not check their state, Prepare fails on one that is not
	// Connected.
	Connections []GatewayConnection `json:"connections,omitempty" yaml:"connections,omitempty"`
}

// Gateway connection states, as the classic gateway reports them.
const (
	ConnectionConnected = "Connected"
)

// GatewayConnection is a gateway's connection to a local network site.
type GatewayConnection struct {
	// LocalNetworkSite names the local network site (required).
	LocalNetworkSite string `json:"localNetworkSite" yaml:"localNetworkSite"`
	// AddressSpace are the site's address prefixes as the classic network
	// configuration spells them; the Resource Manager local network gateway
	// accepts only canonical CIDR prefixes.
	AddressSpace []string `json:"addressSpace,omitempty" yaml:"addressSpace,omitempty"`
	// State is the connectivity state ("Connected", "Connecting",
	// "NotConnected"); "" means not collected.
	State string `json:"state,omitempty" yaml:"state,omitempty"`
}

// Peering is a VNet peering; RemoteVirtualNetwork is the peer's name (or
// Resource Manager ID).
type Peering struct {
	Name                 string `json:"name" yaml:"name"`
	RemoteVirtualNetwork string `json:"remoteVirtualNetwork,omitempty" yaml:"remoteVirtualNetwork,omitempty"`
}

// ApplicationGateway deployed into a classic VNet.
type ApplicationGateway struct {
	Name string `json:"name" yaml:"name"`
}

// Platform services that can be deployed into a classic VNet.
const (
	PlatformAppServiceEnvironment = "AppServiceEnvironment"
	PlatformHDInsight             = "HDInsight"
	PlatformDynamicsLifecycle     = "DynamicsLifecycleServices"
	PlatformAzureADDomainServices = "AzureADDomainServices"
	PlatformApiManagement         = "ApiManagement"
)

// CloudService is a classic hosted service with its (single) deployment.
type CloudService struct {
	Name       string `json:"name" yaml:"name"`
	Location   string `json:"location,omitempty" yaml:"location,omitempty"`
	ReservedIP string `json:"reservedIP,omitempty" yaml:"reservedIP,omitempty"`
	// AffinityGroup is the affinity group the cloud service was created in
	// (optional): such a deployment may not be in a regional scope, which
	// Prepare refuses.
	AffinityGroup   string           `json:"affinityGroup,omitempty" yaml:"affinityGroup,omitempty"`
	Deployment      Deployment       `json:"deployment" yaml:"deployment"`
	RoleAssignments []RoleAssignment `json:"roleAssignments,omitempty" yaml:"roleAssignments,omitempty"`
}

// Deployment of a cloud service. VirtualNetwork "" means its VMs are not in a
// virtual network.
type Deployment struct {
	Name           string       `json:"name" yaml:"name"`
	Slot           string       `json:"slot,omitempty" yaml:"slot,omitempty"`
	VirtualNetwork string       `json:"virtualNetwork" yaml:"virtualNetwork"`
	Destination    *Destination `json:"destination,omitempty" yaml:"destination,omitempty"`
	Roles          []Role       `json:"roles" yaml:"roles"`
}

// Destination is an existing Resource Manager VNet that Prepare puts a
// not-in-VNet cloud service's VMs into.
type Destination struct {
	ResourceGroup  string `json:"resourceGroup" yaml:"resourceGroup"`
	VirtualNetwork string `json:"virtualNetwork" yaml:"virtualNetwork"`
	Subnet         string `json:"subnet" yaml:"subnet"`
}

// Role is one role of a deployment: a VM, or a web/worker role.
type Role struct {
	Name                 string           `json:"name" yaml:"name"`
	Kind                 string           `json:"kind" yaml:"kind"`
	Size                 string           `json:"size,omitempty" yaml:"size,omitempty"`
	State                string           `json:"state,omitempty" yaml:"state,omitempty"`
	PrivateIP            string           `json:"privateIP,omitempty" yaml:"privateIP,omitempty"`
	AvailabilitySet      string           `json:"availabilitySet,omitempty" yaml:"availabilitySet,omitempty"`
	Subnets              []string         `json:"subnets,omitempty" yaml:"subnets,omitempty"`
	NetworkSecurityGroup string           `json:"networkSecurityGroup,omitempty" yaml:"networkSecurityGroup,omitempty"`
	Endpoints            []Endpoint       `json:"endpoints,omitempty" yaml:"endpoints,omitempty"`
	Extensions           []Extension      `json:"extensions,omitempty" yaml:"extensions,omitempty"`
	OSDisk               string           `json:"osDisk,omitempty" yaml:"osDisk,omitempty"`
	DataDisks            []DataDisk       `json:"dataDisks,omitempty" yaml:"dataDisks,omitempty"`
	BootDiagnostics      *BootDiagnostics `json:"bootDiagnostics,omitempty" yaml:"bootDiagnostics,omitempty"`
	AlertRules           int              `json:"alertRules,omitempty" yaml:"alertRules,omitempty"`
	Autoscale            bool             `json:"autoscale,omitempty" yaml:"autoscale,omitempty"`
	// AgentStatus is the overall VM agent status the VM reports ("Ready" or
	// "NotReady"; optional, "" means not collected).
	AgentStatus string `json:"agentStatus,omitempty" yaml:"agentStatus,omitempty"`
}

// VM agent statuses.
const (
	AgentReady    = "Ready"
	AgentNotReady = "NotReady"
)

// Endpoint is a load-balanced or input endpoint of a role.
type Endpoint struct {
	Name       string `json:"name" yaml:"name"`
	Protocol   string `json:"protocol" yaml:"protocol"`
	PublicPort int    `json:"publicPort" yaml:"publicPort"`
	LocalPort  int    `json:"localPort" yaml:"localPort"`
	ACL        []ACL  `json:"acl" yaml:"acl"`
}

// ACL is one endpoint access-control rule.
type ACL struct {
	Order        int    `json:"order" yaml:"order"`
	Action       string `json:"action" yaml:"action"`
	RemoteSubnet string `json:"remoteSubnet" yaml:"remoteSubnet"`
}

// Extension is a VM extension reference.
type Extension struct {
	Publisher string `json:"publisher" yaml:"publisher"`
	Name      string `json:"name" yaml:"name"`
	Version   string `json:"version,omitempty" yaml:"version,omitempty"`
	Format    string `json:"format,omitempty" yaml:"format,omitempty"`
	// Status is the extension handler status the VM reports (optional):
	// "Ready" when reported and healthy, "NotReported" when the VM reports
	// none, another handler status otherwise; "" means not collected.
	Status string `json:"status,omitempty" yaml:"status,omitempty"`
}

// ExtensionNotReported is Extension.Status for an extension whose status the
// VM does not report.
const ExtensionNotReported = "NotReported"

// DataDisk attaches a registered disk at a LUN.
type DataDisk struct {
	Disk string `json:"disk" yaml:"disk"`
	LUN  int    `json:"lun" yaml:"lun"`
}

// BootDiagnostics of a VM.
type BootDiagnostics struct {
	Enabled        bool   `json:"enabled" yaml:"enabled"`
	StorageAccount string `json:"storageAccount" yaml:"storageAccount"`
}

// NetworkSecurityGroup is a classic NSG.
type NetworkSecurityGroup struct {
	Name     string    `json:"name" yaml:"name"`
	Location string    `json:"location,omitempty" yaml:"location,omitempty"`
	Rules    []NSGRule `json:"rules" yaml:"rules"`
}

// NSGRule is one rule of a classic NSG.
type NSGRule struct {
	Name                     string `json:"name" yaml:"name"`
	Priority                 int    `json:"priority" yaml:"priority"`
	Direction                string `json:"direction" yaml:"direction"`
	Access                   string `json:"access" yaml:"access"`
	Protocol                 string `json:"protocol" yaml:"protocol"`
	SourceAddressPrefix      string `json:"sourceAddressPrefix" yaml:"sourceAddressPrefix"`
	SourcePortRange          string `json:"sourcePortRange" yaml:"sourcePortRange"`
	DestinationAddressPrefix string `json:"destinationAddressPrefix" yaml:"destinationAddressPrefix"`
	DestinationPortRange     string `json:"destinationPortRange" yaml:"destinationPortRange"`
}

// RouteTable is a classic route table.
type RouteTable struct {
	Name     string  `json:"name" yaml:"name"`
	Location string  `json:"location,omitempty" yaml:"location,omitempty"`
	Routes   []Route `json:"routes" yaml:"routes"`
}

// Route is one user-defined route.
type Route struct {
	Name             string `json:"name" yaml:"name"`
	AddressPrefix    string `json:"addressPrefix" yaml:"addressPrefix"`
	NextHopType      string `json:"nextHopType" yaml:"nextHopType"`
	NextHopIPAddress string `json:"nextHopIpAddress,omitempty" yaml:"nextHopIpAddress,omitempty"`
}

// ReservedIP is a classic reserved public IP address.
type ReservedIP struct {
	Name     string `json:"name" yaml:"name"`
	Location string `json:"location,omitempty" yaml:"location,omitempty"`
	Address  string `json:"address,omitempty" yaml:"address,omitempty"`
}

// ExpressRouteCircuit referenced by ExpressRoute gateways. SubscriptionID ""
// means this subscription.
type ExpressRouteCircuit struct {
	Name           string `json:"name" yaml:"name"`
	Model          string `json:"model" yaml:"model"`
	SubscriptionID string `json:"subscriptionId" yaml:"subscriptionId"`
}

package smapi

import "encoding/xml"

// Namespace is the XML namespace of every Service Management document.
const Namespace = "http://schemas.microsoft.com/windowsazure"

// Version is the x-ms-version the driver sends and the emulator requires by
// default: the first version with the classic-to-ARM migration calls.
const Version = "2016-06-01"

// HeaderVersion and HeaderRequestID are the Service Management headers.
const (
	HeaderVersion   = "x-ms-version"
	HeaderRequestID = "x-ms-request-id"
)

// Operation statuses.
const (
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
)

// Error is the body of every Service Management error response.
type Error struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/windowsazure Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
}

// Operation is the status of an asynchronous operation
// (GET /{sub}/operations/{id}).
type Operation struct {
	XMLName        xml.Name        `xml:"http://schemas.microsoft.com/windowsazure Operation"`
	ID             string          `xml:"ID"`
	Status         string          `xml:"Status"`
	HTTPStatusCode int             `xml:"HttpStatusCode,omitempty"`
	Error          *OperationError `xml:"Error,omitempty"`
}

// OperationError is the Error of a failed Operation.
type OperationError struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// ValidationMessages is the answer of a comp=validate migration call.
type ValidationMessages struct {
	XMLName  xml.Name            `xml:"http://schemas.microsoft.com/windowsazure ValidationMessages"`
	Messages []ValidationMessage `xml:"ValidationMessage"`
}

// ValidationMessage is one message of ValidationMessages.
type ValidationMessage struct {
	ResourceType   string `xml:"ResourceType"`
	ResourceName   string `xml:"ResourceName"`
	Category       string `xml:"Category"`
	Message        string `xml:"Message"`
	VirtualMachine string `xml:"VirtualMachine,omitempty"`
}

// Destination virtual network kinds of a deployment migration.
const (
	DestinationNew      = "New"
	DestinationExisting = "Existing"
)

// DeploymentMigration is the body of a deployment's comp=validate or
// comp=prepare: where its VMs go when they are not in a classic VNet. The
// root element is DeploymentNetworkResource, as the Node client
// azure-asm-compute builds it in DeploymentOperations.beginPrepareMigration
// and validateMigration (Azure/azure-sdk-for-node,
// lib/services/computeManagement/lib/computeManagementClient.js): its four
// children are always sent, the three names empty for New.
type DeploymentMigration struct {
	XMLName                   xml.Name `xml:"http://schemas.microsoft.com/windowsazure DeploymentNetworkResource"`
	ResourceGroupName         string   `xml:"ResourceGroupName"`
	VirtualNetworkName        string   `xml:"VirtualNetworkName"`
	SubNetName                string   `xml:"SubNetName"`
	DestinationVirtualNetwork string   `xml:"DestinationVirtualNetwork"`
}

// HostedServices is GET /{sub}/services/hostedservices.
type HostedServices struct {
	XMLName  xml.Name        `xml:"http://schemas.microsoft.com/windowsazure HostedServices"`
	Services []HostedService `xml:"HostedService"`
}

// HostedService is one cloud service; GET
// /{sub}/services/hostedservices/{svc}?embed-detail=true embeds its
// deployments.
type HostedService struct {
	XMLName     xml.Name                `xml:"http://schemas.microsoft.com/windowsazure HostedService"`
	ServiceName string                  `xml:"ServiceName"`
	Properties  HostedServiceProperties `xml:"HostedServiceProperties"`
	Deployments []Deployment            `xml:"Deployments>Deployment,omitempty"`
}

// HostedServiceProperties of a HostedService. Label is base64-encoded on
// the wire, as every Service Management Label is (azure-asm-compute encodes
// it with Buffer.toString('base64') when it sends one and decodes it when it
// reads one).
type HostedServiceProperties struct {
	Location string `xml:"Location,omitempty"`
	Label    string `xml:"Label,omitempty"`
	// AffinityGroup is the affinity group the service was created in
	// (azure-asm-compute's HostedServiceOperations.getDetailed reads
	// HostedServiceProperties/AffinityGroup).
	AffinityGroup string `xml:"AffinityGroup,omitempty"`
}

// Deployment is GET /{sub}/services/hostedservices/{svc}/deployments/{dep}
// (or .../deploymentslots/{slot}).
type Deployment struct {
	XMLName            xml.Name       `xml:"http://schemas.microsoft.com/windowsazure Deployment"`
	Name               string         `xml:"Name"`
	DeploymentSlot     string         `xml:"DeploymentSlot,omitempty"`
	RoleInstances      []RoleInstance `xml:"RoleInstanceList>RoleInstance,omitempty"`
	Roles              []Role         `xml:"RoleList>Role,omitempty"`
	VirtualNetworkName string         `xml:"VirtualNetworkName,omitempty"`
	ReservedIPName     string         `xml:"ReservedIPName,omitempty"`
}

// RoleInstance is one instance of a role: its state and address.
type RoleInstance struct {
	RoleName       string `xml:"RoleName"`
	InstanceName   string `xml:"InstanceName,omitempty"`
	InstanceStatus string `xml:"InstanceStatus,omitempty"`
	InstanceSize   string `xml:"InstanceSize,omitempty"`
	IPAddress      string `xml:"IpAddress,omitempty"`
	PowerState     string `xml:"PowerState,omitempty"`
	// GuestAgentStatus and ExtensionStatuses are what the VM agent reports
	// (azure-asm-compute's DeploymentOperations.getByName reads
	// RoleInstance/GuestAgentStatus/Status and
	// RoleInstance/ResourceExtensionStatusList/ResourceExtensionStatus with
	// HandlerName and Status).
	GuestAgentStatus  *GuestAgentStatus         `xml:"GuestAgentStatus,omitempty"`
	ExtensionStatuses []ResourceExtensionStatus `xml:"ResourceExtensionStatusList>ResourceExtensionStatus,omitempty"`
}

// GuestAgentStatus is the VM agent's overall status ("Ready" or
// "NotReady").
type GuestAgentStatus struct {
	Status string `xml:"Status"`
}

// ResourceExtensionStatus is one extension handler's status. HandlerName
// is the extension's publisher and type joined by a dot
// ("Microsoft.Compute.BGInfo"), the name the agent reports it under.
type ResourceExtensionStatus struct {
	HandlerName string `xml:"HandlerName"`
	Status      string `xml:"Status"`
}

// HandlerName is the name the VM agent reports an extension's status
// under: its publisher and type joined by a dot.
func HandlerName(publisher, name string) string { return publisher + "." + name }

// RoleTypeVM is the one role type Azure reports: RoleType is listed only
// for a Virtual Machine deployment's roles (Get Deployment, reference
// ee460804; Get Role, jj157193, answers a PersistentVMRole). A PaaS role
// has none, and nothing Service Management serves says whether it is a web
// or a worker role (the service definition does, and it is not served).
const RoleTypeVM = "PersistentVMRole"

// Role is one role of a deployment.
type Role struct {
	RoleName             string                `xml:"RoleName"`
	RoleType             string                `xml:"RoleType,omitempty"`
	ConfigurationSets    []ConfigurationSet    `xml:"ConfigurationSets>ConfigurationSet,omitempty"`
	ResourceExtensions   []ExtensionReference  `xml:"ResourceExtensionReferences>ResourceExtensionReference,omitempty"`
	AvailabilitySetName  string                `xml:"AvailabilitySetName,omitempty"`
	DataVirtualHardDisks []DataVirtualHardDisk `xml:"DataVirtualHardDisks>DataVirtualHardDisk,omitempty"`
	OSVirtualHardDisk    *OSVirtualHardDisk    `xml:"OSVirtualHardDisk,omitempty"`
	RoleSize             string                `xml:"RoleSize,omitempty"`
	// DebugSettings holds boot diagnostics: enabled, and the blob the
	// serial output goes to, whose account is where the diagnostics live
	// (azure-asm-compute's DeploymentOperations.getByName reads
	// Role/DebugSettings/BootDiagnosticsEnabled and SerialOutputBlobUri).
	DebugSettings *DebugSettings `xml:"DebugSettings,omitempty"`
	// MigrationState is where Azure reports a VM's migration state: per
	// role, Deployment/RoleList/Role/MigrationState (azure-asm-compute's
	// DeploymentOperations.getByName, getBySlot and
	// HostedServiceOperations.getDetailed read it there; the deployment
	// itself carries none). DeploymentState derives the deployment's.
	MigrationState string `xml:"MigrationState,omitempty"`
}

// DebugSettings of a role.
type DebugSettings struct {
	BootDiagnosticsEnabled   bool   `xml:"BootDiagnosticsEnabled"`
	ConsoleScreenshotBlobURI string `xml:"ConsoleScreenshotBlobUri,omitempty"`
	SerialOutputBlobURI      string `xml:"SerialOutputBlobUri,omitempty"`
}

// ConfigurationSetNetwork is the type of the network configuration set.
const ConfigurationSetNetwork = "NetworkConfiguration"

// ConfigurationSet is a role's configuration set; only the network one is
// modelled.
type ConfigurationSet struct {
	ConfigurationSetType          string          `xml:"ConfigurationSetType"`
	InputEndpoints                []InputEndpoint `xml:"InputEndpoints>InputEndpoint,omitempty"`
	SubnetNames                   []string        `xml:"SubnetNames>SubnetName,omitempty"`
	StaticVirtualNetworkIPAddress string          `xml:"StaticVirtualNetworkIPAddress,omitempty"`
	NetworkSecurityGroup          string          `xml:"NetworkSecurityGroup,omitempty"`
}

// InputEndpoint is an endpoint of a role.
type InputEndpoint struct {
	LocalPort   int          `xml:"LocalPort"`
	Name        string       `xml:"Name"`
	Port        int          `xml:"Port"`
	Protocol    string       `xml:"Protocol"`
	EndpointACL *EndpointACL `xml:"EndpointAcl,omitempty"`
}

// EndpointACL holds an endpoint's access-control rules.
type EndpointACL struct {
	Rules []ACLRule `xml:"Rules>Rule"`
}

// ACLRule is one endpoint access-control rule.
type ACLRule struct {
	Order        int    `xml:"Order"`
	Action       string `xml:"Action"`
	RemoteSubnet string `xml:"RemoteSubnet"`
	Description  string `xml:"Description,omitempty"`
}

// ExtensionReference is a VM extension reference. It does not say whether
// the extension is a legacy XML one: the extension's versions do
// (ResourceExtensions).
type ExtensionReference struct {
	ReferenceName string `xml:"ReferenceName"`
	Publisher     string `xml:"Publisher"`
	Name          string `xml:"Name"`
	Version       string `xml:"Version,omitempty"`
	State         string `xml:"State,omitempty"`
}

// ResourceExtensions is GET /{sub}/services/resourceextensions/{publisher}/
// {name} (List Resource Extension Versions, learn.microsoft.com
// previous-versions/azure/reference/dn495440; azure-asm-compute's
// VirtualMachineExtensionOperations.listVersions reads each
// ResourceExtension's IsJsonExtension): every version of one VM extension.
// A version whose IsJsonExtension is false takes the legacy XML
// configuration, which Resource Manager does not support.
type ResourceExtensions struct {
	XMLName    xml.Name            `xml:"http://schemas.microsoft.com/windowsazure ResourceExtensions"`
	Extensions []ResourceExtension `xml:"ResourceExtension"`
}

// ResourceExtension is one version of a VM extension. IsJSONExtension is
// nil when the answer does not say.
type ResourceExtension struct {
	Publisher       string `xml:"Publisher"`
	Name            string `xml:"Name"`
	Version         string `xml:"Version"`
	IsJSONExtension *bool  `xml:"IsJsonExtension,omitempty"`
}

// DataVirtualHardDisk attaches a registered disk at a LUN. MediaLink is
// the VHD's blob, which Azure reports on every role disk
// (azure-asm-compute's DeploymentOperations.getByName reads
// DataVirtualHardDisk/MediaLink and OSVirtualHardDisk/MediaLink).
type DataVirtualHardDisk struct {
	DiskName  string `xml:"DiskName"`
	Lun       int    `xml:"Lun"`
	MediaLink string `xml:"MediaLink,omitempty"`
}

// OSVirtualHardDisk names a VM's OS disk and its VHD.
type OSVirtualHardDisk struct {
	DiskName  string `xml:"DiskName"`
	MediaLink string `xml:"MediaLink,omitempty"`
	OS        string `xml:"OS,omitempty"`
}

// VirtualNetworkSites is GET /{sub}/services/networking/virtualnetwork.
type VirtualNetworkSites struct {
	XMLName xml.Name             `xml:"http://schemas.microsoft.com/windowsazure VirtualNetworkSites"`
	Sites   []VirtualNetworkSite `xml:"VirtualNetworkSite"`
}

// VirtualNetworkSite is one classic VNet of the list. The real API has no
// single-site GET: a VNet's MigrationState is read from its site in the list
// (azure-asm-network's NetworkOperations.list reads
// VirtualNetworkSites/VirtualNetworkSite/MigrationState, and the same way
// Subnets/Subnet with NetworkSecurityGroup and the Gateway with its local
// network Sites).
type VirtualNetworkSite struct {
	XMLName       xml.Name     `xml:"http://schemas.microsoft.com/windowsazure VirtualNetworkSite"`
	Name          string       `xml:"Name"`
	Location      string       `xml:"Location,omitempty"`
	AddressPrefix []string     `xml:"AddressSpace>AddressPrefixes>AddressPrefix,omitempty"`
	Subnets       []Subnet     `xml:"Subnets>Subnet,omitempty"`
	Gateway       *SiteGateway `xml:"Gateway,omitempty"`
	// MigrationState of the VNet.
	MigrationState string `xml:"MigrationState,omitempty"`
}

// Subnet of a VirtualNetworkSite. Its route table is not here: the real
// API answers it per subnet (RouteTableAssociation).
type Subnet struct {
	Name                 string `xml:"Name"`
	AddressPrefix        string `xml:"AddressPrefix"`
	NetworkSecurityGroup string `xml:"NetworkSecurityGroup,omitempty"`
}

// SiteGateway is a VNet site's gateway as the list reports it: the local
// network sites it connects to, each with its connection types. A classic
// VNet has one gateway; ExpressRoute is a connection of type Dedicated
// to a local network site, VPN one of type IPsec (the network
// configuration schema's ConnectionsToLocalNetwork/LocalNetworkSiteRef/
// Connection type, learn.microsoft.com expressroute
// expressroute-howto-coexist-classic).
type SiteGateway struct {
	Profile string             `xml:"Profile,omitempty"`
	Sites   []LocalNetworkSite `xml:"Sites>LocalNetworkSite,omitempty"`
}

// Connection types of a local network site.
const (
	ConnectionIPsec     = "IPsec"
	ConnectionDedicated = "Dedicated"
)

// LocalNetworkSite is a local network site a gateway connects to.
type LocalNetworkSite struct {
	Name              string       `xml:"Name"`
	VPNGatewayAddress string       `xml:"VpnGatewayAddress,omitempty"`
	AddressPrefix     []string     `xml:"AddressSpace>AddressPrefixes>AddressPrefix,omitempty"`
	Connections       []Connection `xml:"Connections>Connection,omitempty"`
}

// Connection of a local network site: its Type.
type Connection struct {
	Type string `xml:"Type"`
}

// StorageServices is GET /{sub}/services/storageservices.
type StorageServices struct {
	XMLName  xml.Name         `xml:"http://schemas.microsoft.com/windowsazure StorageServices"`
	Services []StorageService `xml:"StorageService"`
}

// StorageService is one classic storage account (also GET
// /{sub}/services/storageservices/{account}).
type StorageService struct {
	XMLName     xml.Name                 `xml:"http://schemas.microsoft.com/windowsazure StorageService"`
	ServiceName string                   `xml:"ServiceName"`
	Properties  StorageServiceProperties `xml:"StorageServiceProperties"`
	// MigrationState is the account's migration state, a child of
	// StorageService beside StorageServiceProperties, in the get and in
	// each account of the list (azure-asm-storage's
	// StorageAccountOperations.get and list read it there).
	MigrationState string `xml:"MigrationState,omitempty"`
}

// StorageServiceKeys is GET /{sub}/services/storageservices/{account}/keys
// (Get Storage Keys, learn.microsoft.com previous-versions/azure/reference/
// ee460785; azure-asm-storage's StorageAccountOperations.getKeys reads
// StorageService/StorageServiceKeys/Primary and Secondary): a classic
// account's two access keys, the only way to its blobs, since a classic
// account takes no Entra ID token. They are secrets: the driver signs
// with them and they go nowhere else.
type StorageServiceKeys struct {
	XMLName xml.Name    `xml:"http://schemas.microsoft.com/windowsazure StorageService"`
	URL     string      `xml:"Url,omitempty"`
	Keys    StorageKeys `xml:"StorageServiceKeys"`
}

// StorageKeys are a classic account's primary and secondary keys.
type StorageKeys struct {
	Primary   string `xml:"Primary"`
	Secondary string `xml:"Secondary"`
}

// String keeps the keys out of any message or log line.
func (StorageKeys) String() string { return "StorageKeys{redacted}" }

// GoString keeps them out of %#v too.
func (StorageKeys) GoString() string { return "smapi.StorageKeys{redacted}" }

// StorageServiceProperties of a StorageService.
type StorageServiceProperties struct {
	Location    string `xml:"Location,omitempty"`
	AccountType string `xml:"AccountType,omitempty"`
}

// Disks is GET /{sub}/services/disks.
type Disks struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/windowsazure Disks"`
	Disks   []Disk   `xml:"Disk"`
}

// Disk is a registered disk.
type Disk struct {
	AttachedTo          *AttachedTo `xml:"AttachedTo,omitempty"`
	OS                  string      `xml:"OS,omitempty"`
	Location            string      `xml:"Location,omitempty"`
	LogicalDiskSizeInGB int64       `xml:"LogicalDiskSizeInGB"`
	MediaLink           string      `xml:"MediaLink"`
	Name                string      `xml:"Name"`
}

// AttachedTo names the VM a disk is attached to.
type AttachedTo struct {
	HostedServiceName string `xml:"HostedServiceName"`
	DeploymentName    string `xml:"DeploymentName"`
	RoleName          string `xml:"RoleName"`
}

// Images is GET /{sub}/services/images (OS images, always generalized).
type Images struct {
	XMLName xml.Name  `xml:"http://schemas.microsoft.com/windowsazure Images"`
	Images  []OSImage `xml:"OSImage"`
}

// OSImage is a classic OS image. Category "User" marks the subscription's
// own images (platform images are not inventoried).
type OSImage struct {
	Category  string `xml:"Category,omitempty"`
	Location  string `xml:"Location,omitempty"`
	MediaLink string `xml:"MediaLink"`
	Name      string `xml:"Name"`
	OS        string `xml:"OS,omitempty"`
}

// VMImages is GET /{sub}/services/vmimages: the captured (specialized or
// generalized) VM images.
type VMImages struct {
	XMLName xml.Name  `xml:"http://schemas.microsoft.com/windowsazure VMImages"`
	Images  []VMImage `xml:"VMImage"`
}

// VMImage is a classic VM image.
type VMImage struct {
	Name     string              `xml:"Name"`
	Category string              `xml:"Category,omitempty"`
	OSDisk   OSDiskConfiguration `xml:"OSDiskConfiguration"`
}

// OSDiskConfiguration of a VMImage.
type OSDiskConfiguration struct {
	OSState   string `xml:"OSState"`
	OS        string `xml:"OS,omitempty"`
	MediaLink string `xml:"MediaLink"`
}

// ReservedIPs is GET /{sub}/services/networking/reservedips.
type ReservedIPs struct {
	XMLName xml.Name     `xml:"http://schemas.microsoft.com/windowsazure ReservedIPs"`
	IPs     []ReservedIP `xml:"ReservedIP"`
}

// ReservedIP is one reserved IP (also its single GET).
type ReservedIP struct {
	XMLName        xml.Name `xml:"http://schemas.microsoft.com/windowsazure ReservedIP"`
	Name           string   `xml:"Name"`
	Address        string   `xml:"Address,omitempty"`
	Location       string   `xml:"Location,omitempty"`
	ServiceName    string   `xml:"ServiceName,omitempty"`
	MigrationState string   `xml:"MigrationState,omitempty"`
}

// NetworkSecurityGroups is GET
// /{sub}/services/networking/networksecuritygroups?detaillevel=Full.
type NetworkSecurityGroups struct {
	XMLName xml.Name               `xml:"http://schemas.microsoft.com/windowsazure NetworkSecurityGroups"`
	Groups  []NetworkSecurityGroup `xml:"NetworkSecurityGroup"`
}

// NetworkSecurityGroup is one classic NSG with its rules.
type NetworkSecurityGroup struct {
	XMLName        xml.Name  `xml:"http://schemas.microsoft.com/windowsazure NetworkSecurityGroup"`
	Name           string    `xml:"Name"`
	Location       string    `xml:"Location,omitempty"`
	Rules          []NSGRule `xml:"Rules>Rule,omitempty"`
	MigrationState string    `xml:"MigrationState,omitempty"`
}

// NSGRule is one NSG rule; Type is Inbound or Outbound.
type NSGRule struct {
	Name                     string `xml:"Name"`
	Type                     string `xml:"Type"`
	Priority                 int    `xml:"Priority"`
	Action                   string `xml:"Action"`
	SourceAddressPrefix      string `xml:"SourceAddressPrefix"`
	SourcePortRange          string `xml:"SourcePortRange"`
	DestinationAddressPrefix string `xml:"DestinationAddressPrefix"`
	DestinationPortRange     string `xml:"DestinationPortRange"`
	Protocol                 string `xml:"Protocol"`
}

// RouteTables is GET /{sub}/services/networking/routetables?detailLevel=full.
type RouteTables struct {
	XMLName xml.Name     `xml:"http://schemas.microsoft.com/windowsazure RouteTables"`
	Tables  []RouteTable `xml:"RouteTable"`
}

// RouteTable is one classic route table with its routes.
type RouteTable struct {
	XMLName        xml.Name `xml:"http://schemas.microsoft.com/windowsazure RouteTable"`
	Name           string   `xml:"Name"`
	Location       string   `xml:"Location,omitempty"`
	Routes         []Route  `xml:"RouteList>Route,omitempty"`
	MigrationState string   `xml:"MigrationState,omitempty"`
}

// Route is one user-defined route.
type Route struct {
	Name          string      `xml:"Name"`
	AddressPrefix string      `xml:"AddressPrefix"`
	NextHop       NextHopType `xml:"NextHopType"`
}

// NextHopType of a Route.
type NextHopType struct {
	Type      string `xml:"Type"`
	IPAddress string `xml:"IpAddress,omitempty"`
}

// DeploymentState is a deployment's migration state derived from its roles,
// the only place Azure reports it. Azure migrates a deployment's VMs
// together, so they agree; should they not (read mid-transition), a failure
// wins over an operation in progress, which wins over the first role's
// state, so a caller never takes a half-done deployment for a settled one.
// No role, or no state on any, is "" (None).
func DeploymentState(roles []Role) string {
	rank := func(s string) int {
		switch s {
		case "PrepareFailed", "CommitFailed", "AbortFailed":
			return 2
		case "Preparing", "Committing", "Aborting":
			return 1
		}
		return 0
	}
	out := ""
	for i, r := range roles {
		if i == 0 || rank(r.MigrationState) > rank(out) {
			out = r.MigrationState
		}
	}
	return out
}
